"""Provider quirks through the real SDK against the scripted server: Azure deployment paths,
`api-version` and `api-key`; a reasoning model that rejects sampling parameters; Ollama's
context limit; endpoints without native tools (calls written as text in three formats);
streams without usage."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from assistant.engine.events import DeltaEvent, ToolCallEvent
from assistant.errors import ConfigurationError
from assistant.llm.config import LLMConfig, build_client
from assistant.llm.providers import PROVIDERS
from tests.conftest import REPO, make_settings
from tests.llm.conftest import ADMIN, SELLER, EngineFactory
from tests.llm.scripted import Call, ScriptedModel, content, tools

ANSWER = "A new customer should be live within 30 days of signature [1]."
QUESTION = "When should a new customer be live?"


def test_azure_deployment_path_version_and_key(
    make_engine: EngineFactory, model: ScriptedModel, model_url: str
) -> None:
    model.quirks = {"azure"}
    model.enqueue(content("Hello from Azure."))
    engine = make_engine(
        provider="azure", base_url=model_url, model="my-gpt4o", api_version="2024-10-21"
    )
    response = engine.chat("hello there", ADMIN)
    assert response.engine == "llm:my-gpt4o" and response.fallback_reason is None
    assert response.answer == "Hello from Azure."
    (sent,) = model.requests
    assert sent["path"] == "/openai/deployments/my-gpt4o/chat/completions"
    assert sent["query"] == {"api-version": "2024-10-21"}
    assert sent["headers"]["api-key"] == "test-key"
    assert "authorization" not in sent["headers"]


def test_azure_endpoint_through_the_plain_client_fails(
    make_engine: EngineFactory, model: ScriptedModel, model_url: str
) -> None:
    """What the provider setting fixes: the plain client cannot reach a deployment."""
    model.quirks = {"azure"}
    model.enqueue(content("never sent"))
    url = f"{model_url}/openai/deployments/my-gpt4o"
    response = make_engine(base_url=url, model="my-gpt4o").chat("hi", ADMIN)
    assert response.engine == "grounded" and response.fallback_reason == "http_error"
    assert model.requests[0]["query"] == {} and "api-key" not in model.requests[0]["headers"]


def test_reasoning_model_gets_no_sampling_parameters(
    make_engine: EngineFactory, model: ScriptedModel
) -> None:
    model.quirks = {"no_sampling"}
    model.enqueue(content("Plain answer."))
    response = make_engine(reasoning=True, max_tokens=321).chat("hello there", ADMIN)
    assert response.engine == "llm:scripted-1" and response.answer == "Plain answer."
    (sent,) = model.history
    assert "temperature" not in sent and "max_tokens" not in sent
    assert sent["max_completion_tokens"] == 321


def test_rejected_parameters_are_dropped_once_and_for_all(
    make_engine: EngineFactory, model: ScriptedModel
) -> None:
    """Without the setting, each 400 naming a parameter drops it and the call goes again at
    once (no fallback); the next answer sends neither."""
    model.quirks = {"no_sampling"}
    model.enqueue(content("First."), content("Second."))
    engine = make_engine(max_tokens=99)
    assert engine.chat("hello there", ADMIN).answer == "First."
    assert ["temperature" in h for h in model.history] == [True, False, False]
    assert ["max_tokens" in h for h in model.history] == [True, True, False]
    assert model.history[-1]["max_completion_tokens"] == 99
    assert engine.chat("hello again", ADMIN).answer == "Second."
    assert len(model.history) == 4 and "temperature" not in model.history[3]


def test_ollama_context_fits_the_prompt(make_engine: EngineFactory, model: ScriptedModel) -> None:
    """The tool schemas alone pass Ollama's default context, which cuts a prompt silently;
    num_ctx sized to the prompt keeps it whole."""
    model.quirks = {"ollama_ctx"}
    model.enqueue(content("Hello, how can I help?"), content("Hello, how can I help?"))
    cut = make_engine().chat("hello there", ADMIN)
    assert "no instructions" in cut.answer  # without num_ctx the model lost its prompt
    engine = make_engine(provider="ollama", context_tokens=32_768, max_tokens=1024)
    assert engine.chat("hello there", ADMIN).answer == "Hello, how can I help?"
    sent = model.history[-1]
    prompt_tokens = len(json.dumps([sent["messages"], sent["tools"]])) // 4
    num_ctx = sent["options"]["num_ctx"]
    assert prompt_tokens + 1024 <= num_ctx <= 32_768 and num_ctx % 2048 == 0


def test_ollama_context_is_capped_at_the_model_context(
    make_engine: EngineFactory, model: ScriptedModel
) -> None:
    model.enqueue(content("Short."))
    make_engine(provider="ollama", context_tokens=8192, max_tokens=2048).chat("hello", ADMIN)
    assert model.history[0]["options"]["num_ctx"] == 8192


def test_a_prompt_beyond_the_context_falls_back(
    make_engine: EngineFactory, model: ScriptedModel
) -> None:
    """The tool schemas alone are ~5k tokens: a 4k context cannot hold the prompt."""
    response = make_engine(context_tokens=4096, max_tokens=512).chat("hello", ADMIN)
    assert response.engine == "grounded" and response.fallback_reason == "context_exceeded"
    assert model.history == []


HERMES = '<tool_call>\n{"name": "search_knowledge", "arguments": {"query": "live"}}\n</tool_call>'
MISTRAL = '[TOOL_CALLS] [{"name": "search_knowledge", "arguments": {"query": "live"}}]'
LLAMA = '<|python_tag|>{"name": "search_knowledge", "parameters": {"query": "live"}}'


@pytest.mark.parametrize("written", [HERMES, MISTRAL, LLAMA], ids=["hermes", "mistral", "llama"])
@pytest.mark.parametrize("stream", [True, False])
def test_text_tool_calls_when_the_endpoint_has_no_native_tools(
    make_engine: EngineFactory, model: ScriptedModel, written: str, stream: bool
) -> None:
    model.quirks = {"no_tools"}
    model.enqueue(content(written), content(ANSWER))
    events = list(make_engine(stream=stream, numbers="flag").stream(QUESTION, ADMIN))
    response = events[-1].response  # type: ignore[union-attr]
    assert response.engine == "llm:scripted-1" and response.answer == ANSWER
    assert [e.name for e in events if isinstance(e, ToolCallEvent)] == ["search_knowledge"]
    streamed = "".join(e.text for e in events if isinstance(e, DeltaEvent))
    assert streamed == ANSWER  # no call syntax reached the user
    rejected, asked, answered = model.history
    assert "tools" in rejected and "tools" not in asked and "tools" not in answered
    assert "<tool_call>" in asked["messages"][0]["content"]  # the tools, described
    results = [m for m in answered["messages"][1:] if "<tool_response" in str(m["content"])]
    assert results[0]["role"] == "user" and '<document n="1"' in results[0]["content"]
    assert answered["messages"][-2]["role"] == "assistant"
    assert "<tool_call>" in answered["messages"][-2]["content"]


def test_text_mode_setting_never_sends_tools(
    make_engine: EngineFactory, model: ScriptedModel
) -> None:
    model.enqueue(content(HERMES), content(ANSWER))
    response = make_engine(tool_calls="text", numbers="flag").chat(QUESTION, ADMIN)
    assert response.answer == ANSWER and len(model.history) == 2
    assert all("tools" not in h for h in model.history)


def test_native_mode_keeps_call_syntax_as_text(
    make_engine: EngineFactory, model: ScriptedModel
) -> None:
    """The parser is for endpoints without native tools only."""
    model.enqueue(content(HERMES))
    response = make_engine(tool_calls="native").chat(QUESTION, ADMIN)
    assert response.tool_calls == [] and "<tool_call>" in response.answer


def test_a_call_of_an_unknown_tool_stays_text(
    make_engine: EngineFactory, model: ScriptedModel
) -> None:
    written = '<tool_call>{"name": "delete_everything", "arguments": {}}</tool_call>'
    model.enqueue(content(written))
    response = make_engine(tool_calls="text").chat(QUESTION, ADMIN)
    assert response.tool_calls == [] and "delete_everything" in response.answer


@pytest.mark.parametrize("quirks", [set(), {"no_usage"}], ids=["usage", "no-usage"])
@pytest.mark.parametrize("stream", [True, False])
def test_usage_and_cost_per_answer(
    make_engine: EngineFactory, model: ScriptedModel, quirks: set[str], stream: bool
) -> None:
    model.quirks = quirks
    model.enqueue(tools(Call("account_overview", {"account_id": "ACC-002"})), content("Done."))
    engine = make_engine(stream=stream, prices={"scripted-1": (2.0, 8.0)})
    response = engine.chat("How is Contoso doing?", SELLER)
    usage: dict[str, Any] = response.usage or {}
    if quirks:
        assert usage["estimated"] is True and usage["prompt_tokens"] > 0
        if stream:
            assert all(h["stream_options"] == {"include_usage": True} for h in model.history)
    else:
        sizes = [len(json.dumps([h["messages"], h.get("tools")])) for h in model.history]
        expected_in = sum(size // 4 for size in sizes)
        assert usage["estimated"] is False and usage["calls"] == 2
        assert usage["prompt_tokens"] == expected_in
    cost = (usage["prompt_tokens"] * 2.0 + usage["completion_tokens"] * 8.0) / 1e6
    assert usage["cost_usd"] == pytest.approx(cost, abs=1e-6)
    stored = engine.grounded.conversations.history(response.conversation_id, SELLER.user)
    assert stored[-1].payload["usage"]["prompt_tokens"] == usage["prompt_tokens"]
    assert set(stored[-1].payload["usage"]) >= {"prompt_tokens", "completion_tokens", "cost_usd"}


def test_no_price_no_cost(make_engine: EngineFactory, model: ScriptedModel) -> None:
    model.enqueue(content("Hi."))
    usage = make_engine().chat("hello there", ADMIN).usage
    assert usage is not None and usage["cost_usd"] is None and usage["completion_tokens"] >= 0


def test_tool_choice_and_parallel_calls_are_sent_when_set(
    make_engine: EngineFactory, model: ScriptedModel
) -> None:
    model.enqueue(content("Hi."), content("Hi."))
    make_engine(tool_choice="auto", parallel_tool_calls=False).chat("hello there", ADMIN)
    make_engine().chat("hello there", ADMIN)
    assert model.history[0]["tool_choice"] == "auto"
    assert model.history[0]["parallel_tool_calls"] is False
    assert "tool_choice" not in model.history[1] and "parallel_tool_calls" not in model.history[1]


def test_azure_without_an_endpoint_is_a_configuration_error(
    make_engine: EngineFactory,
) -> None:
    with pytest.raises(ConfigurationError, match="ASSISTANT_LLM_BASE_URL"):
        make_engine(provider="azure", base_url=None)


DOCUMENTED_DEFAULTS = {  # the README's provider table
    "openai": "https://api.openai.com/v1/",
    "ollama": "http://localhost:11434/v1/",
    "vllm": "http://localhost:8000/v1/",
    "llamacpp": "http://localhost:8080/v1/",
    "lmstudio": "http://localhost:1234/v1/",
    "other": "https://api.openai.com/v1/",
}


@pytest.mark.parametrize("provider", sorted(DOCUMENTED_DEFAULTS))
def test_each_provider_defaults_to_its_documented_url(
    provider: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No ASSISTANT_LLM_BASE_URL: the client built from settings talks to the provider's
    default (the SDK's own OPENAI_BASE_URL is not read); a set URL wins."""
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/elsewhere")
    settings = make_settings(tmp_path, llm_model="m", llm_provider=provider)
    assert settings.llm_base_url is None
    config = LLMConfig.from_settings(settings)
    assert config is not None
    client = build_client(config)
    try:
        assert str(client.sdk.base_url) == DOCUMENTED_DEFAULTS[provider]
    finally:
        client.close()
    chosen = make_settings(
        tmp_path, llm_model="m", llm_provider=provider, llm_base_url="http://h:1/v1"
    )
    config = LLMConfig.from_settings(chosen)
    assert config is not None
    client = build_client(config)
    try:
        assert str(client.sdk.base_url) == "http://h:1/v1/"
    finally:
        client.close()


def test_the_readme_table_lists_each_default() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    table = readme[readme.index("| provider | default base URL |") :].split("\n\n", 1)[0]
    rows = {
        cells[1].strip("` "): cells[2].strip("` ")
        for line in table.splitlines()[2:]
        if len(cells := line.split("|")) > 3
    }
    assert set(rows) == set(PROVIDERS)
    for provider, url in DOCUMENTED_DEFAULTS.items():
        assert rows[provider].startswith(url.rstrip("/")), provider
    assert "resource endpoint" in rows["azure"]
