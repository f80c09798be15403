"""How every field of a draft shows what it rests on: `Evidenced[T]`.

A draft is filled from two kinds of evidence only, and says so field by field:

    Evidenced[T]
      value        the value; null when the data does not hold it
      citations    markers n of the draft's `citations` (knowledge chunks that state it)
      tools        names of the draft's `tool_calls` whose result it was read from
      needs_input  true when a person has to supply the value (it is then null)
      note         the rule a derived value follows, or what input is needed and why

Invariant (validated on every model): a field that needs input holds no value and says
what is needed; a field with a value rests on at least one citation or one tool call. The
draft itself checks that every marker and tool name resolves (`DraftBase`). Labels that the
template supplies (section names, milestone names, MEDDICC field names) are plain strings:
they are the template's words, not claims about the customer.

The `Ledger` collects the evidence while a draft is built: it runs tools through the
registry (the principal's scope applies), numbers the chunks it cites, and hands out the
`Evidenced` values.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, Self, TypeVar

from pydantic import BaseModel, ConfigDict, Field, model_validator

from assistant.engine.types import Citation, ToolCall
from assistant.principal import Principal
from assistant.retrieval.lexical import StoredChunk
from assistant.tools.base import ToolResult
from assistant.tools.registry import ToolRegistry

T = TypeVar("T")
R = TypeVar("R", bound=ToolResult)
SNIPPET_CHARS = 280


class Evidenced(BaseModel, Generic[T]):
    """One field of a draft and the evidence it rests on (see the module docstring)."""

    model_config = ConfigDict(extra="forbid")

    value: T | None = None
    citations: list[int] = Field(default_factory=list, description="citation markers [n]")
    tools: list[str] = Field(default_factory=list, description="tool calls it was read from")
    needs_input: bool = Field(default=False, description="a person must supply the value")
    note: str | None = Field(default=None, description="the rule followed, or the input needed")

    @model_validator(mode="after")
    def _grounded(self) -> Self:
        if self.needs_input:
            if self.value is not None:
                raise ValueError("a field that needs input must not hold a value")
            if not self.note:
                raise ValueError("a field that needs input must say what is needed (note)")
        else:
            if self.value is None:
                raise ValueError("a field without a value must be marked needs_input")
            if not (self.citations or self.tools):
                raise ValueError("a value must rest on a citation or a tool call")
        return self


def known(
    value: T,
    *,
    tools: Sequence[str] = (),
    citations: Sequence[int] = (),
    note: str | None = None,
) -> Evidenced[T]:
    return Evidenced[Any](
        value=value, tools=list(tools), citations=sorted(set(citations)), note=note
    )


def needed(
    note: str, *, tools: Sequence[str] = (), citations: Sequence[int] = ()
) -> Evidenced[Any]:
    return Evidenced[Any](
        needs_input=True, note=note, tools=list(tools), citations=sorted(set(citations))
    )


def walk(value: object, path: str = "") -> Iterator[tuple[str, Evidenced[Any]]]:
    """Every `Evidenced` inside a model (depth first), with its dotted path."""
    if isinstance(value, Evidenced):
        yield path, value
        return
    if isinstance(value, BaseModel):
        for name in type(value).model_fields:
            yield from walk(getattr(value, name), f"{path}.{name}" if path else name)
    elif isinstance(value, list | tuple):
        for n, item in enumerate(value):
            yield from walk(item, f"{path}[{n}]")


@dataclass(frozen=True)
class Quote:
    """A sentence quoted from a knowledge chunk."""

    text: str
    chunk: StoredChunk


@dataclass
class Ledger:
    """The tool calls and citations of one draft, in the order they were first used."""

    registry: ToolRegistry
    principal: Principal
    calls: list[ToolCall] = field(default_factory=list)
    citations: list[Citation] = field(default_factory=list)
    _results: dict[str, ToolResult] = field(default_factory=dict)
    _arguments: dict[str, dict[str, Any]] = field(default_factory=dict)

    def run(self, kind: type[R], name: str, **arguments: Any) -> R:
        """Run a tool once per draft: fields name their tool, so a second call must ask the
        same (it reuses the result); other arguments are a builder error."""
        cached = self._results.get(name)
        if cached is None:
            cached, record = self.registry.run(name, arguments, self.principal)
            self._results[name] = cached
            self._arguments[name] = arguments
            self.calls.append(record)
        elif self._arguments[name] != arguments:
            raise ValueError(f"{name} was already called with {self._arguments[name]}")
        assert isinstance(cached, kind)
        return cached

    def record(self, call: ToolCall) -> str:
        """Add a record made outside the registry (a store read with its provenance)."""
        if all(c.name != call.name for c in self.calls):
            self.calls.append(call)
        return call.name

    def cite(self, chunk: StoredChunk) -> int:
        for citation in self.citations:
            if citation.chunk_id == chunk.id:
                return citation.n
        flat = " ".join(chunk.text.split())
        snippet = flat if len(flat) <= SNIPPET_CHARS else flat[: SNIPPET_CHARS - 1] + "…"
        n = len(self.citations) + 1
        self.citations.append(
            Citation(
                n=n,
                chunk_id=chunk.id,
                source=str(chunk.metadata.get("source", "")),
                title=str(chunk.metadata.get("title", "")),
                section=str(chunk.metadata.get("section", "")),
                snippet=snippet,
                score=1.0,
            )
        )
        return n

    def quoted(
        self, quotes: Sequence[Quote], *, tools: Sequence[str] = (), missing: str = ""
    ) -> Evidenced[str]:
        """The quotes as one value citing their chunks; needs input when there are none."""
        if not quotes:
            return needed(missing or "no guidance found in the knowledge base", tools=tools)
        marks = [self.cite(q.chunk) for q in quotes]
        return known(" ".join(q.text for q in quotes), citations=marks, tools=tools)
