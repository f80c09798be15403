"""The slash command (ephemeral, shared on request), the message shortcut, feedback buttons
and their comment modal, drafts uploaded as DOCX."""

from __future__ import annotations

import io
import json
from typing import Any

from docx import Document

from assistant.store.feedback import FeedbackStore
from tests.slack.conftest import Bot
from tests.slack.fake_slack import Message


def _button(blocks: list[dict[str, Any]], action_id: str) -> dict[str, Any]:
    for block in blocks:
        for element in block.get("elements", []):
            if element.get("action_id") == action_id:
                return dict(element)
    raise AssertionError(f"no {action_id} button in {blocks}")


def _click(bot: Bot, action_id: str, value: str, channel: str, user: str = "UDANA", **extra: Any):  # type: ignore[no-untyped-def]
    payload = {
        "type": "block_actions",
        "user": {"id": user},
        "team": {"id": "T1"},
        "api_app_id": "A1",
        "trigger_id": f"trigger-{action_id}-{bot.next_ts()}",
        "channel": {"id": channel},
        "container": {"type": "message", "channel_id": channel},
        "actions": [
            {
                "action_id": action_id,
                "block_id": "answer_actions",
                "value": value,
                "type": "button",
                "action_ts": bot.next_ts(),
            }
        ],
        **extra,
    }
    response = bot.interaction(payload)
    assert response.status_code == 200, response.text
    return payload


def test_the_slash_command_answers_the_asker_only_and_can_be_shared(bot: Bot) -> None:
    url = bot.fake.response_url("slash-1")
    fields = {
        "command": "/assist",
        "text": "How fast should a new customer be onboarded?",
        "user_id": "UDANA",
        "channel_id": "CSLASH",
        "trigger_id": "trig-slash-1",
        "response_url": url,
        "team_id": "T1",
        "api_app_id": "A1",
    }
    response = bot.form(fields)
    assert response.status_code == 200
    assert response.json()["response_type"] == "ephemeral"  # acknowledged at once

    def answered() -> dict[str, Any] | None:
        done = [r for r in bot.fake.responses if "30 days" in json.dumps(r)]
        return done[-1] if done else None

    reply = bot.fake.wait(answered)
    assert reply["response_type"] == "ephemeral" and reply["replace_original"] is True
    assert not [c for c in bot.fake.called("chat.postMessage") if c.args["channel"] == "CSLASH"]
    share = _button(reply["blocks"], "share_answer")
    _click(bot, "share_answer", share["value"], "CSLASH", response_url=url)

    def shared() -> list[Message]:
        return [m for m in bot.fake.messages.values() if m.channel == "CSLASH"]

    posted = bot.fake.wait(shared)[0]
    assert "30 days of signature" in posted.text and "<@UDANA>" in posted.all_text()
    assert posted.thread_ts is None  # in the channel, for everyone
    bot.fake.wait(lambda: any(r.get("delete_original") for r in bot.fake.responses))
    # someone else cannot share dana's answer
    _click(bot, "share_answer", share["value"], "CSLASH", user="UEVE")
    bot.fake.wait(
        lambda: any(c.args.get("user") == "UEVE" for c in bot.fake.called("chat.postEphemeral"))
    )
    assert len(shared()) == 1


def test_the_message_shortcut_answers_in_the_message_thread(bot: Bot) -> None:
    ts = bot.next_ts()
    payload = {
        "type": "message_action",
        "callback_id": "ask_about_message",
        "trigger_id": "trig-shortcut-1",
        "user": {"id": "UDANA"},
        "team": {"id": "T1"},
        "channel": {"id": "CSHORT"},
        "response_url": bot.fake.response_url("short-1"),
        "message": {
            "type": "message",
            "user": "UOTHER",
            "ts": ts,
            "text": "What counts as a red health score?",
        },
    }
    assert bot.interaction(payload).status_code == 200
    reply = bot.fake.final_reply("CSHORT", ts)
    assert reply.thread_ts == ts and "below 40 is red" in reply.text


def test_feedback_buttons_are_recorded_with_the_optional_comment(bot: Bot) -> None:
    thread = bot.mention("What counts as a red health score?", channel="CFEEDBACK")
    reply = bot.fake.final_reply("CFEEDBACK", thread)
    down = _button(reply.blocks, "feedback_down")
    conversation_id, _, message_id = down["value"].partition(":")
    _click(bot, "feedback_down", down["value"], "CFEEDBACK")
    opened = bot.fake.wait(lambda: bot.fake.called("views.open"))[-1]
    view = (
        json.loads(opened.args["view"])
        if isinstance(opened.args["view"], str)
        else opened.args["view"]
    )
    assert view["callback_id"] == "feedback_comment"
    store = FeedbackStore(bot.services.database)
    rated = [r for r in store.rated("down") if r.feedback.conversation_id == conversation_id]
    assert len(rated) == 1 and rated[0].feedback.message_id == int(message_id)
    assert rated[0].feedback.user == "dana" and "below 40 is red" in rated[0].answer
    submission = {
        "type": "view_submission",
        "user": {"id": "UDANA"},
        "team": {"id": "T1"},
        "api_app_id": "A1",
        "trigger_id": "trig-view-1",
        "view": {
            "id": "V1",
            "type": "modal",
            "callback_id": "feedback_comment",
            "private_metadata": view["private_metadata"],
            "state": {
                "values": {
                    "comment": {
                        "text": {"type": "plain_text_input", "value": "needs the orange band"}
                    }
                }
            },
        },
    }
    assert bot.interaction(submission).status_code == 200

    def commented() -> bool:
        found = [r for r in store.rated("down") if r.feedback.conversation_id == conversation_id]
        return found[0].feedback.comment == "needs the orange band"

    bot.fake.wait(commented)
    # a thumbs up from someone who did not ask is not recorded as theirs
    up = _button(reply.blocks, "feedback_up")
    _click(bot, "feedback_up", up["value"], "CFEEDBACK", user="UEVE")
    bot.fake.wait(
        lambda: any(
            c.args.get("user") == "UEVE" and "Only the person who asked can rate" in c.args["text"]
            for c in bot.fake.called("chat.postEphemeral")
        )
    )
    assert not [r for r in store.rated("up") if r.feedback.conversation_id == conversation_id]


def test_a_draft_is_a_summary_and_a_docx_in_the_thread(bot: Bot) -> None:
    thread = bot.mention("Draft a success plan for Contoso Health", channel="CDRAFT")
    reply = bot.fake.final_reply("CDRAFT", thread, timeout=60)
    assert "Customer success plan" in reply.text
    assert len(reply.text) < 1500 and "attached as a DOCX" in reply.all_text()
    done = bot.fake.wait(lambda: bot.fake.called("files.completeUploadExternal"), timeout=30)[-1]
    files = (
        json.loads(done.args["files"])
        if isinstance(done.args["files"], str)
        else done.args["files"]
    )
    assert done.args["channel_id"] == "CDRAFT" and done.args["thread_ts"] == thread
    content = bot.fake.uploads[files[0]["id"]]
    text = "\n".join(p.text for p in Document(io.BytesIO(content)).paragraphs)
    assert "Contoso Health" in text
