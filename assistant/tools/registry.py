"""One registry of tools: JSON schemas for a model, and `call` for any caller.

A tool is a typed function `(context, input model, principal) -> result model`; its
docstring is the description a model sees. `call` validates the arguments with the input
model (InvalidInputError when they do not fit) and lets the tool's own errors through
(PermissionDeniedError out of scope, NotFoundError for unknown records).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, get_type_hints

from pydantic import BaseModel, ValidationError

from assistant import tracing
from assistant.engine.types import ToolCall
from assistant.errors import InvalidInputError
from assistant.principal import Principal
from assistant.store.records import describe
from assistant.tools.base import ToolContext, ToolInput, ToolResult

ToolFunction = Callable[[ToolContext, Any, Principal], ToolResult]


@dataclass(frozen=True)
class Tool:
    name: str
    function: ToolFunction
    input_model: type[ToolInput]
    output_model: type[ToolResult]

    @classmethod
    def of(cls, function: ToolFunction) -> Tool:
        hints = get_type_hints(function)
        return cls(function.__name__, function, hints["args"], hints["return"])

    @property
    def description(self) -> str:
        return inspect.getdoc(self.function) or self.name

    def invoke(self, context: ToolContext, args: ToolInput, principal: Principal) -> ToolResult:
        """Run the tool (its `tool.call` span around it)."""
        with tracing.span("tool.call", tool=self.name) as span:
            result = self.function(context, args, principal)
            span.set(ok=True)
            return result

    def schema(self) -> dict[str, Any]:
        """name, description and JSON-schema parameters (the OpenAI function format)."""
        parameters = self.input_model.model_json_schema()
        parameters.pop("title", None)
        _compact(parameters)
        return {"name": self.name, "description": self.description, "parameters": parameters}


def _compact(schema: dict[str, Any]) -> None:
    """Shorten the schema the model reads, meaning unchanged: drop pydantic's generated
    titles (the property name in Title Case), and write an optional property that defaults
    to null as its plain type (it is optional already: not in `required`). The tool's input
    model still validates every call, null included."""
    for group in ("properties", "$defs"):
        for node in schema.get(group, {}).values():
            if not isinstance(node, dict):
                continue
            node.pop("title", None)
            options = node.get("anyOf")
            if (
                isinstance(options, list)
                and len(options) == 2
                and {"type": "null"} in options
                and "default" in node
                and node["default"] is None
            ):
                del node["anyOf"], node["default"]
                node.update(next(o for o in options if o != {"type": "null"}))
            _compact(node)


class ToolRegistry:
    def __init__(self, context: ToolContext, tools: Iterable[ToolFunction]) -> None:
        self.context = context
        self.tools = {tool.name: tool for tool in map(Tool.of, tools)}

    def schemas(self) -> list[dict[str, Any]]:
        return [tool.schema() for tool in self.tools.values()]

    def tool(self, name: str) -> Tool:
        tool = self.tools.get(name)
        if tool is None:
            raise InvalidInputError(
                f"unknown tool '{name}'; tools: {', '.join(sorted(self.tools))}"
            )
        return tool

    def validate(self, name: str, arguments: dict[str, Any]) -> ToolInput:
        tool = self.tool(name)
        try:
            return tool.input_model.model_validate(arguments)
        except ValidationError as error:
            raise InvalidInputError(f"bad arguments for {name}: {describe(error)}") from error

    def call(self, name: str, arguments: dict[str, Any], principal: Principal) -> ToolResult:
        args = self.validate(name, arguments)
        return self.tools[name].invoke(self.context, args, principal)

    def run(
        self, name: str, arguments: dict[str, Any], principal: Principal
    ) -> tuple[ToolResult, ToolCall]:
        """Call a tool; the typed result and its record as responses show it."""
        args = self.validate(name, arguments)
        result = self.tools[name].invoke(self.context, args, principal)
        return result, to_call(name, args, result)


def to_call(name: str, args: BaseModel, result: ToolResult) -> ToolCall:
    return ToolCall(
        name=name,
        arguments=args.model_dump(mode="json", exclude_none=True),
        result=result.model_dump(mode="json"),
        as_of=result.as_of.isoformat(),
        source=", ".join(result.source),
    )
