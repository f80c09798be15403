"""The ONNX export cache: keyed by the model's content, verified by checksum, rebuilt when
stale. The export itself is replaced by a fake that writes files, so these run in
milliseconds; tests/embedding/test_backends.py runs the real export (slow)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from assistant.errors import ConfigurationError
from ingest import onnx_export
from ingest.embedding import LazyEmbedder, build_embedder
from ingest.onnx_export import ensure_onnx, source_checksum


def _model(root: Path, weights: bytes = b"weights-1") -> Path:
    model = root / "mini"
    model.mkdir(parents=True, exist_ok=True)
    (model / "config.json").write_text(json.dumps({"hidden_size": 8}))
    (model / "tokenizer.json").write_text("{}")
    (model / "model.safetensors").write_bytes(weights)
    return model


class FakeExport:
    """Writes an export the way `_export` lays it out, and counts the calls."""

    def __init__(self) -> None:
        self.calls = 0
        self.real = onnx_export._export

    def __call__(self, model_dir: Path, checksum: str, directory: Path, kind: str) -> None:
        self.calls += 1
        work = directory.parent / ".fake"
        work.mkdir(parents=True)
        (work / "model.onnx").write_bytes(b"fp32 graph " + checksum.encode())
        (work / f"model-int8-{kind}.onnx").write_bytes(b"int8 graph")
        files = {p.name: onnx_export._sha256(p) for p in work.glob("*.onnx")}
        stamps = {p.name: onnx_export._stamp(p) for p in work.glob("*.onnx")}
        record = {
            "format": onnx_export.FORMAT,
            "source_sha256": checksum,
            "files": files,
            "stamps": stamps,
        }
        (work / "export.json").write_text(json.dumps(record))
        if directory.exists():
            import shutil

            shutil.rmtree(directory)
        os.replace(work, directory)


@pytest.fixture
def export(monkeypatch: pytest.MonkeyPatch) -> FakeExport:
    fake = FakeExport()
    monkeypatch.setattr(onnx_export, "_export", fake)
    return fake


def test_exports_once_then_reuses_the_verified_cache(tmp_path: Path, export: FakeExport) -> None:
    model = _model(tmp_path)
    first = ensure_onnx(model, tmp_path / "cache", int8=True)
    again = ensure_onnx(model, tmp_path / "cache", int8=True)
    assert export.calls == 1 and first == again
    assert first.int8.read_bytes() == b"int8 graph"
    assert first.directory.name.startswith("mini-")
    assert first.max_length == 512  # no sentence_bert_config.json: BERT's limit


def test_a_corrupt_file_is_exported_again(tmp_path: Path, export: FakeExport) -> None:
    model = _model(tmp_path)
    cached = ensure_onnx(model, tmp_path / "cache", int8=False)
    cached.fp32.write_bytes(b"truncated")
    repaired = ensure_onnx(model, tmp_path / "cache", int8=False)
    assert export.calls == 2
    assert repaired.fp32.read_bytes().startswith(b"fp32 graph")


def test_an_unchanged_export_is_not_hashed_again(
    tmp_path: Path, export: FakeExport, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = _model(tmp_path)
    cached = ensure_onnx(model, tmp_path / "cache", int8=False)
    hashed: list[str] = []
    real = onnx_export._sha256
    monkeypatch.setattr(onnx_export, "_sha256", lambda p: hashed.append(p.name) or real(p))
    assert ensure_onnx(model, tmp_path / "cache", int8=False) == cached
    assert "model.onnx" not in hashed  # its stamp (size, mtime, inode) is the recorded one
    record = json.loads((cached.directory / "export.json").read_text())
    record["stamps"]["model.onnx"] = "0:0:0"  # as if rewritten since: hashed, and it matches
    (cached.directory / "export.json").write_text(json.dumps(record))
    assert ensure_onnx(model, tmp_path / "cache", int8=False) == cached
    assert "model.onnx" in hashed and export.calls == 1
    hashed.clear()  # the stamp was recorded again after the checksum matched
    assert ensure_onnx(model, tmp_path / "cache", int8=False) == cached
    assert "model.onnx" not in hashed


def test_a_changed_model_gets_its_own_export(tmp_path: Path, export: FakeExport) -> None:
    model = _model(tmp_path)
    before = ensure_onnx(model, tmp_path / "cache", int8=True)
    _model(tmp_path, weights=b"weights-2, fine-tuned")
    after = ensure_onnx(model, tmp_path / "cache", int8=True)
    assert export.calls == 2 and after.directory != before.directory


def test_checksum_is_remembered_by_size_and_mtime(tmp_path: Path) -> None:
    model = _model(tmp_path)
    cache = tmp_path / "cache"
    checksum = source_checksum(model, cache)
    memo = json.loads((cache / "sources.json").read_text())
    assert memo[str(model.resolve())]["sha256"] == checksum
    (model / "model.safetensors").write_bytes(b"weights-X")  # same size, new mtime
    os.utime(model / "model.safetensors", ns=(1, 1))
    assert source_checksum(model, cache) != checksum


def test_a_model_without_a_fast_tokenizer_is_refused(tmp_path: Path) -> None:
    model = _model(tmp_path)
    (model / "tokenizer.json").unlink()
    with pytest.raises(ConfigurationError, match="EMBEDDING_BACKEND=torch"):
        ensure_onnx(model, tmp_path / "cache", int8=True)


def test_real_backends_are_lazy_and_know_their_dimension(tmp_path: Path) -> None:
    model = _model(tmp_path)
    embedder = build_embedder(str(model), 16, "cpu", "onnx-int8", tmp_path / "cache")
    assert isinstance(embedder, LazyEmbedder) and not embedder.loaded
    assert (embedder.name, embedder.dimension) == ("mini (onnx-int8)", 8)
    assert embedder.embed([]).shape == (0, 8)  # nothing to embed: still not loaded
    assert not embedder.loaded and not (tmp_path / "cache").exists()


def test_onnx_backend_refuses_a_gpu_device(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="runs on the CPU"):
        build_embedder(str(_model(tmp_path)), 16, "cuda", "onnx", tmp_path / "cache")
