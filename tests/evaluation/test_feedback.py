"""Feedback: POST /api/feedback on a real server, then export as candidate cases."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
import yaml
from typer.testing import CliRunner

from assistant.cli import app
from assistant.config import Settings, get_settings
from assistant.errors import InvalidInputError
from assistant.evaluation.suite import load_suite
from assistant.store.db import build_engine
from assistant.store.feedback import FeedbackStore


def ask(client: httpx.Client, message: str, conversation_id: str | None = None) -> str:
    body = {"message": message, "conversation_id": conversation_id}
    response = client.post("/api/chat", json=body)
    assert response.status_code == 200
    return str(response.json()["conversation_id"])


def export(settings: Settings, out: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(settings.data_dir))
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["eval", "export-feedback", "--out", str(out)])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    return result.output


def test_feedback_round_trip(
    live_client: httpx.Client,
    settings: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first = ask(live_client, "When should a customer be live?")
    ask(live_client, "and the training?", first)
    liked = ask(live_client, "What health score is red?")

    down = live_client.post(
        "/api/feedback",
        json={"conversation_id": first, "rating": "down", "comment": "Say <who> trains them"},
    )
    assert down.status_code == 201, down.text
    rated = down.json()
    assert rated["rating"] == "down" and rated["comment"] == "Say <who> trains them"
    up = live_client.post("/api/feedback", json={"conversation_id": liked, "rating": "up"})
    assert up.status_code == 201 and up.json()["comment"] is None
    earlier = rated["message_id"] - 2  # the first answer of the first conversation
    again = live_client.post(
        "/api/feedback",
        json={"conversation_id": first, "message_id": earlier, "rating": "down"},
    )
    assert again.status_code == 201 and again.json()["message_id"] == earlier

    out = tmp_path / "suites" / "feedback.yaml"
    assert "2 new candidate case(s) from 2 thumbs-down" in export(settings, out, monkeypatch)
    suite = load_suite(out)
    assert suite.needs_review and suite.suite == "feedback"
    latest, earliest = suite.cases  # in the order the feedback came in
    assert latest.ask == "and the training?" and earliest.ask == "When should a customer be live?"
    assert latest.origin is not None and latest.origin["comment"] == "Say <who> trains them"
    assert "Training for administrators" in latest.origin["answer"]
    assert latest.expect.facts == [] and latest.expect.sources == []
    text = out.read_text(encoding="utf-8")
    assert text.count("# TODO") == 6

    # a person completes one case and clears the flag; exporting again keeps their work
    completed = text.replace("needs_review: true", "needs_review: false").replace(
        "facts: []  # TODO", 'facts: ["second week"]  # done', 1
    )
    out.write_text(completed, encoding="utf-8")
    assert load_suite(out).cases[0].expect.facts == ["second week"]
    assert "0 new candidate case(s)" in export(settings, out, monkeypatch)
    assert out.read_text(encoding="utf-8") == completed

    live_client.post("/api/feedback", json={"conversation_id": liked, "rating": "down"})
    assert "1 new candidate case(s)" in export(settings, out, monkeypatch)
    extended = load_suite(out)
    assert extended.needs_review  # new TODOs: flagged again
    assert [c.ask for c in extended.cases][-1] == "What health score is red?"
    assert extended.cases[0].expect.facts == ["second week"]


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"conversation_id": "nope", "rating": "down"}, 404),
        ({"rating": "down"}, 422),
        ({"conversation_id": "", "rating": "down"}, 422),
        ({"conversation_id": "   ", "rating": "up"}, 422),
        ({"conversation_id": "x", "rating": "meh"}, 422),
        ({"conversation_id": "x", "rating": ""}, 422),
        ({"conversation_id": "x", "rating": "up", "extra": 1}, 422),
        ({"conversation_id": "x", "rating": "up", "message_id": 0}, 422),
    ],
)
def test_feedback_validation(
    live_client: httpx.Client, body: dict[str, object], status: int
) -> None:
    assert live_client.post("/api/feedback", json=body).status_code == status


def test_feedback_on_a_message_of_another_conversation_is_404(live_client: httpx.Client) -> None:
    one = ask(live_client, "When should a customer be live?")
    other = ask(live_client, "What health score is red?")
    mine = live_client.post("/api/feedback", json={"conversation_id": one, "rating": "up"})
    message = mine.json()["message_id"]
    wrong = live_client.post(
        "/api/feedback", json={"conversation_id": other, "message_id": message, "rating": "down"}
    )
    assert wrong.status_code == 404 and "is not an answer" in wrong.json()["detail"]
    user_message = live_client.post(
        "/api/feedback", json={"conversation_id": one, "message_id": message - 1, "rating": "up"}
    )
    assert user_message.status_code == 404  # the question, not an answer


def test_store_without_answers_and_table_on_first_use(settings: Settings) -> None:
    from assistant.store.conversations import ConversationStore
    from assistant.store.db import session_factory

    engine = build_engine(settings)
    try:
        conversation = ConversationStore(session_factory(engine)).record_turn(
            None, "local", None, []
        )
        store = FeedbackStore(engine)
        with pytest.raises(InvalidInputError, match="no answer to rate yet"):
            store.record(conversation, "down")
        assert store.rated() == []
    finally:
        engine.dispose()


def test_export_without_feedback_writes_a_loadable_empty_suite(tmp_path: Path) -> None:
    from assistant.evaluation.feedback_export import export_yaml

    text, added = export_yaml([])
    assert added == 0
    assert yaml.safe_load(text)["cases"] == []
