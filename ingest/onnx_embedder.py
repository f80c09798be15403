"""The embedding model run by ONNX Runtime (fp32 or int8) with the `tokenizers` library:
no torch in the process. One forward pass gives both the texts' vectors and the per-token
states the late-chunking sentence vectors are pooled from (`ingest.pooling`)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from ingest.pooling import Spans, Vectors, mean_pool, pool_spans


class OnnxEmbedder:
    def __init__(
        self,
        model: Path,
        tokenizer: Path,
        *,
        name: str,
        max_length: int,
        batch_size: int = 64,
        threads: int = 0,
    ) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or os.cpu_count() or 1
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.log_severity_level = 3  # errors only
        self._session = ort.InferenceSession(
            str(model), options, providers=["CPUExecutionProvider"]
        )
        self._inputs = {node.name for node in self._session.get_inputs()}
        self._tokenizer: Any = Tokenizer.from_file(str(tokenizer))
        padding = self._tokenizer.padding or {}
        self._pad_id = int(padding.get("pad_id", self._tokenizer.token_to_id("[PAD]") or 0))
        self._tokenizer.no_padding()  # padded per batch below, to the batch's longest text
        self._tokenizer.enable_truncation(max_length)
        self.name = name
        self.dimension = int(self._session.get_outputs()[0].shape[-1])
        self.batch_size = batch_size

    def _forward(
        self, texts: Sequence[str]
    ) -> tuple[Vectors, npt.NDArray[np.bool_], npt.NDArray[np.int64]]:
        """Token states (batch, tokens, dim), the attention mask and character offsets."""
        encodings = self._tokenizer.encode_batch(list(texts))
        longest = max(len(e.ids) for e in encodings)
        ids = np.full((len(texts), longest), self._pad_id, dtype=np.int64)
        mask = np.zeros((len(texts), longest), dtype=np.int64)
        types = np.zeros((len(texts), longest), dtype=np.int64)
        offsets = np.zeros((len(texts), longest, 2), dtype=np.int64)
        for row, encoding in enumerate(encodings):
            n = len(encoding.ids)
            ids[row, :n] = encoding.ids
            mask[row, :n] = encoding.attention_mask
            types[row, :n] = encoding.type_ids
            offsets[row, :n] = encoding.offsets
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
        (hidden,) = self._session.run(None, {k: v for k, v in feeds.items() if k in self._inputs})
        return np.asarray(hidden, dtype=np.float32), mask.astype(bool), offsets

    def _batches(self, texts: Sequence[str]) -> list[list[int]]:
        """Positions in batches, longest texts first, so each batch pads least."""
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        return [order[s : s + self.batch_size] for s in range(0, len(order), self.batch_size)]

    def embed(self, texts: Sequence[str]) -> Vectors:
        vectors = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for batch in self._batches(texts):
            hidden, mask, _ = self._forward([texts[i] for i in batch])
            vectors[batch] = mean_pool(hidden, mask)
        return vectors

    def embed_in_context(
        self, texts: Sequence[str], spans: Sequence[Spans]
    ) -> tuple[Vectors, list[Vectors]]:
        vectors = np.zeros((len(texts), self.dimension), dtype=np.float32)
        span_vectors: list[Vectors] = [np.zeros((0, self.dimension), np.float32)] * len(texts)
        for batch in self._batches(texts):
            hidden, mask, offsets = self._forward([texts[i] for i in batch])
            vectors[batch] = mean_pool(hidden, mask)
            for row, index in enumerate(batch):
                real = mask[row]
                span_vectors[index] = pool_spans(
                    hidden[row][real], offsets[row][real], spans[index], self.dimension
                )
        return vectors, span_vectors
