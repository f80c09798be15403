"""Thumbs-down feedback as candidate eval cases, in the suite format, for a person to complete.

The exported suite has `needs_review: true`: `assistant eval` skips it until a person has
filled in each case's `expect` (marked TODO) and removed the flag. Each case keeps the
question, the answer given and the comment under `origin`. Exporting again into the same
file appends only the feedback not exported yet (case ids are `feedback-<id>`) and sets the
flag again; cases already there, and their edits, are left alone.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from assistant import yaml_load
from assistant.errors import InvalidInputError
from assistant.evaluation.suite import Suite
from assistant.store.feedback import RatedAnswer

HEADER = """\
# Candidate eval cases from thumbs-down feedback (`assistant eval export-feedback`).
# For each case: complete `expect` (the TODO lines) from what the right answer is, or delete
# the case; then set `needs_review: false` (or move the cases into another suite).
# `assistant eval` skips this suite while `needs_review` is true.
"""
_ID = re.compile(r"^\s*- id:\s*(\S+)\s*$", re.M)
_EMPTY_CASES = re.compile(r"^cases:\s*\[\]\s*$", re.M)
_FLAG = re.compile(r"^needs_review:.*$", re.M)


def case_id(answer: RatedAnswer) -> str:
    return f"feedback-{answer.feedback.id}"


def _scalar(value: Any) -> str:
    """One YAML scalar on one line, safe for any text (a JSON string is a double-quoted YAML
    scalar, newlines escaped)."""
    return json.dumps(value, ensure_ascii=False)


def case_yaml(answer: RatedAnswer) -> str:
    feedback = answer.feedback
    origin = {
        "feedback_id": feedback.id,
        "conversation_id": feedback.conversation_id,
        "message_id": feedback.message_id,
        "rated_at": feedback.created_at.isoformat(timespec="seconds"),
        "answer": answer.answer,
        "comment": feedback.comment,
    }
    lines = [
        f"  - id: {case_id(answer)}",
        f"    ask: {_scalar(answer.question)}",
        f"    account: {_scalar(answer.account_id)}",
        "    expect:",
        "      sources: []  # TODO: the document(s) that answer it, e.g. knowledge/guides/x.md",
        "      facts: []  # TODO: regexes the right answer contains",
        "      refuse: false  # TODO: true when the assistant should decline",
        "    origin:",
        *(f"      {key}: {_scalar(value)}" for key, value in origin.items()),
    ]
    return "\n".join(lines) + "\n"


def export_yaml(answers: Sequence[RatedAnswer], existing: str | None = None) -> tuple[str, int]:
    """The suite text with a case per answer not in `existing` yet, and how many were added."""
    if existing is None:
        head = (
            f"{HEADER}# exported {dt.date.today().isoformat()}\n"
            "suite: feedback\nneeds_review: true\ncases:\n"
        )
        known: set[str] = set()
    else:
        head = existing if existing.endswith("\n") else existing + "\n"
        head = _EMPTY_CASES.sub("cases:", head, count=1)
        known = set(_ID.findall(existing))
    fresh = [a for a in answers if a.question and case_id(a) not in known]
    if existing is not None and not fresh:
        return existing, 0
    text = head + "".join(case_yaml(a) for a in fresh)
    if existing is not None:
        if _FLAG.search(text):
            text = _FLAG.sub("needs_review: true", text, count=1)
        else:
            text = re.sub(r"^(suite:.*)$", r"\1\nneeds_review: true", text, count=1, flags=re.M)
    if text.rstrip().endswith("cases:"):
        text = text.rstrip() + " []\n"
    _validate(text)
    return text, len(fresh)


def _validate(text: str) -> None:
    try:
        Suite.model_validate(yaml_load.safe_load(text))
    except Exception as error:
        raise InvalidInputError(
            f"the exported suite would not load ({error}); export into a new file"
        ) from error


def write_export(answers: Sequence[RatedAnswer], out: Path) -> int:
    existing = out.read_text(encoding="utf-8") if out.exists() else None
    text, added = export_yaml(answers, existing)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    return added
