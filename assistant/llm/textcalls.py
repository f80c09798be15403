"""Tool calls written as text, for endpoints without native tool calling (vLLM without
`--enable-auto-tool-choice`, llama.cpp without `--jinja`, small local models): the three
common formats are read from the reply's content.

    Hermes / Qwen   <tool_call>{"name": "t", "arguments": {...}}</tool_call>   (one or more)
    Mistral         [TOOL_CALLS] [{"name": "t", "arguments": {...}}, ...]
                    [TOOL_CALLS]t[ARGS]{...}                                  (v11 tokenizer)
    Llama 3.x       <|python_tag|>{"name": "t", "parameters": {...}}
                    {"name": "t", "parameters": {...}}          (the whole reply, JSON only)
                    <function=t>{...}</function>

Only calls of tools that were offered count; anything else stays text. `TextCallGuard`
holds back streamed text that may be the start of a call, so call syntax never reaches the
user as answer text. `tools_prompt` describes the tools in the Hermes format when they
cannot be sent natively, and `text_messages` rewrites the conversation for such an endpoint
(earlier calls as <tool_call> text, results as <tool_response> user messages).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

_HERMES = re.compile(r"<tool_call>\s*(.*?)\s*(?:</tool_call>|$)", re.S)
_MISTRAL = re.compile(r"\[TOOL_CALLS\]\s*(.*)$", re.S)
_MISTRAL_V11 = re.compile(
    r"([A-Za-z_][\w.-]*)\[ARGS\]\s*(\{.*?\})(?=\s*(?:\[TOOL_CALLS\]|$))", re.S
)
_PYTHON_TAG = re.compile(r"<\|python_tag\|>\s*(.*?)\s*(?:<\|eom_id\|>|<\|eot_id\|>|$)", re.S)
_FUNCTION = re.compile(r"<function=([\w.-]+)>\s*(\{.*?\})\s*</function>", re.S)
OPENERS = ("<tool_call>", "[TOOL_CALLS]", "<|python_tag|>", "<function=")


@dataclass(frozen=True)
class TextCall:
    name: str
    arguments: str  # JSON text


def parse_text_calls(content: str, known: Iterable[str]) -> tuple[str, list[TextCall]]:
    """(the text outside the calls, the calls) of a reply; no calls when none of the
    formats holds a call of a known tool."""
    names = set(known)
    for finder in (_hermes, _mistral, _python_tag, _function, _bare):
        found = finder(content)
        if found is None:
            continue
        text, raw = found
        calls = [c for c in (_call(item) for item in raw) if c is not None and c.name in names]
        if calls:
            return text.strip(), calls
    return content, []


def _hermes(content: str) -> tuple[str, list[Any]] | None:
    if "<tool_call>" not in content:
        return None
    items = [_loads(m.group(1)) for m in _HERMES.finditer(content)]
    return content[: content.index("<tool_call>")], items


def _mistral(content: str) -> tuple[str, list[Any]] | None:
    match = _MISTRAL.search(content)
    if match is None:
        return None
    body = match.group(1).strip()
    text = content[: match.start()]
    if body.startswith("[") or body.startswith("{"):
        data = _loads(body)
        return text, data if isinstance(data, list) else [data]
    items = [
        {"name": m.group(1), "arguments": _loads(m.group(2))}
        for m in _MISTRAL_V11.finditer(content[match.start() :].replace("[TOOL_CALLS]", "\n"))
    ]
    return text, items


def _python_tag(content: str) -> tuple[str, list[Any]] | None:
    match = _PYTHON_TAG.search(content)
    if match is None:
        return None
    body = match.group(1)
    items = [_loads(line) for line in re.split(r";\s*(?=\{)|\n(?=\{)", body) if line.strip()]
    return content[: match.start()], items


def _function(content: str) -> tuple[str, list[Any]] | None:
    matches = list(_FUNCTION.finditer(content))
    if not matches:
        return None
    items = [{"name": m.group(1), "arguments": _loads(m.group(2))} for m in matches]
    return content[: matches[0].start()], items


def _bare(content: str) -> tuple[str, list[Any]] | None:
    body = re.sub(r"^```(?:json)?\s*|\s*```$", "", content.strip())
    if not body.startswith(("{", "[")):
        return None
    data = _loads(body)
    return "", data if isinstance(data, list) else [data]


def _loads(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return None


def _call(item: Any) -> TextCall | None:
    if not isinstance(item, dict):
        return None
    if isinstance(item.get("function"), dict):  # {"type": "function", "function": {...}}
        item = item["function"]
    name = item.get("name")
    arguments = item.get("arguments", item.get("parameters", {}))
    if not isinstance(name, str):
        return None
    if isinstance(arguments, str):
        return TextCall(name, arguments)
    return TextCall(name, json.dumps(arguments if arguments is not None else {}))


class TextCallGuard:
    """Streamed text, released only once it cannot be (the start of) a text tool call."""

    def __init__(self) -> None:
        self._held = ""
        self.holding = False  # a call began: nothing more is released this turn

    def feed(self, piece: str) -> str:
        if self.holding:
            self._held += piece
            return ""
        self._held += piece
        text = self._held
        stripped = text.lstrip()
        if stripped and stripped[0] in "{[`" and not _released_json(stripped):
            self.holding = True  # a reply that opens as JSON may be a bare call
            return ""
        for opener in OPENERS:
            at = text.find(opener)
            if at != -1:
                self.holding = True
                ready, self._held = text[:at], text[at:]
                return ready
        # keep a tail that could be the start of an opener
        keep = max((_overlap(text, opener) for opener in OPENERS), default=0)
        ready, self._held = text[: len(text) - keep], text[len(text) - keep :]
        return ready

    def flush(self) -> str:
        """What was held, at the end of a turn that turned out to hold no call."""
        held, self._held, self.holding = self._held, "", False
        return held


def _released_json(text: str) -> bool:
    """A reply opening with "[" that is a Markdown link or a marker, not JSON."""
    return text[0] == "[" and not text.startswith(("[{", "[TOOL", "[ {", "[\n"))


def _overlap(text: str, opener: str) -> int:
    for size in range(min(len(opener) - 1, len(text)), 0, -1):
        if text.endswith(opener[:size]):
            return size
    return 0


def tools_prompt(schemas: list[dict[str, Any]]) -> str:
    """The tools described in the prompt (Hermes format), for an endpoint that takes none."""
    listed = "\n".join(json.dumps({"type": "function", "function": s}) for s in schemas)
    return (
        "You can call tools. Their signatures, one JSON object per line:\n<tools>\n"
        f"{listed}\n</tools>\n"
        "To call a tool, reply with nothing but one or more blocks\n"
        '<tool_call>{"name": "<tool name>", "arguments": {<arguments as JSON>}}</tool_call>\n'
        "The results come back inside <tool_response> blocks. When you have what you need, "
        "answer in plain text without any <tool_call> block."
    )


def tool_response(name: str, content: str) -> str:
    return f'<tool_response name="{name}">\n{content}\n</tool_response>'


def text_messages(
    messages: list[dict[str, Any]], tools: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The conversation for an endpoint without native tools: the tools described in the
    first system message, earlier calls as <tool_call> text, results as <tool_response>."""
    out: list[dict[str, Any]] = []
    names = {
        call["id"]: call["function"]["name"]
        for message in messages
        for call in message.get("tool_calls") or []
    }
    for message in messages:
        role = message["role"]
        if role == "assistant" and message.get("tool_calls"):
            blocks = [
                "<tool_call>"
                + json.dumps(
                    {
                        "name": c["function"]["name"],
                        "arguments": _loads_or_text(c["function"]["arguments"]),
                    }
                )
                + "</tool_call>"
                for c in message["tool_calls"]
            ]
            text = "\n".join([message.get("content") or "", *blocks]).strip()
            out.append({"role": "assistant", "content": text})
        elif role == "tool":
            name = names.get(message.get("tool_call_id", ""), "tool")
            response = tool_response(name, str(message["content"]))
            if out and out[-1]["role"] == "user" and out[-1].get("tool_results"):
                out[-1]["content"] += "\n" + response
            else:
                out.append({"role": "user", "content": response, "tool_results": True})
        else:
            out.append(dict(message))
    for message in out:
        message.pop("tool_results", None)
    if tools:
        described = tools_prompt(tools)
        if out and out[0]["role"] == "system":
            out[0] = {**out[0], "content": f"{out[0]['content']}\n\n{described}"}
        else:
            out.insert(0, {"role": "system", "content": described})
    return out


def _loads_or_text(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text
