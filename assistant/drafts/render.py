"""Drafts as documents: a draft is laid out as blocks (headings, paragraphs, bullets,
tables; see `layout.py`) that render to Markdown here and to DOCX in `docx_render.py`, so
both formats always hold the same text.

Evidence markers follow each value: `[n]` a knowledge citation, `[Tn]` the n-th tool call;
the "Sources" section at the end lists both. A field that needs input reads
"**Needs input:** <what is needed>".
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from assistant.charts.specs import ChartBase
from assistant.drafts.evidence import Evidenced
from assistant.drafts.models import (
    ComponentScore,
    DateWindow,
    DraftBase,
    HealthTrend,
    LicenseLine,
    ModuleUse,
    VerifiedOutcome,
)

NEEDS_INPUT = "**Needs input:**"


@dataclass(frozen=True)
class Heading:
    level: int
    text: str


@dataclass(frozen=True)
class Paragraph:
    text: str


@dataclass(frozen=True)
class Bullets:
    items: tuple[str, ...]
    numbered: bool = False


@dataclass(frozen=True)
class Table:
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class Chart:
    """A chart of the tools' figures: a PNG in the DOCX, its summary line in Markdown."""

    spec: ChartBase


Block = Heading | Paragraph | Bullets | Table | Chart


def chart_caption(spec: ChartBase) -> str:
    return f"{spec.title}. {spec.summary} (as of {spec.as_of.isoformat()}, {spec.tool})"


def show(value: Any, *, money: bool = False) -> str:
    """A value as text, figures exactly as held (thousands separators only)."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"${value:,}" if money else f"{value:,}"
    if isinstance(value, float):
        return f"${value:,.2f}" if money else f"{value:,g}"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, LicenseLine):
        if value.unused_share_pct is None:
            return (
                f"{value.module}: {value.active:,} active users on {value.licensed:,} licensed "
                "(over-deployed)"
            )
        return (
            f"{value.module}: {value.active:,} of {value.licensed:,} licensed users active "
            f"({value.unused_share_pct:g}% unused, {value.risk} risk)"
        )
    if isinstance(value, ModuleUse):
        used = " (the service's module)" if value.in_service else ""
        if value.license is None:
            return f"{value.module}: not licensed{used}"
        return show(value.license) + used
    if isinstance(value, ComponentScore):
        return f"{value.component} {value.score}"
    if isinstance(value, HealthTrend):
        return (
            f"{value.direction}: {value.from_score} ({value.from_month.isoformat()}) to "
            f"{value.to_score} ({value.to_month.isoformat()})"
        )
    if isinstance(value, DateWindow):
        if value.start == value.end:
            return value.start.isoformat()
        return f"{value.start.isoformat()} to {value.end.isoformat()}"
    if isinstance(value, VerifiedOutcome):
        return (
            f"{value.date.isoformat()}: {value.outcome} ({value.metric}; verified by "
            f"{value.verified_by})"
        )
    if isinstance(value, BaseModel):
        return ", ".join(f"{k}: {show(v)}" for k, v in value.model_dump().items())
    return str(value)


class Marks:
    """Evidence markers of one draft: `[n]` for citations, `[Tn]` for tool calls."""

    def __init__(self, draft: DraftBase) -> None:
        self.tools = {call.name: n for n, call in enumerate(draft.tool_calls, 1)}

    def of(self, field: Evidenced[Any]) -> str:
        marks = [f"[{n}]" for n in sorted(field.citations)]
        marks += [f"[T{n}]" for n in sorted(self.tools[t] for t in field.tools if t in self.tools)]
        return (" " + " ".join(marks)) if marks else ""

    def cell(self, field: Evidenced[Any], *, money: bool = False, note: bool = True) -> str:
        if field.needs_input:
            return f"{NEEDS_INPUT} {field.note}{self.of(field)}"
        text = show(field.value, money=money)
        if note and field.note:
            text += f" ({field.note})"
        return text + self.of(field)


def closing(draft: DraftBase) -> list[Block]:
    """The "Needs input" checklist and the sources (citations and tool calls)."""
    blocks: list[Block] = []
    missing = list(dict.fromkeys((_label(path), note) for path, note in draft.needs_input()))
    blocks.append(Heading(2, "Needs input"))
    if missing:
        blocks.append(Bullets(tuple(f"{label}: {note}" for label, note in missing)))
    else:
        blocks.append(Paragraph("Every field rests on the data or the knowledge base."))
    blocks.append(Heading(2, "Sources"))
    items = [f"[{c.n}] {c.section} ({c.source})" for c in draft.citations]
    for n, call in enumerate(draft.tool_calls, 1):
        args = ", ".join(f"{k}={v}" for k, v in call.arguments.items())
        items.append(f"[T{n}] {call.name}({args}) as of {call.as_of}, from {call.source}")
    blocks.append(Bullets(tuple(items)) if items else Paragraph("No sources."))
    return blocks


def _label(path: str) -> str:
    """A field path as words ("objectives[2].target" -> "objectives › target"): list positions
    are left out, so the checklist states no number the data does not hold."""
    parts = [re.sub(r"\[\d+\]", "", part).replace("_", " ") for part in path.split(".")]
    return " › ".join(p for p in parts if p)


def _escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def to_markdown(blocks: list[Block]) -> str:
    parts: list[str] = []
    for block in blocks:
        if isinstance(block, Heading):
            parts.append(f"{'#' * block.level} {block.text}")
        elif isinstance(block, Paragraph):
            parts.append(block.text)
        elif isinstance(block, Chart):
            parts.append(f"*Chart: {chart_caption(block.spec)}*")
        elif isinstance(block, Bullets):
            parts.append(
                "\n".join(
                    f"{n}. {item}" if block.numbered else f"- {item}"
                    for n, item in enumerate(block.items, 1)
                )
            )
        else:
            lines = [
                "| " + " | ".join(_escape(h) for h in block.header) + " |",
                "|" + "---|" * len(block.header),
            ]
            lines += ["| " + " | ".join(_escape(c) for c in row) + " |" for row in block.rows]
            parts.append("\n".join(lines))
    return "\n\n".join(parts) + "\n"
