"""Commands that need no model import none: each runs in a fresh interpreter and reports
which heavy libraries it loaded (issue 15)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO, make_settings

HEAVY = ("torch", "sentence_transformers", "transformers", "chromadb", "onnxruntime")

# Runs the real `assistant` command line once per argument list (one interpreter for all),
# then prints the exit codes and the heavy modules they imported.
_PROBE = """
import json, sys
from assistant.cli import app
codes = []
for args in json.loads(sys.argv[1]):
    try:
        app(args, prog_name="assistant")
    except SystemExit as exit:
        codes.append(exit.code)
    else:
        codes.append(0)
heavy = sorted(m for m in {heavy} if m in sys.modules)
print("PROBE" + json.dumps({{"codes": codes, "heavy": heavy}}))
"""


def _run(
    commands: list[list[str]], env: dict[str, str], heavy: tuple[str, ...] = HEAVY
) -> dict[str, object]:
    result = subprocess.run(
        [sys.executable, "-c", _PROBE.format(heavy=heavy), json.dumps(commands)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=280,  # an import-heavy interpreter on a loaded 2-core machine
    )
    lines = [line for line in result.stdout.splitlines() if line.startswith("PROBE")]
    assert lines, result.stdout + result.stderr
    probe: dict[str, object] = json.loads(lines[-1][len("PROBE") :])
    return probe


def _env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    env.update(PYTHONPATH=str(REPO), ASSISTANT_DATA_DIR=str(data_dir), **extra)
    return env


def test_help_and_import_accounts_import_no_model_or_chroma(tmp_path: Path) -> None:
    exports = REPO / "knowledge" / "accounts"
    commands = [["--help"], ["eval", "--help"], ["ingest", "--help"]]
    probe = _run([*commands, ["import-accounts", str(exports)]], _env(tmp_path / "data"))
    assert probe["heavy"] == []
    assert probe["codes"] == [0, 0, 0, 0]


def test_ingest_of_an_unchanged_tree_loads_no_model_or_chroma(tmp_path: Path, corpus: Path) -> None:
    """Indexed once (deterministic embedder, under the name of the real one, since the
    manifest re-embeds files another embedder made), then `assistant ingest` with the real
    model configured: nothing changed and the last run ended verified, so neither an
    embedding library nor Chroma is imported; the run still reads every file."""
    from assistant.services import build_services
    from ingest.embedding import HashingEmbedder, default_model_path, embedder_name

    data = tmp_path / "data"
    standing_in = HashingEmbedder()
    standing_in.name = embedder_name(Path(default_model_path()), "onnx-int8")
    services = build_services(make_settings(data), standing_in)
    try:
        assert services.ingestor().run([corpus]).new == 3
    finally:
        services.close()
    env = _env(data, ASSISTANT_EMBEDDING_BACKEND="onnx-int8", ASSISTANT_CHUNK_SIZE="400")
    env["ASSISTANT_CHUNK_OVERLAP"] = "40"
    probe = _run([["ingest", str(corpus)]], env)
    assert probe == {"codes": [0], "heavy": []}

    # a run interrupted since (a file left pending, and gone from the tree): the same
    # command opens Chroma to repair it, and still needs no model (nothing to embed)
    from ingest.manifest import Manifest

    services = build_services(make_settings(data), standing_in)
    try:
        with Manifest(services.database) as manifest:
            source = next(iter(manifest.files()))
            manifest.mark_pending([source])
    finally:
        services.close()
    Path(source).unlink()
    probe = _run([["ingest", str(corpus)]], env)
    assert probe == {"codes": [0], "heavy": ["chromadb"]}
