"""Never silent: the model down, an engine exception, Slack answering 500 or 429 — every
question ends in an answer or a short reason in its thread."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import free_port
from tests.slack.conftest import SHARED, Bot, running_bot
from tests.slack.fake_slack import FakeSlack

KNOWLEDGE = "How fast should a new customer be onboarded?"


@pytest.fixture(scope="module")
def llm_bot(
    tmp_path_factory: pytest.TempPathFactory, fake: FakeSlack, keys_file: Path, prepared: Path
) -> Iterator[Bot]:
    """A bot whose model server is down, answering shared channels from knowledge only."""
    yield from running_bot(
        tmp_path_factory.mktemp("llm-bot"),
        fake,
        keys_file,
        prepared,
        llm_model="test-model",
        llm_base_url=f"http://127.0.0.1:{free_port()}/v1",
        llm_retries=0,
        llm_request_timeout=2,
        slack_shared_channels="knowledge",
    )


def test_with_the_model_down_the_fallback_answer_is_posted(llm_bot: Bot) -> None:
    thread = llm_bot.mention(KNOWLEDGE, channel="CLLM")
    reply = llm_bot.fake.final_reply("CLLM", thread)
    assert "30 days of signature" in reply.text
    assert "Answered without the language model (connection_error)" in reply.all_text()


def test_a_shared_channel_answers_from_untagged_knowledge_only(llm_bot: Bot) -> None:
    thread = llm_bot.mention("How is Contoso Health doing?", channel=SHARED)
    reply = llm_bot.fake.final_reply(SHARED, thread)
    assert "$880,000" not in reply.all_text() and "Luis Ortega" not in reply.all_text()
    thread = llm_bot.mention("When does Northwind Traders renew?", channel=SHARED, user="UEVE")
    assert "2027-01-15" not in llm_bot.fake.final_reply(SHARED, thread).all_text()  # account note
    thread = llm_bot.mention(KNOWLEDGE, channel=SHARED)
    reply = llm_bot.fake.final_reply(SHARED, thread)
    assert "30 days of signature" in reply.text
    assert "without account data" in reply.all_text()


def test_an_engine_exception_posts_a_reason(
    bot: Bot, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(*_: object, **__: object) -> None:
        raise RuntimeError("the index file is corrupt")

    monkeypatch.setattr(bot.services.retriever, "search", broken)
    caplog.set_level(logging.WARNING, logger="assistant.slack")
    ts = bot.next_ts()
    event = {
        "type": "app_mention",
        "user": "UDANA",
        "text": f"<@UBOT> {KNOWLEDGE}",
        "ts": ts,
        "channel": "CBROKEN",
        "event_ts": ts,
    }
    assert bot.event(event, event_id="EvBROKEN01").status_code == 200
    reply = bot.fake.final_reply("CBROKEN", ts)
    assert "Something went wrong" in reply.text and "EvBROKEN01" in reply.text
    assert "corrupt" not in reply.text  # internals stay in the log
    assert any("EvBROKEN01" in r.getMessage() for r in caplog.records)


def test_a_message_over_the_limit_gets_the_reason(bot: Bot) -> None:
    thread = bot.mention("onboarding " * 500, channel="CLONG")
    reply = bot.fake.final_reply("CLONG", thread)
    assert "too long" in reply.text and "4000" in reply.text


def test_post_message_answering_500_then_200_posts_once(bot: Bot) -> None:
    bot.fake.fail("chat.postMessage", 500)
    thread = bot.mention(KNOWLEDGE, channel="C500")
    reply = bot.fake.final_reply("C500", thread)
    assert "30 days of signature" in reply.text
    calls = [c for c in bot.fake.called("chat.postMessage") if c.args["channel"] == "C500"]
    assert [c.status for c in calls] == [500, 200]
    assert len(bot.fake.in_thread("C500", thread)) == 1


def test_a_429_waits_for_its_retry_after(bot: Bot) -> None:
    bot.fake.fail("chat.update", 429, retry_after=1)
    thread = bot.mention(KNOWLEDGE, channel="C429")
    reply = bot.fake.final_reply("C429", thread)
    assert "30 days of signature" in reply.text
    calls = [c for c in bot.fake.called("chat.update") if c.args["channel"] == "C429"]
    assert [c.status for c in calls][:2] == [429, 200]
    assert calls[1].at - calls[0].at >= 1.0


def test_slack_refusing_the_answer_ends_in_a_reason(bot: Bot) -> None:
    bot.fake.fail("chat.update", 500, times=3)  # the first try and both retries
    thread = bot.mention(KNOWLEDGE, channel="CSLACKERR")

    def reason() -> bool:
        return any("Slack refused" in m.text for m in bot.fake.in_thread("CSLACKERR", thread))

    bot.fake.wait(reason)


def test_a_slow_answer_is_stopped_with_a_reason(bot: Bot, monkeypatch: pytest.MonkeyPatch) -> None:
    search = bot.services.retriever.search

    def slow(*args: object, **kwargs: object) -> object:
        time.sleep(1.5)
        return search(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(bot.services.retriever, "search", slow)
    monkeypatch.setattr(bot.app.state.slack.bot.settings, "slack_answer_timeout", 0.5)
    thread = bot.mention(KNOWLEDGE, channel="CSLOW", user="UEVE")
    reply = bot.fake.final_reply("CSLOW", thread)
    assert "took too long" in reply.text
