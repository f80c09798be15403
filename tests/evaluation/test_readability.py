"""The readability check of drafts: whole reader-facing sentences against pasted fragments,
only in the sections a draft marks customer-facing."""

from __future__ import annotations

from assistant.evaluation.readability import fragments, readability, sections_text

DRAFT = """# 5W pitch: X for Y

Drafted by the grounded composer. internal note

## Why they will pay

Analysts miss threats because logs are split. [T2] Mean time to investigate is 5.5 hours. [T2]

## What they will pay for

| Item | Value |
|---|---|
| Service | The service puts the module into production. [3] |
| Deliverable | dashboards and alert rules [4] |
| Price | **Needs input:** agree the price [T1] |

- You get a roadmap for the next sources. [5]
- the one-pager names no platform module (tags)

## Appendix

### Worksheet: Why they will pay

| Pain | raw fragment |
"""


def test_only_the_named_sections_count() -> None:
    lines = sections_text(DRAFT, ["Why they will pay"])
    assert lines == [
        "Analysts miss threats because logs are split. [T2] Mean time to investigate is "
        "5.5 hours. [T2]"
    ]
    assert readability(DRAFT, ["Why they will pay"]) == 1.0
    assert readability(DRAFT, ["Nothing"]) is None


def test_fragments_and_gaps() -> None:
    titles = ["Why they will pay", "What they will pay for"]
    # 2 sentences + 2 cells (the gap left out) + 2 bullets: 4 whole of 6
    assert readability(DRAFT, titles) == 4 / 6
    assert fragments(DRAFT, titles) == [
        "dashboards and alert rules",
        "the one-pager names no platform module (tags)",
    ]
