"""Providers as settings, not code paths: the client, headers and request shape each kind of
OpenAI-compatible endpoint needs (`ASSISTANT_LLM_PROVIDER`).

    provider   client             default base URL            request
    openai     AsyncOpenAI        https://api.openai.com/v1   as is
    azure      AsyncAzureOpenAI   (the resource endpoint)     /openai/deployments/<model>/...
                                                              ?api-version=..., `api-key` header
    ollama     AsyncOpenAI        http://localhost:11434/v1   options.num_ctx sized to the prompt
    vllm       AsyncOpenAI        http://localhost:8000/v1    as is
    llamacpp   AsyncOpenAI        http://localhost:8080/v1    as is
    lmstudio   AsyncOpenAI        http://localhost:1234/v1    as is
    other      AsyncOpenAI        https://api.openai.com/v1   as is
                                  (set ASSISTANT_LLM_BASE_URL)

`ASSISTANT_LLM_BASE_URL` replaces the default; the SDK's own environment variables
(`OPENAI_BASE_URL`) are not read, so the URL shown by `assistant llm check` is the one used.

A reasoning model (`ASSISTANT_LLM_REASONING`) gets no sampling parameters and
`max_completion_tokens` instead of `max_tokens`. `Shape` also learns at run time: a 400 that
names a parameter the endpoint does not accept (`temperature`, `max_tokens`,
`stream_options`, `parallel_tool_calls`, `tool_choice`, `response_format`, `tools`) drops
that parameter for every later call of this client, and the call is sent again at once.
"""

from __future__ import annotations

import json
import math
import re
import threading
from dataclasses import dataclass, field
from typing import Any

import openai

from assistant.errors import ConfigurationError

PROVIDERS = ("openai", "azure", "ollama", "vllm", "llamacpp", "lmstudio", "other")
OPENAI_URL = "https://api.openai.com/v1"
DEFAULT_URLS = {
    "openai": OPENAI_URL,
    "ollama": "http://localhost:11434/v1",
    "vllm": "http://localhost:8000/v1",
    "llamacpp": "http://localhost:8080/v1",
    "lmstudio": "http://localhost:1234/v1",
    "other": OPENAI_URL,
}  # azure has none: its URL is the resource's own endpoint
CHARS_PER_TOKEN = 3.5  # a cautious estimate (English prose is ~4; JSON and ids fewer)
_NUM_CTX_STEP = 2048
# what a 400 may reject, the words it names it by, and what is sent instead
_DROPPABLE: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("temperature", re.compile(r"\btemperature\b|\btop_p\b|sampling", re.I)),
    ("max_tokens", re.compile(r"\bmax_tokens\b", re.I)),
    ("stream_options", re.compile(r"\bstream_options\b|include_usage", re.I)),
    ("parallel_tool_calls", re.compile(r"\bparallel_tool_calls\b", re.I)),
    ("tool_choice", re.compile(r"\btool_choice\b|auto-tool-choice", re.I)),
    ("response_format", re.compile(r"\bresponse_format\b|json_schema", re.I)),
    (
        "tools",
        re.compile(
            r"\btools\b|\btool choice\b|--jinja|function calling|"
            r"tool[_ ]?call(s|ing)? (is |are )?not supported",
            re.I,
        ),
    ),
)


def estimate_tokens(value: Any) -> int:
    """Tokens a prompt (messages, tools) takes, estimated from its JSON size."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return math.ceil(len(text) / CHARS_PER_TOKEN)


@dataclass
class Shape:
    """How requests are shaped for this endpoint; `dropped` grows as the endpoint rejects
    parameters (shared by every call of one client, hence the lock)."""

    provider: str = "other"
    reasoning: bool = False
    context_tokens: int = 32_768
    tool_choice: str | None = None
    parallel_tool_calls: bool | None = None
    dropped: set[str] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def apply(self, request: dict[str, Any], temperature: float, max_tokens: int) -> None:
        """Sampling, token bound, tool options and provider extras into `request`."""
        reasoning = self.reasoning or "temperature" in self.dropped
        if not reasoning:
            request["temperature"] = temperature
        if self.reasoning or "max_tokens" in self.dropped:
            request["max_completion_tokens"] = max_tokens
        else:
            request["max_tokens"] = max_tokens
        if request.get("stream") and "stream_options" not in self.dropped:
            request["stream_options"] = {"include_usage": True}
        if request.get("tools"):
            if self.tool_choice is not None and "tool_choice" not in self.dropped:
                request["tool_choice"] = self.tool_choice
            if self.parallel_tool_calls is not None and "parallel_tool_calls" not in self.dropped:
                request["parallel_tool_calls"] = self.parallel_tool_calls
        if "response_format" in self.dropped:
            request.pop("response_format", None)
        if self.provider == "ollama":
            request["extra_body"] = {"options": {"num_ctx": self.num_ctx(request, max_tokens)}}

    def num_ctx(self, request: dict[str, Any], max_tokens: int) -> int:
        """Ollama's context for this call: the prompt and the reply, rounded up, within
        the model's context (Ollama's default of 2048-4096 tokens would cut a long prompt
        silently)."""
        needed = estimate_tokens(
            [request.get("messages"), request.get("tools"), request.get("response_format")]
        )
        wanted = math.ceil((needed + max_tokens) / _NUM_CTX_STEP) * _NUM_CTX_STEP
        return min(max(wanted, _NUM_CTX_STEP), self.context_tokens)

    def learn(self, error: openai.APIStatusError, request: dict[str, Any]) -> str | None:
        """The parameter a 400 rejected, now dropped for good; None when it names none of
        the optional ones sent (the failure stands)."""
        if error.status_code not in (400, 422):
            return None
        text = _error_text(error)
        for name, words in _DROPPABLE:
            if name in request and name not in self.dropped and words.search(text):
                with self._lock:
                    self.dropped.add(name)
                return name
        return None

    @property
    def native_tools(self) -> bool:
        return "tools" not in self.dropped


def _error_text(error: openai.APIStatusError) -> str:
    parts = [error.message]
    body = error.body
    if isinstance(body, dict):
        parts += [str(body.get(key, "")) for key in ("param", "code", "message")]
    return " ".join(parts)


def endpoint_url(provider: str, configured: str | None) -> str | None:
    """The URL requests go to: `ASSISTANT_LLM_BASE_URL`, else the provider's default (None
    for azure, which has no default)."""
    return configured or DEFAULT_URLS.get(provider)


def build_sdk(
    provider: str,
    base_url: str | None,
    api_key: str | None,
    api_version: str,
    timeout: float,
) -> openai.AsyncOpenAI:
    """The SDK client for the provider, its own retries off (ours are deadline-aware). Local
    servers need no key; the SDK insists on one, so they get a placeholder. Azure's client
    puts the request's model (the deployment) into the path itself."""
    if provider == "azure":
        if not base_url:
            raise ConfigurationError(
                "ASSISTANT_LLM_PROVIDER=azure needs ASSISTANT_LLM_BASE_URL, the resource "
                "endpoint (https://<resource>.openai.azure.com)"
            )
        return openai.AsyncAzureOpenAI(
            azure_endpoint=base_url,
            api_version=api_version,
            api_key=api_key or "not-needed",
            max_retries=0,
            timeout=timeout,
        )
    return openai.AsyncOpenAI(
        base_url=endpoint_url(provider, base_url),
        api_key=api_key or "not-needed",
        max_retries=0,
        timeout=timeout,
    )
