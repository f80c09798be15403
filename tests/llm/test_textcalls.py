"""The text tool-call parser and the stream guard as plain code."""

from __future__ import annotations

import json

import pytest

from assistant.llm.textcalls import TextCallGuard, parse_text_calls

KNOWN = {"search_knowledge", "account_overview"}
ARGS = {"query": "live"}
CALL = '{"name": "search_knowledge", "arguments": {"query": "live"}}'
LLAMA = '{"name": "search_knowledge", "parameters": {"query": "live"}}'


@pytest.mark.parametrize(
    ("content", "text"),
    [
        (f"<tool_call>\n{CALL}\n</tool_call>", ""),
        (f"Let me look. <tool_call>{CALL}</tool_call>", "Let me look."),
        (f"[TOOL_CALLS] [{CALL}]", ""),
        ('[TOOL_CALLS]search_knowledge[ARGS]{"query": "live"}', ""),
        (f"<|python_tag|>{LLAMA}<|eom_id|>", ""),
        (LLAMA, ""),
        (f'```json\n{{"type": "function", "function": {CALL}}}\n```', ""),
        ('<function=search_knowledge>{"query": "live"}</function>', ""),
    ],
    ids=["hermes", "hermes-after-text", "mistral", "mistral-v11", "llama-tag", "llama-bare",
         "fenced-openai-shape", "llama-function"],
)  # fmt: skip
def test_the_formats(content: str, text: str) -> None:
    rest, calls = parse_text_calls(content, KNOWN)
    assert rest == text
    assert [(c.name, json.loads(c.arguments)) for c in calls] == [("search_knowledge", ARGS)]


def test_several_calls_and_string_arguments() -> None:
    content = (
        '<tool_call>{"name": "search_knowledge", "arguments": {"query": "live"}}</tool_call>\n'
        '<tool_call>{"name": "account_overview", "arguments": "{\\"account_id\\": \\"A-1\\"}"}'
        "</tool_call>"
    )
    _, calls = parse_text_calls(content, KNOWN)
    assert [c.name for c in calls] == ["search_knowledge", "account_overview"]
    assert json.loads(calls[1].arguments) == {"account_id": "A-1"}


@pytest.mark.parametrize(
    "content",
    [
        "A plain answer [1].",
        '{"name": "unknown_tool", "parameters": {}}',
        "<tool_call>not json</tool_call>",
        '{"answer": 42}',
    ],
)
def test_no_call(content: str) -> None:
    assert parse_text_calls(content, KNOWN) == (content, [])


def stream(text: str, piece: int) -> tuple[str, str]:
    guard = TextCallGuard()
    out = "".join(guard.feed(text[i : i + piece]) for i in range(0, len(text), piece))
    return out, guard.flush()


@pytest.mark.parametrize("piece", [1, 3, 7, 50])
def test_the_guard_holds_a_call_back(piece: int) -> None:
    released, held = stream('Checking. <tool_call>{"name": "x"}</tool_call>', piece)
    assert released == "Checking. " and held.startswith("<tool_call>")
    released, held = stream('[TOOL_CALLS] [{"name": "x"}]', piece)
    assert released == "" and held.startswith("[TOOL_CALLS]")


@pytest.mark.parametrize("piece", [1, 4, 50])
def test_the_guard_releases_plain_text(piece: int) -> None:
    text = "Live within 30 days [1]. See <b>bold</b> and [the guide]."
    released, held = stream(text, piece)
    assert released + held == text and len(held) < 2
