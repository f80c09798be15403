"""The optional LLM judge (`assistant eval --judge`): model-graded faithfulness and answer
relevance, with the configured LLM (`ASSISTANT_LLM_MODEL`). Never required, never in CI.

    judge_faithfulness  supported / statements, as the model counts them against the evidence
                        (the cited chunks and the tool calls)
    judge_relevance     the model's 1-5 relevance grade, scaled to 0..1

The prompts are data: `prompts/judge_faithfulness.md` and `prompts/judge_relevance.md`. A
reply that cannot be read, or a model failure, leaves the metric out for that case and says
why in the case's details (`judge_error`).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from assistant.config import Settings
from assistant.engine.types import ChatResponse
from assistant.errors import ConfigurationError
from assistant.evaluation.suite import Case
from assistant.llm.client import ModelCaller
from assistant.llm.config import LLMConfig, build_client
from assistant.llm.failures import ModelFailure
from assistant.prompts import Prompt, default_prompts_dir, load_prompt

PROMPTS = ("judge_faithfulness", "judge_relevance")
_OBJECT = re.compile(r"\{.*\}", re.S)
EVIDENCE_CHARS = 12_000


def parse_verdict(text: str) -> dict[str, Any]:
    """The JSON object of a reply (a ```json fence or text around it is tolerated)."""
    match = _OBJECT.search(text)
    if match is None:
        raise ValueError("the reply holds no JSON object")
    value = json.loads(match.group())
    if not isinstance(value, dict):
        raise ValueError("the reply is not a JSON object")
    return value


def faithfulness_score(verdict: dict[str, Any]) -> float:
    """supported / statements (1.0 for an answer without statements)."""
    statements, supported = int(verdict["statements"]), int(verdict["supported"])
    if statements < 0 or not 0 <= supported <= statements:
        raise ValueError(f"inconsistent counts: {supported} of {statements}")
    return 1.0 if statements == 0 else supported / statements


def relevance_score(verdict: dict[str, Any]) -> float:
    """The 1-5 grade scaled to 0..1."""
    grade = float(verdict["score"])
    if not 1 <= grade <= 5:
        raise ValueError(f"grade {grade} is not between 1 and 5")
    return (grade - 1) / 4


class Judge:
    def __init__(
        self, caller: ModelCaller, prompts: dict[str, Prompt], deadline: float = 60.0
    ) -> None:
        self.caller = caller
        self.prompts = prompts
        self.deadline = deadline

    @classmethod
    def from_settings(cls, settings: Settings) -> Judge:
        config = LLMConfig.from_settings(settings)
        if config is None:
            raise ConfigurationError("no LLM configured: set ASSISTANT_LLM_MODEL")
        folder = settings.prompts_dir or default_prompts_dir()
        prompts = {name: load_prompt(Path(folder) / f"{name}.md") for name in PROMPTS}
        return cls(ModelCaller(build_client(config), config), prompts, config.deadline)

    def close(self) -> None:
        self.caller.client.close()

    def _ask(self, prompt: str, **variables: str) -> dict[str, Any]:
        text = self.prompts[prompt].render(**variables)
        turns = self.caller.turn(
            [{"role": "user", "content": text}], [], time.monotonic() + self.deadline
        )
        while True:
            try:
                next(turns)
            except StopIteration as done:
                return parse_verdict(done.value.content)

    def __call__(
        self, case: Case, response: ChatResponse, evidence: Sequence[str]
    ) -> tuple[dict[str, float], dict[str, Any]]:
        """The judge's scores of one answer, and what went wrong when a score is missing."""
        scores: dict[str, float] = {}
        notes: dict[str, Any] = {}
        joined = "\n\n".join(evidence)[:EVIDENCE_CHARS] or "(no evidence)"
        asks = [
            ("judge_faithfulness", faithfulness_score, {"evidence": joined}),
            ("judge_relevance", relevance_score, {}),
        ]
        for name, score, extra in asks:
            try:
                verdict = self._ask(name, question=case.ask, answer=response.answer, **extra)
                scores[name] = score(verdict)
                if name == "judge_faithfulness" and verdict.get("unsupported"):
                    notes["judge_unsupported"] = verdict["unsupported"]
            except (ModelFailure, ValueError, KeyError, TypeError) as error:
                notes.setdefault("judge_error", []).append(f"{name}: {error}")
        return scores, notes
