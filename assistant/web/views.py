"""What the templates show of an answer: its sanitised HTML, the sources it cites, the tool
figures it used and the charts that go with it. Built from the same response (or stored
payload) the API returns; nothing here decides what an answer says."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from assistant.drafts.render import NEEDS_INPUT
from assistant.web.markdown import render

ACCOUNT_TOOLS = frozenset(
    {"account_overview", "health_score", "license_utilization", "survey_trend"}
)  # an answer that used one of these is about one account: its charts go with it
PORTFOLIO_TOOLS = frozenset({"expansion_targets"})  # the 2x2 goes with these
_NEEDS = re.compile(
    re.escape("<strong>" + NEEDS_INPUT.strip("*")) + r"</strong>(.*?)(?=</(?:li|p|td)>)", re.S
)


@dataclass(frozen=True)
class CitationView:
    n: int
    title: str
    section: str
    snippet: str
    source: str


@dataclass(frozen=True)
class ToolView:
    name: str
    arguments: str
    as_of: str | None
    source: str | None


@dataclass
class AnswerView:
    key: str  # unique in the page: popover ids and labels derive from it
    conversation_id: str
    message_id: int | None
    question: str
    markdown: str
    html: str
    citations: list[CitationView]
    tools: list[ToolView]
    engine: str
    declined: bool
    account_id: str | None = None  # the account the answer is about (its charts)
    portfolio: bool = False  # an expansion question: the 2x2 goes with it
    portfolio_filters: dict[str, Any] = field(default_factory=dict)  # the tool's own
    draft_html: str | None = None
    draft_id: str | None = None
    charts: list[Any] = field(default_factory=list)  # filled by the page (web.charts)


def _arguments(value: Any) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k}={json.dumps(v, default=str)}" for k, v in value.items()) or "-"
    return json.dumps(value, default=str)


def highlight_needs_input(markup: str) -> str:
    """Every "Needs input" field of a rendered draft, marked for the eye."""
    return _NEEDS.sub(
        lambda m: f'<mark class="needs-input"><strong>Needs input:</strong>{m.group(1)}</mark>',
        markup,
    )


def answer_view(
    key: str,
    conversation_id: str,
    message_id: int | None,
    question: str,
    answer: str,
    payload: dict[str, Any],
) -> AnswerView:
    """An answer as shown: `payload` is a stored assistant message's payload or the JSON of a
    ChatResponse (citations, tool_calls, engine, declined, draft)."""
    citations = [
        CitationView(
            int(c["n"]),
            str(c.get("title", "")),
            str(c.get("section", "")),
            str(c.get("snippet", "")),
            str(c.get("source", "")),
        )
        for c in payload.get("citations") or []
    ]
    calls = payload.get("tool_calls") or []
    tools = [
        ToolView(
            str(c.get("name", "")),
            _arguments(c.get("arguments")),
            c.get("as_of"),
            c.get("source"),
        )
        for c in calls
    ]
    names = {str(c.get("name")) for c in calls}
    account = payload.get("account_id")
    if not account:
        account = next(
            (
                str(c["arguments"]["account_id"])
                for c in reversed(calls)
                if isinstance(c.get("arguments"), dict) and c["arguments"].get("account_id")
            ),
            None,
        )
    draft = payload.get("draft")
    about_account = bool(names & ACCOUNT_TOOLS) or (
        isinstance(draft, dict) and draft.get("kind") == "success_plan"
    )
    view = AnswerView(
        key=key,
        conversation_id=conversation_id,
        message_id=message_id,
        question=question,
        markdown=answer,
        html=highlight_needs_input(render(answer, {c.n for c in citations}, key)),
        citations=citations,
        tools=tools,
        engine=str(payload.get("engine") or ""),
        declined=bool(payload.get("declined")),
        account_id=str(account).upper() if account and about_account else None,
        portfolio=bool(names & PORTFOLIO_TOOLS),
    )
    if isinstance(draft, dict) and draft.get("draft_id"):
        view.draft_id = str(draft["draft_id"])
    for call in calls:
        if call.get("name") in PORTFOLIO_TOOLS and isinstance(call.get("arguments"), dict):
            # the whole 2x2 of the same accounts, not just the quadrant or account asked
            view.portfolio_filters = {
                k: v for k, v in call["arguments"].items() if k not in ("quadrant", "account_id")
            }
    return view
