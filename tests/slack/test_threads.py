"""Mentions, follow-ups, DMs, retries and signatures, end to end on loopback."""

from __future__ import annotations

import json
import time

from assistant.store.conversations import ConversationStore
from assistant.store.db import session_factory
from assistant.store.slack import SlackStore
from tests.slack.conftest import Bot
from tests.slack.fake_slack import Message


def _history(bot: Bot, channel: str, thread: str, user: str = "UDANA") -> list[str]:
    conversation = SlackStore(bot.services.database).conversation(channel, thread, user)
    assert conversation is not None
    store = ConversationStore(session_factory(bot.services.database))
    return [t.content for t in store.history(conversation)]


def test_a_mention_gets_a_threaded_answer_with_citations(bot: Bot) -> None:
    started = time.monotonic()
    thread = bot.mention("How fast should a new customer be onboarded?")
    assert time.monotonic() - started < 3  # acknowledged before the answer is written
    reply = bot.fake.final_reply("CGENERAL", thread)
    assert reply.thread_ts == thread
    assert "30 days of signature" in reply.text
    kinds = [b["type"] for b in reply.blocks]
    assert kinds[0] == "section" and "context" in kinds and kinds[-1] == "actions"
    cited = json.dumps([b for b in reply.blocks if b["type"] == "context"])
    assert "*[1]* Onboarding Playbook" in cited and "onboarding.md" in cited
    # the placeholder came first and was replaced by the answer (one message, updated)
    posts = [c for c in bot.fake.called("chat.postMessage") if c.args.get("thread_ts") == thread]
    assert len(posts) == 1 and posts[0].args["text"].startswith("\u23f3")
    assert reply.updates >= 1
    reacted = [c for c in bot.fake.called("reactions.add") if c.args.get("timestamp") == thread]
    assert reacted and reacted[0].args["name"] == "eyes"


def test_a_follow_up_in_the_thread_keeps_the_conversation(bot: Bot) -> None:
    thread = bot.mention("How fast should a new customer be onboarded?")
    bot.fake.final_reply("CGENERAL", thread)
    response = bot.message("and the kickoff?", "UDANA", "CGENERAL", thread_ts=thread)
    assert response.status_code == 200

    def second() -> list[Message]:
        found = bot.fake.in_thread("CGENERAL", thread)
        return [m for m in found if "kickoff meeting happens" in m.text]

    replies = bot.fake.wait(second)
    assert replies[0].thread_ts == thread
    turns = _history(bot, "CGENERAL", thread)
    assert len(turns) == 4 and turns[2] == "and the kickoff?"
    assert "kickoff meeting happens in the first week" in turns[3]


def test_a_message_in_a_thread_the_bot_never_answered_is_left_alone(bot: Bot) -> None:
    before = len(bot.fake.called("chat.postMessage"))
    parent = bot.next_ts()
    assert (
        bot.message("unrelated chatter", "UDANA", "CGENERAL", thread_ts=parent).status_code == 200
    )
    assert bot.message("top-level chatter", "UDANA", "CGENERAL").status_code == 200
    time.sleep(0.5)
    assert len(bot.fake.called("chat.postMessage")) == before


def test_a_direct_message_is_answered(bot: Bot) -> None:
    response = bot.message(
        "What counts as a red health score?", "UDANA", "DDANA", channel_type="im"
    )
    assert response.status_code == 200
    ts = json.loads(response.request.content)["event"]["ts"]
    reply = bot.fake.final_reply("DDANA", ts)
    assert "below 40 is red" in reply.text


def test_the_same_event_three_times_is_answered_once(bot: Bot) -> None:
    ts = bot.next_ts()
    event = {
        "type": "app_mention",
        "user": "UDANA",
        "text": "<@UBOT> What are the five components?",
        "ts": ts,
        "channel": "CRETRY",
        "event_ts": ts,
    }
    for retry in range(3):
        headers = {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
        response = bot.event(event, event_id="EvRETRY0001", headers=headers if retry else None)
        assert response.status_code == 200
    bot.fake.final_reply("CRETRY", ts)
    time.sleep(0.5)
    posts = [c for c in bot.fake.called("chat.postMessage") if c.args["channel"] == "CRETRY"]
    assert len(posts) == 1
    assert SlackStore(bot.services.database).seen("EvRETRY0001")


def test_a_bad_signature_is_401(bot: Bot) -> None:
    body = json.dumps({"type": "event_callback", "event_id": "EvBAD", "event": {}})
    response = bot.post(body, "application/json", secret="not-the-secret")
    assert response.status_code == 401


def test_a_timestamp_older_than_five_minutes_is_401(bot: Bot) -> None:
    body = json.dumps({"type": "event_callback", "event_id": "EvOLD", "event": {}})
    response = bot.post(body, "application/json", timestamp=int(time.time()) - 6 * 60)
    assert response.status_code == 401
    fresh = bot.post(
        json.dumps({"type": "url_verification", "challenge": "c1"}), "application/json"
    )
    assert fresh.status_code == 200 and fresh.json()["challenge"] == "c1"
