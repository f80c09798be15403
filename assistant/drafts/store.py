"""Drafts made earlier, kept so they can be downloaded again (`GET /api/drafts/{id}.docx`).

The table is created on first use (`create_all` for this table only), so it does not matter
whether this module was imported before the database was built.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid

from sqlalchemy import Engine

from assistant.drafts.models import DraftBase, parse_draft
from assistant.errors import NotFoundError
from assistant.store.db import Base, session_factory
from assistant.store.drafts import DraftRecord


class DraftStore:
    def __init__(self, engine: Engine) -> None:
        Base.metadata.create_all(engine, tables=[DraftRecord.__table__])  # type: ignore[list-item]
        self._sessions = session_factory(engine)  # writes take the lock first (store.db)

    def save(self, draft: DraftBase, account_id: str | None, owner: str) -> str:
        draft_id = uuid.uuid4().hex
        with self._sessions.begin() as session:
            session.add(
                DraftRecord(
                    id=draft_id,
                    kind=draft.kind,
                    account_id=account_id,
                    owner=owner,
                    created_at=dt.datetime.now(dt.UTC),
                    payload=draft.model_dump_json(),
                )
            )
        return draft_id

    def load(self, draft_id: str) -> tuple[DraftBase, str | None]:
        """The draft and the account it is about; NotFoundError for an unknown id."""
        with self._sessions() as session:
            row = session.get(DraftRecord, draft_id)
        if row is None:
            raise NotFoundError(f"draft {draft_id} does not exist")
        return parse_draft(json.loads(row.payload)), row.account_id
