"""Who may ask what: the keys file maps Slack users, account scope as in the API, shared
channels and guests get no account data, the per-user quota."""

from __future__ import annotations

import pytest

from tests.slack.conftest import SHARED, Bot

ACCOUNT_QUESTION = "How is Contoso Health doing?"  # ACC-002: in dana's and eve's scope
OTHER_ACCOUNT = "How is Northwind Traders doing?"  # ACC-001: in nobody's scope here


def test_an_unmapped_user_is_refused_politely(bot: Bot) -> None:
    thread = bot.mention(ACCOUNT_QUESTION, user="UNOBODY", channel="CACCESS")
    reply = bot.fake.final_reply("CACCESS", thread)
    assert "not linked" in reply.text and "UNOBODY" in reply.text and "keys file" in reply.text
    assert "$880,000" not in reply.all_text()


def test_a_user_mapped_by_email_gets_their_accounts(bot: Bot) -> None:
    thread = bot.mention(ACCOUNT_QUESTION, user="UEVE", channel="CACCESS")
    reply = bot.fake.final_reply("CACCESS", thread)
    assert "$880,000" in reply.text
    figures = [b for b in reply.blocks if b["type"] == "context" and "as of" in str(b)]
    assert (
        figures and "account_overview" in str(figures[0]) and "as of 2026-11-01" in str(figures[0])
    )
    looked_up = [c.args.get("user") for c in bot.fake.called("users.info")]
    assert "UEVE" in looked_up


def test_the_email_lookup_is_cached(bot: Bot) -> None:
    for _ in range(2):
        thread = bot.mention("What counts as a red health score?", user="UEVE", channel="CCACHE")
        bot.fake.final_reply("CCACHE", thread)
    assert [c.args.get("user") for c in bot.fake.called("users.info")].count("UEVE") == 1


def test_an_out_of_scope_account_question_is_refused(bot: Bot) -> None:
    thread = bot.mention(OTHER_ACCOUNT, channel="CACCESS")
    reply = bot.fake.final_reply("CACCESS", thread)
    text = reply.all_text()
    assert "$1,150,000" not in text and "Maya Chen" not in text
    assert "won't guess" in reply.text or "access" in reply.text


def test_a_slack_connect_channel_gets_no_account_data(bot: Bot) -> None:
    thread = bot.mention(ACCOUNT_QUESTION, channel=SHARED)
    reply = bot.fake.final_reply(SHARED, thread)
    assert "shared with people outside" in reply.text
    assert "$880,000" not in reply.all_text()
    # the envelope's flag is enough, without conversations.info saying so
    flagged = bot.mention(ACCOUNT_QUESTION, channel="CFLAGGED", is_ext_shared_channel=True)
    assert "$880,000" not in bot.fake.final_reply("CFLAGGED", flagged).all_text()


def test_the_per_user_quota(bot: Bot, monkeypatch: pytest.MonkeyPatch) -> None:
    quota = 3
    monkeypatch.setattr(bot.app.state.slack.bot.settings, "slack_user_quota", quota)
    replies = []
    for _ in range(quota + 1):
        response = bot.message(
            "What counts as a red health score?", "UQUINN", "DQUINN", channel_type="im"
        )
        ts = response.request.content.decode().split('"ts": "')[1].split('"')[0]
        replies.append(bot.fake.final_reply("DQUINN", ts))
    assert all("below 40 is red" in r.text for r in replies[:quota]), [r.text for r in replies]
    assert f"the limit is {quota}" in replies[quota].text
