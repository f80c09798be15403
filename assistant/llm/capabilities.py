"""What an endpoint supports, found by asking it (`assistant llm check`): native tool calls,
streaming, token usage (plain and streamed), JSON-schema output, sampling parameters.

Each probe is one small request through the same client, request shape and tool-call
parsing the engine uses, so what it reports is what the engine will meet. Every missing
capability comes with what to do about it (a setting, a server flag, another model).
"""

from __future__ import annotations

import dataclasses
import json
import time
from dataclasses import dataclass
from typing import Any

from assistant.llm.client import ModelCaller
from assistant.llm.config import LLMConfig, build_client
from assistant.llm.failures import CONNECTION, HTTP_ERROR, ModelFailure
from assistant.llm.providers import endpoint_url
from assistant.llm.turns import ModelTurn

PING: dict[str, Any] = {
    "name": "ping",
    "description": "Echo a value back. Call it whenever you are asked to ping.",
    "parameters": {
        "type": "object",
        "properties": {"value": {"type": "string", "description": "the value to echo"}},
        "required": ["value"],
    },
}
ANSWER_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"answer": {"type": "integer"}},
    "required": ["answer"],
    "additionalProperties": False,
}
_SYSTEM = {"role": "system", "content": "You are a capability probe. Follow the instructions."}


@dataclass(frozen=True)
class Capability:
    name: str
    ok: bool
    message: str

    def line(self) -> str:
        return f"{self.name:<13} {'yes' if self.ok else 'NO '}  {self.message}"


@dataclass
class Report:
    endpoint: str
    capabilities: list[Capability]
    reachable: bool = True

    @property
    def ok(self) -> bool:
        return self.reachable and all(c.ok for c in self.capabilities)

    def lines(self) -> list[str]:
        return [f"endpoint: {self.endpoint}", *(c.line() for c in self.capabilities)]


def check_endpoint(config: LLMConfig) -> Report:
    url = endpoint_url(config.provider, config.base_url)
    default = "" if config.base_url else " (the provider's default)"
    endpoint = f"{config.provider} {url}{default} model {config.model}"
    client = build_client(dataclasses.replace(config, tool_calls="auto"))
    if config.tool_calls == "text":
        client.shape.dropped.discard("tools")  # probe native tools even when set to text
    plain = ModelCaller(client, dataclasses.replace(config, stream=False, retries=0))
    streamed = ModelCaller(client, dataclasses.replace(config, stream=True, retries=0))
    found: list[Capability] = []
    try:
        tools_turn = _ask(plain, "Call the tool ping with the value 42.", [PING])
    except ModelFailure as failure:
        if failure.reason == CONNECTION or _auth(failure):
            client.close()
            return Report(endpoint, [Capability("endpoint", False, failure.detail)], False)
        found.append(Capability("tools", False, f"the request failed: {failure.detail}"))
        tools_turn = None
    if tools_turn is not None:
        found.append(_tools(tools_turn, "tools" in client.shape.dropped))
        found.append(_usage("usage", tools_turn))
    found.append(_sampling(client.shape.dropped, config))
    try:
        turn = _ask(streamed, "Reply with the single word OK.", [])
        found.append(Capability("streaming", True, "tokens stream, finish_reason read"))
        found.append(_usage("stream usage", turn, streamed=True))
    except ModelFailure as failure:
        found.append(
            Capability(
                "streaming",
                False,
                f"{failure.detail}; set ASSISTANT_LLM_STREAM=false (answers arrive whole)",
            )
        )
    found.append(_json_schema(plain))
    client.close()
    return Report(endpoint, found)


def _ask(
    caller: ModelCaller,
    question: str,
    tools: list[dict[str, Any]],
    response_format: dict[str, Any] | None = None,
) -> ModelTurn:
    messages = [_SYSTEM, {"role": "user", "content": question}]
    stream = caller.turn(
        messages, tools, time.monotonic() + caller.config.deadline, response_format
    )
    while True:
        try:
            next(stream)
        except StopIteration as stop:
            turn: ModelTurn = stop.value
            return turn


def _auth(failure: ModelFailure) -> bool:
    return failure.reason == HTTP_ERROR and (
        "HTTP 401" in failure.detail or "HTTP 403" in failure.detail
    )


def _tools(turn: ModelTurn, rejected: bool) -> Capability:
    if turn.calls and not turn.text_calls:
        return Capability("tools", True, "native tool calls")
    hint = (
        "vLLM: --enable-auto-tool-choice --tool-call-parser <hermes|llama3_json|mistral>; "
        "llama.cpp: --jinja; or set ASSISTANT_LLM_TOOL_CALLS=text"
    )
    if turn.calls:
        why = "the endpoint rejects `tools`" if rejected else "no native tool calls"
        return Capability(
            "tools",
            False,
            f"{why}; the model writes calls as text, which the text parser reads ({hint})",
        )
    why = "the endpoint rejects `tools` and " if rejected else ""
    return Capability(
        "tools",
        False,
        f"{why}the model answered in text instead of calling the tool: use a model trained "
        f"for tool calling ({hint})",
    )


def _usage(name: str, turn: ModelTurn, streamed: bool = False) -> Capability:
    if not turn.usage.estimated:
        return Capability(name, True, f"{turn.usage.prompt_tokens} tokens in, "
                          f"{turn.usage.completion_tokens} out")  # fmt: skip
    where = "in a stream (stream_options.include_usage)" if streamed else "in the reply"
    return Capability(name, False, f"no usage {where}: tokens and cost are estimated")


def _sampling(dropped: set[str], config: LLMConfig) -> Capability:
    rejected = sorted(dropped & {"temperature", "max_tokens"})
    if not rejected:
        sent = "max_completion_tokens" if config.reasoning else "temperature, max_tokens"
        return Capability("sampling", True, f"accepts {sent}")
    return Capability(
        "sampling",
        False,
        f"the model rejects {', '.join(rejected)} (a reasoning model): set "
        "ASSISTANT_LLM_REASONING=true (they are dropped at run time meanwhile)",
    )


def _json_schema(caller: ModelCaller) -> Capability:
    schema = {"type": "json_schema", "json_schema": {"name": "probe", "schema": ANSWER_SCHEMA}}
    try:
        turn = _ask(caller, 'What is 6 times 7? Reply as JSON: {"answer": <integer>}.', [], schema)
    except ModelFailure as failure:
        return Capability("json schema", False, f"the request failed: {failure.detail}")
    if "response_format" in caller.shape.dropped:
        return Capability(
            "json schema",
            False,
            "the endpoint rejects response_format: drafts ask for JSON in the text "
            "(ASSISTANT_LLM_JSON_SCHEMA=false skips the attempt)",
        )
    try:
        data = json.loads(turn.content)
    except json.JSONDecodeError:
        data = None
    if isinstance(data, dict) and isinstance(data.get("answer"), int):
        return Capability("json schema", True, "response_format json_schema followed")
    return Capability(
        "json schema",
        False,
        "response_format is accepted but the reply does not follow the schema "
        "(drafts are validated and repaired once, else the grounded draft)",
    )
