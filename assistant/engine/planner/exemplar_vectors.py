"""The intent exemplars' vectors, kept on disk between processes (issue 15).

Embedding the ~170 exemplars took about 1.4 s of a cold `assistant ask` (more than the
model load). They are saved under the data directory, keyed by the embedder's name and the
exact texts; before a saved matrix is used, the first exemplar is embedded again and must
give the vector saved with it (the same call, so any change of model files, backend or
runtime shows), else everything is embedded anew and saved again.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ingest.embedding import Embedder, Vectors

log = logging.getLogger(__name__)
_SAME = 0.9999  # cosine of the re-embedded probe to its saved vector (float noise only)


def _path(directory: Path, embedder: Embedder, texts: Sequence[str]) -> Path:
    digest = hashlib.sha256("\0".join([embedder.name, *texts]).encode()).hexdigest()
    return directory / f"exemplars-{digest[:20]}.npz"


def exemplar_vectors(
    embedder: Embedder, texts: Sequence[str], directory: Path | None = None
) -> Vectors:
    """`embedder.embed(texts)`, from `directory` when a saved copy still matches the model."""
    if directory is None or not texts:
        return np.asarray(embedder.embed(texts), dtype=np.float32)
    path = _path(directory, embedder, texts)
    probe = np.asarray(embedder.embed([texts[0]])[0], dtype=np.float32)
    try:
        with np.load(path) as saved:
            matrix, saved_probe = saved["matrix"], saved["probe"]
    except (OSError, ValueError, KeyError):
        matrix = saved_probe = None
    if (
        matrix is not None
        and saved_probe is not None
        and matrix.shape == (len(texts), embedder.dimension)
        and saved_probe.shape == probe.shape
        and float(saved_probe @ probe) >= _SAME
    ):
        return np.asarray(matrix, dtype=np.float32)
    matrix = np.asarray(embedder.embed(texts), dtype=np.float32)
    try:
        directory.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=directory, suffix=".npz", delete=False) as out:
            np.savez(out, matrix=matrix, probe=probe)
        os.replace(out.name, path)
    except OSError as error:  # a read-only data directory: embed again next time
        log.info("cannot keep the exemplar vectors in %s: %s", directory, error)
    return matrix
