"""Block Kit messages of the bot: the answer (mrkdwn sections), its tool figures with their
as-of date, its citations as a numbered context block, and the buttons under it.

Slack's limits are kept: 50 blocks a message, 3,000 characters a section, 10 elements and
2,000 characters an element of a context block, 2,000 characters a button value.
"""

from __future__ import annotations

from typing import Any

from assistant.engine.types import ChatResponse, Citation, ToolCall
from assistant.slack.mrkdwn import escape, split, to_mrkdwn

Block = dict[str, Any]
MAX_BLOCKS = 50
CONTEXT_ELEMENTS = 10
ELEMENT_CHARS = 2000
FEEDBACK_UP = "feedback_up"
FEEDBACK_DOWN = "feedback_down"
SHARE = "share_answer"
COMMENT_VIEW = "feedback_comment"


def _mrkdwn(text: str) -> dict[str, str]:
    return {"type": "mrkdwn", "text": text[:ELEMENT_CHARS]}


def section(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def context(*texts: str) -> Block:
    return {"type": "context", "elements": [_mrkdwn(t) for t in texts[:CONTEXT_ELEMENTS]]}


def notice(text: str) -> list[Block]:
    """A short message (progress, a refusal, an error) as blocks."""
    return [section(escape(text))]


def citation_line(citation: Citation) -> str:
    where = " \u203a ".join(p for p in (citation.title, citation.section) if p)
    return f"*[{citation.n}]* {escape(where)} \u2014 `{escape(citation.source)}`"


def tool_line(call: ToolCall) -> str:
    parts = [f"*{escape(call.name)}*"]
    if call.as_of:
        parts.append(f"as of {escape(call.as_of)}")
    if call.source:
        parts.append(f"source: {escape(call.source)}")
    return " \u00b7 ".join(parts)


def draft_summary(response: ChatResponse) -> str:
    """A draft in a few lines (Markdown): its title, its opening paragraph and its sections;
    the full draft goes to the thread as a DOCX."""
    draft = response.draft or {}
    paragraphs = [p.strip() for p in response.answer.split("\n\n") if p.strip()]
    title = str(draft.get("title") or (paragraphs[0].lstrip("# ") if paragraphs else "Draft"))
    opening = next(
        (p for p in paragraphs if not p.startswith(("#", "|", "-", "*", ">")) and len(p) < 600),
        "",
    )
    sections = [str(v) for v in (draft.get("sections") or {}).values()]
    lines = [f"**{title}**"]
    if opening:
        lines.append(opening)
    if sections:
        lines.append("Sections: " + "; ".join(sections) + ".")
    return "\n\n".join(lines)


def answer_blocks(
    response: ChatResponse,
    *,
    rating: str | None = None,
    shareable: bool = False,
    note: str | None = None,
) -> list[Block]:
    """The answer message. `rating` is the button value naming the rated message
    ("conversation:message"); `shareable` adds the "share in channel" button (slash command)."""
    text = draft_summary(response) if response.draft else response.answer
    body = to_mrkdwn(text) or escape(text) or "_(no answer)_"
    blocks: list[Block] = [section(piece) for piece in split(body)]
    if response.draft:
        blocks.append(context("The full draft is attached as a DOCX in this thread."))
    figures = [tool_line(call) for call in response.tool_calls]
    if figures:
        blocks.append(context("Figures from", *figures))
    if response.citations:
        lines = [citation_line(c) for c in response.citations]
        for start in range(0, len(lines), CONTEXT_ELEMENTS):
            blocks.append(context(*lines[start : start + CONTEXT_ELEMENTS]))
    notes = []
    if response.fallback_reason:
        notes.append(f"Answered without the language model ({response.fallback_reason}).")
    if response.degraded:
        notes.append("Part of the index was unavailable: " + "; ".join(response.degraded))
    if note:
        notes.append(note)
    if notes:
        blocks.append(context(*(escape(n) for n in notes)))
    actions: list[Block] = []
    if rating:
        actions += [
            _button("\U0001f44d Helpful", FEEDBACK_UP, rating),
            _button("\U0001f44e Not helpful", FEEDBACK_DOWN, rating),
        ]
    if shareable and rating:
        actions.append(_button("Share in channel", SHARE, rating, style="primary"))
    if actions:
        blocks.append({"type": "actions", "block_id": "answer_actions", "elements": actions})
    if len(blocks) > MAX_BLOCKS:
        blocks = [*blocks[: MAX_BLOCKS - 1], context("(shortened: the answer is longer)")]
    return blocks


def fallback_text(response: ChatResponse) -> str:
    """The notification text of the message (shown where blocks are not)."""
    text = draft_summary(response) if response.draft else response.answer
    return text[:3000] or "(no answer)"


def _button(label: str, action_id: str, value: str, style: str | None = None) -> Block:
    button: Block = {
        "type": "button",
        "text": {"type": "plain_text", "text": label, "emoji": True},
        "action_id": action_id,
        "value": value[:ELEMENT_CHARS],
    }
    if style:
        button["style"] = style
    return button


def comment_view(feedback_id: int, rating: str) -> dict[str, Any]:
    """The optional comment modal opened after a rating."""
    word = "helpful" if rating == "up" else "not helpful"
    return {
        "type": "modal",
        "callback_id": COMMENT_VIEW,
        "private_metadata": str(feedback_id),
        "title": {"type": "plain_text", "text": "Thanks for the feedback"},
        "submit": {"type": "plain_text", "text": "Send"},
        "close": {"type": "plain_text", "text": "Skip"},
        "blocks": [
            section(f"You rated the answer *{word}*. Anything to add? (optional)"),
            {
                "type": "input",
                "block_id": "comment",
                "optional": True,
                "label": {"type": "plain_text", "text": "Comment"},
                "element": {
                    "type": "plain_text_input",
                    "action_id": "text",
                    "multiline": True,
                    "max_length": 3000,
                },
            },
        ],
    }
