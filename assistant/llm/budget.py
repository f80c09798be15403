"""The context budget: prompts sized to the model's context (`ASSISTANT_LLM_CONTEXT_TOKENS`
less the reply's `max_tokens`), trimmed by relevance and never cut mid-structure.

- Retrieved chunks: the best-scoring ones that fit are kept whole, in their order; the rest
  are left out (`fit_hits`).
- A tool result: its longest list loses whole items from the end (tools list the most
  relevant first) until it fits, and says how many it left out (`fit_result`).
- The conversation: when the whole prompt is still too long, the oldest history turns go
  first, then the oldest tool messages are replaced by a notice; the system prompt, the
  question and the latest tool results stay (`fit_messages`).
"""

from __future__ import annotations

import copy
import json
from typing import Any

from assistant.engine.types import SearchHit
from assistant.llm.providers import estimate_tokens

OMITTED = "omitted_items"
NOTICE = "(an earlier tool result, left out to fit the model's context; call again if needed)"


def fit_hits(hits: list[SearchHit], budget: int) -> list[SearchHit]:
    """The highest-scoring hits whose texts fit in `budget` tokens, in their given order."""
    kept: set[str] = set()
    used = 0
    for hit in sorted(hits, key=lambda h: h.score, reverse=True):
        size = estimate_tokens(hit.text) + 20  # the delimiter and attributes
        if used + size > budget and kept:
            continue
        kept.add(hit.chunk_id)
        used += size
    return [hit for hit in hits if hit.chunk_id in kept]


def fit_result(result: Any, budget: int) -> Any:
    """`result` within `budget` tokens: whole items dropped from the end of its longest
    list, with the count left out noted beside it; unchanged when it fits."""
    if estimate_tokens(result) <= budget:
        return result
    fitted = copy.deepcopy(result)
    while estimate_tokens(fitted) > budget:
        found = _longest_list(fitted)
        if found is None:
            break
        parent, key, items = found
        drop = max(1, len(items) // 4)
        del items[-drop:]
        if isinstance(parent, dict):
            parent[f"{key}_{OMITTED}"] = parent.get(f"{key}_{OMITTED}", 0) + drop
    return fitted


def _longest_list(value: Any) -> tuple[Any, str, list[Any]] | None:
    """(the dict holding it, its key, the list) of the longest list with 2+ items."""
    best: tuple[Any, str, list[Any]] | None = None

    def visit(node: Any, parent: Any, key: str) -> None:
        nonlocal best
        if isinstance(node, list):
            if len(node) > 1 and (best is None or _size(node) > _size(best[2])):
                best = (parent, key, node)
            for item in node:
                visit(item, node, key)
        elif isinstance(node, dict):
            for name, item in node.items():
                visit(item, node, name)

    visit(value, None, "")
    return best


def _size(value: Any) -> int:
    return len(json.dumps(value, default=str))


def fit_messages(messages: list[dict[str, Any]], tools: list[dict[str, Any]], budget: int) -> bool:
    """Shrink `messages` in place to fit `budget` tokens with the tool schemas; False when
    even the shrunk prompt does not fit."""

    def size() -> int:
        return estimate_tokens([messages, tools])

    if size() <= budget:
        return True
    last_user = max(i for i, m in enumerate(messages) if m["role"] == "user")
    # the oldest history turns first (between the system messages and the question)
    while size() > budget:
        history = [
            i for i, m in enumerate(messages[:last_user]) if m["role"] in ("user", "assistant")
        ]
        if not history:
            break
        del messages[history[0]]
        last_user -= 1
    # then the oldest tool results, whole (the latest one stays)
    tool_messages = [i for i, m in enumerate(messages) if m["role"] == "tool"]
    for i in tool_messages[:-1]:
        if size() <= budget:
            break
        messages[i] = {**messages[i], "content": NOTICE}
    return size() <= budget
