"""LLM settings: a model makes the engine `llm:<model>`; the key falls back to OPENAI_API_KEY;
the SDK's own retries are off (ours are the one retry layer)."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.config import Settings
from assistant.llm.config import LLMConfig, build_client


def settings(**values: object) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def test_no_model_no_llm(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ASSISTANT_LLM_MODEL", raising=False)
    assert LLMConfig.from_settings(settings()) is None
    assert LLMConfig.from_settings(settings(llm_model="  ")) is None


def test_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("ASSISTANT_LLM_MODEL", "qwen2.5:7b")
    monkeypatch.setenv("ASSISTANT_LLM_BASE_URL", "http://127.0.0.1:11434/v1")
    monkeypatch.setenv("ASSISTANT_LLM_DEADLINE", "12.5")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-openai-env")
    monkeypatch.delenv("ASSISTANT_LLM_API_KEY", raising=False)
    config = LLMConfig.from_settings(settings())
    assert config is not None
    assert (config.model, config.base_url, config.deadline) == (
        "qwen2.5:7b",
        "http://127.0.0.1:11434/v1",
        12.5,
    )
    assert config.api_key == "sk-from-openai-env"
    monkeypatch.setenv("ASSISTANT_LLM_API_KEY", "sk-assistant")
    config = LLMConfig.from_settings(settings())
    assert config is not None and config.api_key == "sk-assistant"
    assert "sk-assistant" not in repr(settings())  # a secret


def test_one_retry_layer() -> None:
    client = build_client(LLMConfig(model="m", base_url="http://127.0.0.1:9/v1"))
    assert client.max_retries == 0 and client.api_key == "not-needed"
    client.close()


def test_bounds_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASSISTANT_LLM_MODEL", "m")
    monkeypatch.setenv("ASSISTANT_LLM_MAX_TOKENS", "512")
    monkeypatch.setenv("ASSISTANT_LLM_MAX_ANSWER_CHARS", "3000")
    monkeypatch.setenv("ASSISTANT_LLM_MAX_RETRY_WAIT", "0.5")
    monkeypatch.setenv("ASSISTANT_LLM_MAX_CONCURRENT", "3")
    config = LLMConfig.from_settings(settings())
    assert config is not None
    assert (
        config.max_tokens,
        config.max_answer_chars,
        config.max_retry_wait,
        config.max_concurrent,
    ) == (512, 3000, 0.5, 3)
    monkeypatch.setenv("ASSISTANT_LLM_MAX_CONCURRENT", "0")
    with pytest.raises(ValueError, match="max_concurrent"):
        settings()
