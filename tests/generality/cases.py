"""The shared generality cases (cases.yaml) and the knowledge bases they run on: each KB is
imported and ingested once into its own data directory with the clock at the data's
reference date."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from assistant.config import Settings
from assistant.engine.types import ChatResponse
from assistant.services import Services
from assistant.store.db import session_factory
from assistant.store.importer import AccountImporter
from tests.conftest import REPO

HERE = Path(__file__).resolve().parent
TODAY = dt.date(2026, 11, 1)
KBS = {"shipped": REPO / "knowledge", "second": REPO / "tests" / "fixtures" / "second_kb"}
_MARKER = re.compile(r"\[T?\d+\]")


@dataclass(frozen=True)
class Case:
    id: str
    kind: str
    question: str
    facts: tuple[str, ...] = ()
    absent: tuple[str, ...] = ()
    xfail: str | None = None
    fields: dict[str, str] = field(default_factory=dict)


def load_cases(kb: str) -> list[Case]:
    raw = yaml.safe_load((HERE / "cases.yaml").read_text(encoding="utf-8"))["cases"]
    cases = []
    for item in raw:
        own: dict[str, Any] = dict(item.get(kb) or {})
        facts = tuple(own.pop("facts", ()))
        absent = tuple(own.pop("absent", ()))
        xfail = own.pop("xfail", None) or item.get("xfail")
        fields = {k: str(v) for k, v in own.items()}
        cases.append(
            Case(
                id=item["id"],
                kind=item["kind"],
                question=str(item["question"]).format(**fields),
                facts=facts,
                absent=absent,
                xfail=xfail,
                fields=fields,
            )
        )
    return cases


def kb_settings(kb: str, data_dir: Path, **overrides: object) -> dict[str, object]:
    """Settings values for one KB (the rules file is read once the rules loader is in)."""
    folder = KBS[kb]
    values: dict[str, object] = {
        "data_dir": data_dir,
        "knowledge_dir": folder,
        "rules_file": folder / "rules.yaml",
        "today": TODAY,
        "chunk_size": 900,
        "chunk_overlap": 120,
    }
    values.update(overrides)
    return values


def load_kb(services: Services, kb: str) -> None:
    folder = KBS[kb]
    AccountImporter(session_factory(services.database), services.rules).run(
        folder / "accounts", TODAY
    )
    report = services.ingestor().run([folder])
    assert not report.skipped, report.skipped


def problems(case: Case, response: ChatResponse) -> list[str]:
    """What is wrong with the answer to a case (empty when it passes)."""
    answer = response.answer
    if case.kind == "decline":
        return [] if response.declined else [f"not declined: {answer[:200]}"]
    found = []
    if response.declined:
        return [f"declined: {answer[:200]}"]
    lowered = answer.lower()
    tool_answer = case.kind in ("account", "portfolio")
    if tool_answer and not (response.tool_calls and "[T1]" in answer):
        found.append("not answered from a cited tool result")
    for fact in case.facts:
        at = lowered.find(fact.lower())
        if at < 0:
            found.append(f"fact missing: {fact!r}")
            continue
        line_end = answer.find("\n", at)
        if not tool_answer and not _MARKER.search(answer[at : line_end if line_end >= 0 else None]):
            found.append(f"fact not cited: {fact!r}")
    for word in case.absent:
        if re.search(rf"\b{re.escape(word.lower())}\b", lowered):
            found.append(f"must not say {word!r}")
    return found


def settings_for(kb: str, data_dir: Path, **overrides: object) -> Settings:
    return Settings(_env_file=None, **kb_settings(kb, data_dir, **overrides))  # type: ignore[arg-type]
