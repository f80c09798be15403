"""What one model call gives back (`ModelTurn`: text, tool calls, `finish_reason`, usage)
and how a whole (not streamed) completion, or tool calls written as text, become one.
"""

from __future__ import annotations

import json
import queue
from collections.abc import Generator
from dataclasses import dataclass, field
from typing import Any

from assistant.llm.textcalls import parse_text_calls
from assistant.llm.usage import Usage


@dataclass(frozen=True)
class RequestedCall:
    id: str
    name: str
    arguments: str  # raw JSON text, as the model wrote it


@dataclass
class ModelTurn:
    content: str = ""
    calls: list[RequestedCall] = field(default_factory=list)
    finish_reason: str | None = None
    usage: Usage = field(default_factory=Usage)
    text_calls: bool = False  # the calls were read from the reply's text


# A model call yields the pieces of text as they arrive and returns the whole turn.
TurnStream = Generator[str, None, ModelTurn]
Pieces = queue.SimpleQueue[str | None]  # text as it arrives; None when the call is over


def read_text_calls(turn: ModelTurn, names: set[str]) -> None:
    """Calls the reply wrote as text become the turn's calls (the text before them stays)."""
    text, calls = parse_text_calls(turn.content, names)
    if calls:
        turn.content = text
        turn.calls = [
            RequestedCall(f"text_call_{i}", c.name, c.arguments) for i, c in enumerate(calls)
        ]
        turn.text_calls = True
        if turn.finish_reason == "stop":
            turn.finish_reason = "tool_calls"


def parse_completion(completion: Any) -> ModelTurn:
    if isinstance(completion, str | bytes):  # a body the SDK could not decode
        json.loads(completion)
        raise ValueError("the reply is not a chat completion")
    choice = completion.choices[0]
    message = choice.message
    calls = [
        RequestedCall(call.id or f"call_{i}", call.function.name, call.function.arguments or "{}")
        for i, call in enumerate(message.tool_calls or [])
    ]
    turn = ModelTurn(message.content or "", calls, choice.finish_reason)
    if completion.usage is not None:
        usage = completion.usage
        turn.usage = Usage(usage.prompt_tokens or 0, usage.completion_tokens or 0, 1)
    return turn
