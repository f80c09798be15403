"""The model's settings as one frozen value (`LLMConfig`, from `ASSISTANT_LLM_*`), and the
client they build: the provider's SDK client, its own retries off, with the request shape
its endpoint needs (`providers`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from assistant.config import Settings
from assistant.llm.providers import Shape, build_sdk
from assistant.llm.transport import ModelClient


@dataclass(frozen=True)
class LLMConfig:
    model: str
    base_url: str | None = None
    api_key: str | None = None
    request_timeout: float = 30.0  # one HTTP attempt (connect, and each read)
    deadline: float = 60.0  # the whole answer: every step, retry and wait
    retries: int = 1
    temperature: float = 0.2
    max_steps: int = 6
    stream: bool = True  # stream tokens from the model (off for servers that cannot)
    max_tokens: int = 4096  # sent with every call
    max_answer_chars: int = 20_000  # a longer reply is refused
    max_retry_wait: float = 2.0  # the longest wait before a retry (Retry-After included)
    max_concurrent: int = 8  # answers waiting on the model at once; more answer grounded
    # providers, usage, budget, numbers (issue 16)
    provider: str = "other"
    api_version: str = "2024-10-21"
    reasoning: bool = False  # no sampling parameters; max_completion_tokens
    context_tokens: int = 32_768
    tool_calls: str = "auto"  # auto | native | text
    tool_choice: str | None = None
    parallel_tool_calls: bool | None = None
    json_schema: bool = True
    prices: dict[str, tuple[float, float]] = field(default_factory=dict)
    numbers: str = "mark"  # remove | mark | flag

    @property
    def prompt_budget(self) -> int:
        """Tokens a prompt may take: the context less the reply's room."""
        return max(self.context_tokens - self.max_tokens, self.context_tokens // 4)

    @classmethod
    def from_settings(cls, settings: Settings) -> LLMConfig | None:
        """None unless a model is configured (then the engine is `llm:<model>`)."""
        if not settings.llm_model:
            return None
        key = settings.llm_api_key
        return cls(
            model=settings.llm_model,
            base_url=settings.llm_base_url,
            api_key=key.get_secret_value() if key is not None else None,
            request_timeout=settings.llm_request_timeout,
            deadline=settings.llm_deadline,
            retries=settings.llm_retries,
            temperature=settings.llm_temperature,
            max_steps=settings.llm_max_steps,
            stream=settings.llm_stream,
            max_tokens=settings.llm_max_tokens,
            max_answer_chars=settings.llm_max_answer_chars,
            max_retry_wait=settings.llm_max_retry_wait,
            max_concurrent=settings.llm_max_concurrent,
            provider=settings.llm_provider,
            api_version=settings.llm_api_version,
            reasoning=settings.llm_reasoning,
            context_tokens=settings.llm_context_tokens,
            tool_calls=settings.llm_tool_calls,
            tool_choice=settings.llm_tool_choice,
            parallel_tool_calls=settings.llm_parallel_tool_calls,
            json_schema=settings.llm_json_schema,
            prices=dict(settings.llm_prices),
            numbers=settings.llm_unsupported_numbers,
        )


def build_client(config: LLMConfig) -> ModelClient:
    """The provider's SDK client (its own retries off) and the request shape it needs."""
    sdk = build_sdk(
        config.provider,
        config.base_url,
        config.api_key,
        config.api_version,
        config.request_timeout,
    )
    shape = Shape(
        provider=config.provider,
        reasoning=config.reasoning,
        context_tokens=config.context_tokens,
        tool_choice=config.tool_choice,
        parallel_tool_calls=config.parallel_tool_calls,
    )
    if config.tool_calls == "text":
        shape.dropped.add("tools")
    return ModelClient(sdk, shape)
