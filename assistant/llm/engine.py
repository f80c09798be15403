"""The LLM engine (`llm:<model>`): the tool loop writes the answer, the post-check keeps it
honest, and any failure of the model hands the question to the grounded engine.

Failure is a `ModelFailure` (timeout, connection error, 429, 5xx, other HTTP errors,
malformed, cut, truncated, filtered or over-long output, deadline passed, steps exhausted, or
the model busy); the grounded ChatEngine then answers and the response carries
`fallback_reason`. When part of the model's answer had been streamed already, the stream
says so first with an `error` event (not final: the text shown is withdrawn) and the
response, stored and returned, is flagged `interrupted`; the partial text is never stored.
At most `max_concurrent` answers wait on the model at once: a request beyond that is
answered by the grounded engine at once (`model_busy`), so a hanging model holds a bounded
number of worker threads, each no longer than the deadline. Errors of the
request itself (blank message, account out of scope, unknown conversation) are raised as for
the grounded engine.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from typing import Any, TypeVar, cast

from assistant import tracing
from assistant.config import Settings
from assistant.engine.chat import ChatEngine, conversation_state
from assistant.engine.events import (
    CitationEvent,
    DeltaEvent,
    DoneEvent,
    ErrorEvent,
    Event,
    StatusEvent,
)
from assistant.engine.streaming import check_request, response_events
from assistant.engine.types import AnswerCheck, ChatResponse, Fallback
from assistant.llm.client import ModelCaller
from assistant.llm.config import LLMConfig, build_client
from assistant.llm.drafting import DraftKit, GroundedAnswer, LLMDrafter
from assistant.llm.failures import BUSY, ModelFailure
from assistant.llm.loop import LoopResult, ToolLoop
from assistant.llm.postcheck import MARKER, cited, enforce_numbers, support
from assistant.llm.transport import ModelClient
from assistant.principal import Principal
from assistant.prompts import Prompt, default_prompts_dir, load_prompt
from assistant.store.conversations import Turn
from assistant.tools.registry import ToolRegistry

HISTORY_TURNS = 6
T = TypeVar("T")


def answer_prompt(prompts_dir: Path | None = None) -> Prompt:
    """`prompts/answer.md`, validated (ConfigurationError when it is broken)."""
    return load_prompt((prompts_dir or default_prompts_dir()) / "answer.md")


class LLMEngine:
    def __init__(
        self,
        config: LLMConfig,
        client: ModelClient,
        grounded: ChatEngine,
        tools: ToolRegistry,
        *,
        drafts: DraftKit | None = None,
        prompt: Prompt | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.config = config
        self.client = client
        self.grounded = grounded
        self.tools = tools
        self.clock = clock
        self.caller = ModelCaller(client, config, clock=clock)
        self.loop = ToolLoop(self.caller, tools, grounded.search, config.max_steps)
        self.drafter = LLMDrafter(self.caller, drafts) if drafts is not None else None
        self.prompt = prompt or answer_prompt()
        self.slots = threading.BoundedSemaphore(config.max_concurrent)

    @property
    def name(self) -> str:
        return f"llm:{self.config.model}"

    def close(self) -> None:
        self.client.close()

    def check(
        self,
        message: str,
        principal: Principal,
        conversation_id: str | None,
        account_id: str | None,
    ) -> None:
        check_request(self.grounded, message, principal, conversation_id, account_id)

    def chat(
        self,
        message: str,
        principal: Principal,
        conversation_id: str | None = None,
        account_id: str | None = None,
    ) -> ChatResponse:
        for event in self.stream(message, principal, conversation_id, account_id):
            if isinstance(event, DoneEvent):
                return event.response
        raise RuntimeError("the stream ended without a response")  # pragma: no cover

    @tracing.own_context
    def stream(
        self,
        message: str,
        principal: Principal,
        conversation_id: str | None = None,
        account_id: str | None = None,
    ) -> Iterator[Event]:
        """The answer as events, one trace per turn (`assistant.tracing`)."""
        with tracing.turn(message, engine=self.name, conversation_id=conversation_id):
            yield from self._stream(message, principal, conversation_id, account_id)

    def _stream(
        self,
        message: str,
        principal: Principal,
        conversation_id: str | None,
        account_id: str | None,
    ) -> Iterator[Event]:
        started = time.perf_counter()
        deadline = self.clock() + self.config.deadline
        yield StatusEvent(stage="received", message="reading the question", engine=self.name)
        self.check(message, principal, conversation_id, account_id)
        text = message.strip()
        account = principal.require(account_id) if account_id else None
        history = (
            self.grounded.conversations.history(conversation_id, principal.user)
            if conversation_id
            else []
        )
        try:
            job = self.drafter.plan(text, principal, account) if self.drafter else None
            if job is not None:
                tracing.annotate_turn(intent="draft")
        except GroundedAnswer:
            response = self.grounded.chat(message, principal, conversation_id, account_id)
            yield from response_events(response)
            return
        relay = _Relay()
        try:
            with self._model_slot():
                if job is not None and self.drafter is not None:
                    response = yield from relay(self.drafter.run(job, deadline))
                    response.engine = self.name
                else:
                    messages = self._messages(text, history, account)
                    context = self._plan_context(text, principal, history, account)
                    if context is not None:
                        messages.insert(1, {"role": "system", "content": context})
                    result = yield from relay(self.loop.run(messages, principal, deadline))
                    response = self._response(result, text)
        except ModelFailure as failure:
            fallback = Fallback(failure.reason, interrupted=relay.emitted)
            if relay.emitted:  # the client has part of the model's answer: withdraw it
                yield interrupted_error(failure)
            yield StatusEvent(
                stage="fallback",
                message=f"the model failed ({failure.reason}); the grounded engine answers",
                engine="grounded",
                discard=relay.emitted,
            )
            if job is not None and job.fallback is not None:  # the grounded draft
                response = fallback.apply(job.fallback())  # kept only now, when it is the answer
                self._record(conversation_id, principal, text, account_id, response, account)
            else:
                response = self.grounded.chat(
                    message, principal, conversation_id, account_id, fallback=fallback
                )
            yield from response_events(response)
            return
        self._record(conversation_id, principal, text, account_id, response, account)
        response.timings_ms["total"] = round((time.perf_counter() - started) * 1000, 2)
        if job is not None:
            yield from response_events(response)  # a draft is told whole, like the grounded one
            return
        for citation in response.citations:
            yield CitationEvent(**citation.model_dump())
        yield DoneEvent(response=response)

    @contextlib.contextmanager
    def _model_slot(self) -> Iterator[None]:
        """One of the `max_concurrent` places for an answer that waits on the model."""
        if not self.slots.acquire(blocking=False):
            raise ModelFailure(
                BUSY,
                f"{self.config.max_concurrent} answers are waiting on the model already "
                "(ASSISTANT_LLM_MAX_CONCURRENT)",
            )
        try:
            yield
        finally:
            self.slots.release()

    def _messages(
        self, text: str, history: list[Turn], account: str | None
    ) -> list[dict[str, Any]]:
        today = self.tools.context.clock().isoformat()
        system = self.prompt.render(today=today, account_id=account)
        messages: list[dict[str, Any]] = [{"role": "system", "content": system}]
        for turn in history[-HISTORY_TURNS:]:
            if turn.role in ("user", "assistant"):
                # earlier markers numbered other chunks: they must not be cited again
                messages.append({"role": turn.role, "content": MARKER.sub("", turn.content)})
        messages.append({"role": "user", "content": text})
        return messages

    def _plan_context(
        self, text: str, principal: Principal, history: list[Turn], account: str | None
    ) -> str | None:
        """The grounded planner's reading of the question (accounts, people, dates,
        thresholds, follow-up references, suggested tool calls), as context: the model still
        plans through its own tool calls over the same registry."""
        desk = self.grounded.desk
        if desk is None:
            return None
        state = conversation_state(history, principal)
        plan, _ = desk.plan(text, principal, state, account or state.account_id)
        tracing.annotate_turn(intent=plan.intent)
        if plan.scope == "knowledge" and not plan.entities.accounts:
            return None
        summary = json.dumps(plan.summary(), default=str)
        return f"The question as the planner resolved it (use it, verify with tools): {summary}"

    def _response(self, result: LoopResult, question: str) -> ChatResponse:
        """The answer, its figures held to what it cites (a sentence with a figure the
        model was not given is removed or marked, per ASSISTANT_LLM_UNSUPPORTED_NUMBERS)."""
        given = result.given
        with tracing.span("compose", composer="llm") as span:
            citations = [
                given.chunks[n][0] for n in sorted(cited(result.answer)) if n in given.chunks
            ]
            numbers = support(
                [given.chunks[c.n][1] for c in citations] + [question],
                [call.result for call in given.calls],
                result.answer,
            )
            answer, flagged = enforce_numbers(result.answer, numbers, self.config.numbers)
            cited_now = set(cited(answer))
            span.set(
                citations=len(cited_now),
                dropped_citations=len(set(result.dropped)),
                unsupported_numbers=len(flagged),
            )
        return ChatResponse(
            conversation_id="",
            answer=answer,
            citations=[c for c in citations if c.n in cited_now],
            tool_calls=given.calls,
            engine=self.name,
            usage=given.usage.as_payload(self.config.model, self.config.prices),
            check=AnswerCheck(
                dropped_citations=sorted(set(result.dropped)),
                unsupported_numbers=flagged,
            ),
        )

    def _record(
        self,
        conversation_id: str | None,
        principal: Principal,
        text: str,
        account_id: str | None,
        response: ChatResponse,
        about: str | None,
    ) -> None:
        if about is None:  # the account the tools looked at, for a follow-up
            about = next(
                (
                    str(c.arguments["account_id"])
                    for c in reversed(response.tool_calls)
                    if c.arguments.get("account_id")
                ),
                None,
            )
        self.grounded.record_turn(conversation_id, principal, text, account_id, response, about)


def interrupted_error(failure: ModelFailure) -> ErrorEvent:
    """The `error` (not final) for a model that failed after its text was streamed."""
    return ErrorEvent(
        status=502,
        detail=f"the model's answer broke off ({failure.reason}): the text shown so far is "
        "withdrawn; the answer from the knowledge base follows",
        final=False,
        reason=failure.reason,
    )


class _Relay:
    """Passes a generator's events on, noting whether any answer text went out."""

    def __init__(self) -> None:
        self.emitted = False

    def __call__(self, events: Generator[Event, None, T]) -> Generator[Event, None, T]:
        try:
            while True:
                try:
                    event = next(events)
                except StopIteration as stop:
                    return cast(T, stop.value)
                self.emitted = self.emitted or isinstance(event, DeltaEvent)
                yield event
        finally:  # closed by the consumer (the client stopped): the model's stream closes too
            events.close()


def build_llm_engine(
    settings: Settings,
    grounded: ChatEngine,
    tools: ToolRegistry,
    drafts: DraftKit | None = None,
) -> LLMEngine | None:
    """The LLM engine when a model is configured (`ASSISTANT_LLM_MODEL`), else None. The
    answer prompt is loaded and validated here, at start-up."""
    config = LLMConfig.from_settings(settings)
    if config is None:
        return None
    prompt = answer_prompt(settings.prompts_dir)
    return LLMEngine(config, build_client(config), grounded, tools, drafts=drafts, prompt=prompt)
