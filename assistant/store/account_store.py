"""Reads and live writes of the accounts store. No scope checks here: callers (tools, routes)
check the principal first; portfolio reads take the scope to filter by."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, TypeVar

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, sessionmaker

from assistant.errors import InvalidInputError, NotFoundError
from assistant.store.accounts import (
    Account,
    HealthSnapshot,
    Incident,
    License,
    Opportunity,
    Outcome,
    Survey,
)
from assistant.store.db import Base
from assistant.store.records import HealthValues, LicenseCounts, SurveyResponse

Scope = frozenset[str] | None
Row = TypeVar("Row", bound=Base)


class AccountStore:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    # reads -------------------------------------------------------------------------------
    def account(self, account_id: str) -> Account:
        with self._sessions() as session:
            row = session.get(Account, account_id)
        if row is None:
            raise NotFoundError(f"account {account_id} does not exist")
        return row

    def accounts(self, scope: Scope = None) -> list[Account]:
        query = select(Account).order_by(Account.id)
        if scope is not None:
            query = query.where(Account.id.in_(sorted(scope)))
        return self._all(query)

    def health(
        self, account_id: str, since: dt.date | None, until: dt.date
    ) -> list[HealthSnapshot]:
        query = select(HealthSnapshot).where(
            HealthSnapshot.account_id == account_id, HealthSnapshot.month <= until
        )
        if since is not None:
            query = query.where(HealthSnapshot.month >= since)
        return self._all(query.order_by(HealthSnapshot.month))

    def latest_health(
        self, account_ids: Sequence[str], until: dt.date
    ) -> dict[str, HealthSnapshot]:
        """The newest snapshot on or before `until` for each account that has one."""
        rows: list[HealthSnapshot] = self._all(
            select(HealthSnapshot)
            .where(HealthSnapshot.account_id.in_(list(account_ids)), HealthSnapshot.month <= until)
            .order_by(HealthSnapshot.month)
        )
        return {row.account_id: row for row in rows}  # later months overwrite earlier ones

    def health_histories(
        self, account_ids: Sequence[str], since: dt.date, until: dt.date
    ) -> dict[str, list[HealthSnapshot]]:
        """Each account's snapshots in [since, until], oldest first (one query)."""
        rows: list[HealthSnapshot] = self._all(
            select(HealthSnapshot)
            .where(
                HealthSnapshot.account_id.in_(list(account_ids)),
                HealthSnapshot.month >= since,
                HealthSnapshot.month <= until,
            )
            .order_by(HealthSnapshot.month)
        )
        histories: dict[str, list[HealthSnapshot]] = {}
        for row in rows:
            histories.setdefault(row.account_id, []).append(row)
        return histories

    def licenses(self, account_ids: Sequence[str]) -> list[License]:
        return self._all(
            select(License)
            .where(License.account_id.in_(list(account_ids)))
            .order_by(License.account_id, License.module)
        )

    def surveys(self, account_id: str, since: dt.date, until: dt.date) -> list[Survey]:
        return self.surveys_of([account_id], since, until)

    def incidents(self, account_id: str, since: dt.date, until: dt.date) -> list[Incident]:
        return self.incidents_of([account_id], since, until)

    def surveys_of(
        self, account_ids: Sequence[str], since: dt.date, until: dt.date
    ) -> list[Survey]:
        """The survey answers of several accounts in [since, until] (one query)."""
        return self._all(
            select(Survey)
            .where(Survey.account_id.in_(list(account_ids)))
            .where(Survey.date >= since, Survey.date <= until)
            .order_by(Survey.account_id, Survey.date, Survey.kind, Survey.respondent)
        )

    def incidents_of(
        self, account_ids: Sequence[str], since: dt.date, until: dt.date
    ) -> list[Incident]:
        """The monthly incident counts of several accounts in [since, until] (one query)."""
        return self._all(
            select(Incident)
            .where(Incident.account_id.in_(list(account_ids)))
            .where(Incident.month >= since, Incident.month <= until)
            .order_by(Incident.account_id, Incident.month, Incident.severity)
        )

    def outcomes(self, account_id: str) -> list[Outcome]:
        return self._all(
            select(Outcome).where(Outcome.account_id == account_id).order_by(Outcome.date)
        )

    def opportunity(self, opportunity_id: str) -> Opportunity:
        with self._sessions() as session:
            row = session.get(Opportunity, opportunity_id)
        if row is None:
            raise NotFoundError(f"opportunity {opportunity_id} does not exist")
        return row

    def opportunities(self, account_ids: Sequence[str]) -> list[Opportunity]:
        return self._all(
            select(Opportunity)
            .where(Opportunity.account_id.in_(list(account_ids)))
            .order_by(Opportunity.id)
        )

    # live writes -----------------------------------------------------------------------
    def record_health(self, account_id: str, values: HealthValues) -> tuple[HealthSnapshot, bool]:
        if values.overall is None:
            raise InvalidInputError(
                "the overall score is missing: validate the snapshot with the rules "
                "(records.vocabulary_context) so the formula computes it"
            )
        data = values.model_dump()
        return self._put(
            HealthSnapshot, (account_id, values.month), {"account_id": account_id, **data}
        )

    def record_licenses(
        self, account_id: str, counts: LicenseCounts, as_of: dt.date
    ) -> tuple[License, bool]:
        data = {"account_id": account_id, **counts.model_dump(), "as_of": as_of}
        return self._put(License, (account_id, counts.module), data)

    def record_survey(self, account_id: str, response: SurveyResponse) -> tuple[Survey, bool]:
        data = {"account_id": account_id, **response.model_dump()}
        key = (account_id, response.date, response.kind, response.respondent)
        return self._put(Survey, key, data)

    # helpers ---------------------------------------------------------------------------
    def _all(self, query: Select[Row]) -> list[Row]:
        with self._sessions() as session:
            return list(session.scalars(query))

    def _put(
        self, table: type[Row], key: tuple[Any, ...], values: dict[str, Any]
    ) -> tuple[Row, bool]:
        """Insert or replace the row with this primary key; True when it is new."""
        with self._sessions.begin() as session:
            if session.get(Account, values["account_id"]) is None:
                raise NotFoundError(f"account {values['account_id']} does not exist")
            row = session.get(table, key)
            created = row is None
            if row is None:
                row = table(**values)
                session.add(row)
            else:
                for name, value in values.items():
                    setattr(row, name, value)
        return row, created
