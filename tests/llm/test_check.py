"""`assistant llm check` against the scripted server in each provider mode: what it reports,
and that each missing capability says what to do."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from assistant.cli import app
from assistant.config import get_settings
from tests.llm.scripted import Call, Reply, ScriptedModel, content, tools

PING = tools(Call("ping", {"value": "42"}))
HERMES_PING = content('<tool_call>{"name": "ping", "arguments": {"value": "42"}}</tool_call>')
JSON = content('{"answer": 42}')


@pytest.fixture
def check_env(monkeypatch: pytest.MonkeyPatch, model_url: str) -> Iterator[pytest.MonkeyPatch]:
    for name, value in {
        "ASSISTANT_LLM_BASE_URL": f"{model_url}/v1",
        "ASSISTANT_LLM_MODEL": "scripted-1",
        "ASSISTANT_LLM_API_KEY": "test-key",
        "ASSISTANT_LLM_DEADLINE": "5",
        "ASSISTANT_LLM_RETRIES": "0",
    }.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    yield monkeypatch
    get_settings.cache_clear()


def run(model: ScriptedModel, *replies: Reply) -> tuple[int, dict[str, str]]:
    model.enqueue(*replies)
    result = CliRunner().invoke(app, ["llm", "check"])
    lines = {line[:13].strip(): line[14:] for line in result.output.splitlines()[1:]}
    return result.exit_code, lines


def test_a_full_endpoint(check_env: pytest.MonkeyPatch, model: ScriptedModel) -> None:
    code, lines = run(model, PING, content("OK"), JSON)
    assert code == 0, lines
    assert lines["tools"].startswith("yes  native tool calls")
    assert all(line.startswith("yes") for line in lines.values())
    assert set(lines) == {"tools", "usage", "sampling", "streaming", "stream usage", "json schema"}
    assert model.history[0]["tools"][0]["function"]["name"] == "ping"
    assert model.history[1]["stream_options"] == {"include_usage": True}
    assert model.history[2]["response_format"]["type"] == "json_schema"


def test_azure(check_env: pytest.MonkeyPatch, model: ScriptedModel, model_url: str) -> None:
    model.quirks = {"azure"}
    check_env.setenv("ASSISTANT_LLM_PROVIDER", "azure")
    check_env.setenv("ASSISTANT_LLM_BASE_URL", model_url)
    code, _ = run(model, PING, content("OK"), JSON)
    assert code == 0
    assert {r["path"] for r in model.requests} == {
        "/openai/deployments/scripted-1/chat/completions"
    }


def test_a_reasoning_model(check_env: pytest.MonkeyPatch, model: ScriptedModel) -> None:
    model.quirks = {"no_sampling"}
    code, lines = run(model, PING, content("OK"), JSON)
    assert code == 1
    assert (
        lines["sampling"].startswith("NO") and "ASSISTANT_LLM_REASONING=true" in lines["sampling"]
    )
    assert lines["tools"].startswith("yes")
    check_env.setenv("ASSISTANT_LLM_REASONING", "true")
    get_settings.cache_clear()
    model.reset()
    model.quirks = {"no_sampling"}
    code, lines = run(model, PING, content("OK"), JSON)
    assert code == 0 and "max_completion_tokens" in lines["sampling"]


def test_ollama(check_env: pytest.MonkeyPatch, model: ScriptedModel) -> None:
    model.quirks = {"ollama_ctx"}
    check_env.setenv("ASSISTANT_LLM_PROVIDER", "ollama")
    code, _ = run(model, PING, content("OK"), JSON)
    assert code == 0 and all(h["options"]["num_ctx"] >= 2048 for h in model.history)


@pytest.mark.parametrize(
    ("quirks", "said"),
    [({"no_tools"}, "the endpoint rejects `tools`"), (set(), "no native tool calls")],
)
def test_tool_calls_written_as_text(
    check_env: pytest.MonkeyPatch, model: ScriptedModel, quirks: set[str], said: str
) -> None:
    model.quirks = quirks
    code, lines = run(model, HERMES_PING, content("OK"), JSON)
    assert code == 1
    assert lines["tools"].startswith("NO") and said in lines["tools"]
    assert "--enable-auto-tool-choice" in lines["tools"] and "--jinja" in lines["tools"]


def test_a_model_that_never_calls_tools(
    check_env: pytest.MonkeyPatch, model: ScriptedModel
) -> None:
    code, lines = run(model, content("Pong 42."), content("OK"), JSON)
    assert code == 1 and "trained for tool calling" in lines["tools"]


def test_no_usage(check_env: pytest.MonkeyPatch, model: ScriptedModel) -> None:
    model.quirks = {"no_usage"}
    code, lines = run(model, PING, content("OK"), JSON)
    assert code == 1
    assert lines["usage"].startswith("NO") and "estimated" in lines["usage"]
    assert "include_usage" in lines["stream usage"]


def test_no_json_schema(check_env: pytest.MonkeyPatch, model: ScriptedModel) -> None:
    model.quirks = {"no_json_schema"}
    code, lines = run(model, PING, content("OK"), JSON)
    assert code == 1 and "rejects response_format" in lines["json schema"]


def test_no_streaming(check_env: pytest.MonkeyPatch, model: ScriptedModel) -> None:
    code, lines = run(model, PING, content("OK", cut=True), JSON)
    assert code == 1 and "ASSISTANT_LLM_STREAM=false" in lines["streaming"]


def test_unreachable(check_env: pytest.MonkeyPatch, model: ScriptedModel) -> None:
    check_env.setenv("ASSISTANT_LLM_BASE_URL", "http://127.0.0.1:9/v1")
    result = CliRunner().invoke(app, ["llm", "check"])
    assert result.exit_code == 2 and "endpoint" in result.output


def test_no_model(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ASSISTANT_LLM_MODEL", raising=False)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["llm", "check"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 2 and "ASSISTANT_LLM_MODEL" in result.output


def test_azure_without_its_endpoint(check_env: pytest.MonkeyPatch) -> None:
    check_env.setenv("ASSISTANT_LLM_PROVIDER", "azure")
    check_env.delenv("ASSISTANT_LLM_BASE_URL")
    result = CliRunner().invoke(app, ["llm", "check"])
    assert result.exit_code == 2 and "ASSISTANT_LLM_BASE_URL" in result.output


@pytest.mark.parametrize(
    ("provider", "url"),
    [("lmstudio", "http://localhost:1234/v1"), ("ollama", "http://localhost:11434/v1")],
)
def test_the_default_url_is_shown(check_env: pytest.MonkeyPatch, provider: str, url: str) -> None:
    """A provider without ASSISTANT_LLM_BASE_URL: `llm check` names the default it tries."""
    check_env.setenv("ASSISTANT_LLM_PROVIDER", provider)
    check_env.delenv("ASSISTANT_LLM_BASE_URL")
    check_env.setenv("ASSISTANT_LLM_REQUEST_TIMEOUT", "1")
    result = CliRunner().invoke(app, ["llm", "check"])
    first = result.output.splitlines()[0]
    assert first == f"endpoint: {provider} {url} (the provider's default) model scripted-1"
    assert result.exit_code != 0  # nothing of the kind runs here


def test_a_set_url_is_shown_as_set(
    check_env: pytest.MonkeyPatch, model: ScriptedModel, model_url: str
) -> None:
    check_env.setenv("ASSISTANT_LLM_PROVIDER", "lmstudio")
    model.enqueue(PING, content("OK"), JSON)
    result = CliRunner().invoke(app, ["llm", "check"])
    assert result.output.splitlines()[0] == f"endpoint: lmstudio {model_url}/v1 model scripted-1"
    assert result.exit_code == 0
