"""Tokens in and out of the model calls of one answer, and what they cost.

The count is the endpoint's own (`usage`, in a stream through
`stream_options.include_usage`); an endpoint that reports none gets an estimate from the
text sizes, marked `estimated`. The cost comes from the per-model price table in settings
(`ASSISTANT_LLM_PRICES`, USD per million tokens in and out); a model not in it costs None.
The turn keeps `as_payload()` in its stored payload (`payload["usage"]`).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0
    calls: int = 0
    estimated: bool = False

    def add(self, other: Usage) -> None:
        self.prompt_tokens += other.prompt_tokens
        self.completion_tokens += other.completion_tokens
        self.calls += other.calls
        self.estimated = self.estimated or other.estimated

    def cost(self, model: str, prices: dict[str, tuple[float, float]]) -> float | None:
        price = prices.get(model)
        if price is None:
            return None
        cost = self.prompt_tokens * price[0] + self.completion_tokens * price[1]
        return round(cost / 1_000_000, 6)

    def as_payload(self, model: str, prices: dict[str, tuple[float, float]]) -> dict[str, object]:
        return {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "cost_usd": self.cost(model, prices),
            "calls": self.calls,
            "estimated": self.estimated,
            "model": model,
        }
