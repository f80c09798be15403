"""The request body of one model call, shaped for its endpoint.

Tools go natively, or, when the endpoint has no native tool calling
(`ASSISTANT_LLM_TOOL_CALLS=text`, or a 400 about tools), described in the prompt
(`textcalls.text_messages`), the history's tool messages rewritten the same way. Sampling,
the token bound, tool options and provider extras come from the endpoint's `Shape`
(`providers`), which also drops what the endpoint rejected.
"""

from __future__ import annotations

from typing import Any

from assistant.llm.config import LLMConfig
from assistant.llm.providers import Shape
from assistant.llm.textcalls import text_messages


def build_request(
    config: LLMConfig,
    shape: Shape,
    messages: list[dict[str, Any]],
    tools: list[dict[str, Any]],
    response_format: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The request body for this endpoint (without the per-attempt timeout)."""
    request: dict[str, Any] = {"model": config.model}
    if tools and shape.native_tools:
        request["messages"] = messages
        request["tools"] = [{"type": "function", "function": schema} for schema in tools]
    elif tools:
        request["messages"] = text_messages(messages, tools)
    else:
        text_history = not shape.native_tools and any(m["role"] == "tool" for m in messages)
        request["messages"] = text_messages(messages, []) if text_history else messages
    if response_format is not None:
        request["response_format"] = response_format
    if config.stream:
        request["stream"] = True
    shape.apply(request, config.temperature, config.max_tokens)
    return request
