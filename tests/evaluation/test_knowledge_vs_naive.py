"""CI: the shipped knowledge suite through `assistant eval --compare naive` with the real
embedding model; our engine must meet the suite's thresholds and beat the naive baseline
(which declines below a similarity chosen on the dev split), on the held-out split too.

Marked slow: it embeds the knowledge base twice (our index, the naive one) and answers every
case with both engines (several minutes on a CPU).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assistant.cli import app
from assistant.config import get_settings
from tests.conftest import REPO

pytestmark = [pytest.mark.slow, pytest.mark.timeout(3600)]


def test_knowledge_suite_beats_naive_rag(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    for name in ("ASSISTANT_EMBEDDING_MODEL", "ASSISTANT_KNOWLEDGE_DIR", "ASSISTANT_CHROMA_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    out = tmp_path / "report"
    try:
        result = CliRunner().invoke(
            app,
            ["eval", "eval/suites/knowledge.yaml", "--compare", "naive", "--out", str(out)],
        )
    finally:
        get_settings.cache_clear()
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    (suite,) = report["suites"]
    ours, naive = suite["summary"], suite["compare"]["naive"]["summary"]
    figures = {m: (ours.get(m), naive.get(m)) for m in ours if m in naive}
    print(json.dumps(figures, indent=1))  # the figures, for the CI log (-s)
    assert not suite["below_thresholds"], result.output
    assert result.exit_code == 0, result.output
    assert ours["fact_recall"] > naive["fact_recall"], figures
    # Document-level hit@5 sits at the ceiling for both engines (0.98-0.99, one case apart,
    # either way between runs), so it is held to the suite threshold above, not to naive.
    assert ours["citation_precision"] > naive["citation_precision"], figures
    # The baseline declines below a similarity chosen on the dev split, so it declines the
    # far off-topic questions too: its refusal accuracy is reported and held to nothing (ours
    # is held to the suite threshold above); it pays for it in the answers it withholds.
    assert ours["answered"] > naive["answered"], figures
    held_out = suite["by_split"]["test"]
    print(json.dumps(held_out, indent=1))  # the held-out figures, for the CI log (-s)
    assert held_out["summary"]["fact_recall"] > held_out["compare"]["naive"]["fact_recall"]
