"""Markdown to Slack mrkdwn, Block Kit limits, and Slack people in the keys file."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from assistant.auth import load_keys
from assistant.engine.types import ChatResponse, Citation, ToolCall
from assistant.errors import ConfigurationError
from assistant.slack.blocks import MAX_BLOCKS, answer_blocks
from assistant.slack.mrkdwn import SECTION_LIMIT, split, to_mrkdwn


@pytest.mark.parametrize(
    ("markdown", "mrkdwn"),
    [
        ("Some **bold** and *em* and ~~gone~~.", "Some *bold* and _em_ and ~gone~."),
        ("A [link](https://example.com/a?b=1) here", "A <https://example.com/a?b=1|link> here"),
        ("<https://example.com>", "<https://example.com>"),
        ("# Plan for A&B", "*Plan for A&amp;B*"),
        ("x < 40 and y > 80", "x &lt; 40 and y &gt; 80"),
        ("- one\n- **two**\n  - nested", "\u2022 one\n\u2022 *two*\n    \u2022 nested"),
        ("3. third\n4. fourth", "3. third\n4. fourth"),
        ("Use `a<b` here", "Use `a&lt;b` here"),
        ("> quoted\n> more", "> quoted\n> more"),
        ("Score **86** [T1].", "Score *86* [T1]."),
        ("line one\nline two", "line one\nline two"),
    ],
)
def test_markdown_becomes_mrkdwn(markdown: str, mrkdwn: str) -> None:
    assert to_mrkdwn(markdown) == mrkdwn


def test_a_table_becomes_an_aligned_preformatted_block() -> None:
    text = to_mrkdwn("| Metric | Value |\n|---|---:|\n| Health | **72** |\n| ARR | 420,000 |")
    assert text == ("```\nMetric | Value\n-------+--------\nHealth | 72\nARR    | 420,000\n```")


def test_long_text_is_split_between_paragraphs() -> None:
    paragraphs = [f"paragraph {n} " + "x" * 900 for n in range(8)]
    pieces = split("\n\n".join(paragraphs))
    assert all(len(p) <= SECTION_LIMIT for p in pieces)
    assert "\n\n".join(pieces) == "\n\n".join(paragraphs)
    assert all(len(p) <= 100 for p in split("y" * 250, limit=100))


def test_answer_blocks_keep_slack_limits() -> None:
    citations = [
        Citation(
            n=n,
            chunk_id=f"c{n}",
            source=f"doc{n}.md",
            title="T",
            section="S",
            snippet="",
            score=1.0,
        )
        for n in range(1, 25)
    ]
    response = ChatResponse(
        conversation_id="c",
        answer="\n\n".join("word " * 500 for _ in range(60)),
        citations=citations,
        tool_calls=[ToolCall(name="health_score", arguments={}, as_of="2026-11-01", source="x")],
    )
    blocks = answer_blocks(response, rating="c:1")
    assert len(blocks) <= MAX_BLOCKS
    for block in blocks:
        if block["type"] == "section":
            assert len(block["text"]["text"]) <= SECTION_LIMIT
        if block["type"] == "context":
            assert len(block["elements"]) <= 10


def _keys(path: Path, entries: list[dict[str, object]]) -> Path:
    path.write_text(yaml.safe_dump({"keys": entries}), encoding="utf-8")
    return path


def test_the_keys_file_maps_slack_ids_and_emails(tmp_path: Path) -> None:
    ring = load_keys(
        _keys(
            tmp_path / "k.yaml",
            [
                {
                    "key": "a" * 20,
                    "user": "ann",
                    "role": "csm",
                    "accounts": ["ACC-001"],
                    "slack_users": ["UANN"],
                    "emails": ["Ann@Example.com"],
                },
                {"key": "b" * 20, "user": "bob", "role": "seller", "accounts": ["ACC-002"]},
            ],
        )
    )
    assert ring.lists_emails
    assert ring.slack_principal("UANN") == ring.slack_principal("UX", "ann@example.COM")
    found = ring.slack_principal("UANN")
    assert found is not None and found.user == "ann" and found.accounts == frozenset({"ACC-001"})
    assert ring.slack_principal("UBOB", "bob@example.com") is None  # bob has no Slack mapping
    with pytest.raises(ConfigurationError, match="UANN"):
        load_keys(
            _keys(
                tmp_path / "twice.yaml",
                [
                    {
                        "key": "a" * 20,
                        "user": "ann",
                        "role": "csm",
                        "accounts": "*",
                        "slack_users": ["UANN"],
                    },
                    {
                        "key": "b" * 20,
                        "user": "bob",
                        "role": "csm",
                        "accounts": "*",
                        "slack_users": ["UANN"],
                    },
                ],
            )
        )


def test_the_manifest_names_what_the_bot_handles() -> None:
    from assistant.slack.surface import COMMAND, SHORTCUT
    from tests.conftest import REPO

    manifest = yaml.safe_load((REPO / "deploy" / "slack-manifest.yaml").read_text())
    features, settings = manifest["features"], manifest["settings"]
    assert [c["command"] for c in features["slash_commands"]] == [COMMAND]
    assert [s["callback_id"] for s in features["shortcuts"]] == [SHORTCUT]
    assert {"app_mention", "message.im", "message.channels"} <= set(
        settings["event_subscriptions"]["bot_events"]
    )
    urls = {
        settings["event_subscriptions"]["request_url"],
        settings["interactivity"]["request_url"],
    }
    urls |= {c["url"] for c in features["slash_commands"]}
    assert len(urls) == 1 and urls.pop().endswith("/slack/events")
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    assert {
        "chat:write",
        "files:write",
        "users:read.email",
        "commands",
        "reactions:write",
    } <= scopes
