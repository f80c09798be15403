"""The packaged sentence-transformers model as ONNX: exported on this machine, offline, once,
and cached with checksums; dynamically quantised to int8 for the CPU it runs on.

Cache layout (`cache_dir`, by default `<data dir>/models`):

    <model name>-<first 16 hex digits of the model's sha256>/
        model.onnx              fp32, attention/LayerNorm/GELU fused by ONNX Runtime
        model-int8-<kind>.onnx  int8 weights, dynamic int8 activations (kind: u8s8 | u8u8)
        export.json             source path and checksum, sha256 of every file above, and
                                each file's stamp (size, mtime, inode): an unchanged stamp
                                skips hashing the file again on load

The directory name follows the model's content, so a changed model is exported again; a
file whose checksum no longer matches `export.json` is exported again. An export is built
in a temporary directory and renamed into place, so a killed export leaves nothing half
written and two processes exporting at once both end with a complete copy. Exporting needs
torch and transformers (the `torch` backend's libraries); loading a cached model needs
only ONNX Runtime.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import shutil
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.errors import ConfigurationError

log = logging.getLogger(__name__)
FORMAT = 1  # bump when the export recipe changes: every cache is rebuilt
_SOURCE_FILES = (
    "config.json",
    "tokenizer.json",
    "model.safetensors",
    "pytorch_model.bin",
    "sentence_bert_config.json",
    "1_Pooling/config.json",
)
_INPUTS = ("input_ids", "attention_mask", "token_type_ids")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def source_checksum(model_dir: Path, cache_dir: Path) -> str:
    """sha256 over the model's files (weights, config, tokenizer). Remembered per file size
    and mtime in `cache_dir/sources.json`, so an unchanged model is not read again."""
    files = [model_dir / name for name in _SOURCE_FILES if (model_dir / name).is_file()]
    if not any(f.name in ("model.safetensors", "pytorch_model.bin") for f in files):
        raise ConfigurationError(f"no model weights (model.safetensors) in {model_dir}")
    stamp = ";".join(f"{f.name}:{f.stat().st_size}:{f.stat().st_mtime_ns}" for f in files)
    memo_path = cache_dir / "sources.json"
    memo: dict[str, dict[str, str]] = {}
    with contextlib.suppress(OSError, ValueError):
        memo = json.loads(memo_path.read_text())
    key = str(model_dir.resolve())
    if memo.get(key, {}).get("stamp") == stamp:
        return memo[key]["sha256"]
    digest = hashlib.sha256()
    for f in files:
        digest.update(f"{f.relative_to(model_dir)}\0{_sha256(f)}\0".encode())
    checksum = digest.hexdigest()
    memo[key] = {"stamp": stamp, "sha256": checksum}
    _write_json(memo_path, memo)
    return checksum


def _write_json(path: Path, value: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(json.dumps(value, indent=2, sort_keys=True))
    os.replace(temporary, path)


def cpu_has_vnni() -> bool:
    """AVX-512 VNNI or AVX-VNNI: int8 x int8 dot products without saturation."""
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return " avx512_vnni" in flags or " avx_vnni" in flags


def int8_kind() -> str:
    """`u8s8` (signed int8 weights) where the CPU has VNNI; elsewhere `u8u8`: on AVX2
    without VNNI, u8 x s8 products can saturate (ONNX Runtime's quantisation notes)."""
    return "u8s8" if cpu_has_vnni() else "u8u8"


@dataclass(frozen=True)
class OnnxModel:
    """The cached files of one export."""

    directory: Path
    fp32: Path
    int8: Path
    tokenizer: Path
    max_length: int


def ensure_onnx(model_dir: Path, cache_dir: Path, *, int8: bool) -> OnnxModel:
    """The cached ONNX export of `model_dir`, exported (and quantised) first when missing,
    stale or corrupt. Only the variant asked for (`int8` or fp32) is checked."""
    if not (model_dir / "tokenizer.json").is_file():
        raise ConfigurationError(
            f"the ONNX backend needs a fast tokenizer (tokenizer.json) in {model_dir}; "
            "set ASSISTANT_EMBEDDING_BACKEND=torch for this model"
        )
    cache_dir.mkdir(parents=True, exist_ok=True)
    checksum = source_checksum(model_dir, cache_dir)
    base = model_dir.resolve()
    name = f"{base.parent.name if base.name == 'model' else base.name}-{checksum[:16]}"
    directory = cache_dir / name
    kind = int8_kind()
    model = OnnxModel(
        directory,
        directory / "model.onnx",
        directory / f"model-int8-{kind}.onnx",
        model_dir / "tokenizer.json",
        _max_length(model_dir),
    )
    wanted = model.int8 if int8 else model.fp32
    if _verified(directory, wanted):
        return model
    log.warning("exporting %s to ONNX in %s (once; about a minute)", model_dir, directory)
    _export(model_dir, checksum, directory, kind)
    if not _verified(directory, wanted):  # pragma: no cover - the export just wrote it
        raise ConfigurationError(f"the ONNX export in {directory} does not verify")
    return model


def _max_length(model_dir: Path) -> int:
    try:
        config = json.loads((model_dir / "sentence_bert_config.json").read_text())
        return int(config["max_seq_length"])
    except (OSError, ValueError, KeyError):
        return 512


def _verified(directory: Path, wanted: Path) -> bool:
    try:
        recorded = json.loads((directory / "export.json").read_text())
    except (OSError, ValueError):
        return False
    if recorded.get("format") != FORMAT:
        return False
    expected = recorded.get("files", {}).get(wanted.name)
    if expected is None or not wanted.is_file():
        return False
    if recorded.get("stamps", {}).get(wanted.name) == _stamp(wanted):
        return True  # not written since its checksum was taken (hashing 90 MB: ~0.1 s)
    if _sha256(wanted) != expected:
        log.warning("%s does not match its checksum; exporting again", wanted)
        return False
    recorded.setdefault("stamps", {})[wanted.name] = _stamp(wanted)
    with contextlib.suppress(OSError):  # a read-only cache is still a valid one
        _write_json(directory / "export.json", recorded)
    return True


def _stamp(path: Path) -> str:
    """Size, modification time and inode: a file rewritten in any way gets another stamp
    (renaming the export into place keeps all three)."""
    status = path.stat()
    return f"{status.st_size}:{status.st_mtime_ns}:{status.st_ino}"


def _export(model_dir: Path, checksum: str, directory: Path, kind: str) -> None:
    work = Path(tempfile.mkdtemp(prefix=".export-", dir=directory.parent))
    try:
        raw = work / "raw.onnx"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            hidden, heads = _torch_export(model_dir, raw)
            _optimise(raw, work / "model.onnx", hidden, heads)
            raw.unlink()
            _quantise(work / "model.onnx", work / f"model-int8-{kind}.onnx", kind)
        onnx_files = sorted(work.glob("*.onnx"))
        files = {path.name: _sha256(path) for path in onnx_files}
        _write_json(
            work / "export.json",
            {
                "format": FORMAT,
                "source": str(model_dir.resolve()),
                "source_sha256": checksum,
                "int8": kind,
                "files": files,
                "stamps": {path.name: _stamp(path) for path in onnx_files},
            },
        )
        work.chmod(0o755)
        if directory.exists():
            shutil.rmtree(directory)  # stale or corrupt: verified before we got here
        os.replace(work, directory)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _torch_export(model_dir: Path, target: Path) -> tuple[int, int]:
    """The transformer's token states (batch, tokens, hidden) as an ONNX graph with dynamic
    batch and sequence axes. Eager attention exports a graph ONNX Runtime can fuse."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    import torch
    import transformers
    from transformers import AutoModel

    transformers.logging.set_verbosity_error()  # type: ignore[no-untyped-call]
    transformers.logging.disable_progress_bar()  # type: ignore[no-untyped-call]

    model: Any = AutoModel.from_pretrained(str(model_dir), attn_implementation="eager").eval()

    class TokenStates(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.inner = model

        def forward(self, *inputs: torch.Tensor) -> torch.Tensor:
            output = self.inner(**dict(zip(_INPUTS, inputs, strict=True)))
            states: torch.Tensor = output.last_hidden_state
            return states

    example = tuple(torch.ones((2, 8), dtype=torch.long) for _ in _INPUTS)
    axes = {name: {0: "batch", 1: "tokens"} for name in (*_INPUTS, "token_states")}
    with torch.no_grad():
        torch.onnx.export(
            TokenStates(),
            example,
            str(target),
            input_names=list(_INPUTS),
            output_names=["token_states"],
            dynamic_axes=axes,
            opset_version=17,
            dynamo=False,
        )
    return int(model.config.hidden_size), int(model.config.num_attention_heads)


def _optimise(source: Path, target: Path, hidden: int, heads: int) -> None:
    from onnxruntime.transformers import optimizer

    optimised = optimizer.optimize_model(
        str(source), model_type="bert", num_heads=heads, hidden_size=hidden
    )
    optimised.save_model_to_file(str(target))


def _quantise(source: Path, target: Path, kind: str) -> None:
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(
        str(source),
        str(target),
        weight_type=QuantType.QInt8 if kind == "u8s8" else QuantType.QUInt8,
        per_channel=True,
        # the fused nodes (com.microsoft) have no shape inference: their outputs are float
        extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
    )
