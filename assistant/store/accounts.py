"""The accounts store: tables for accounts and their live metrics (SQLite or Postgres).

    accounts            one row per customer account (ARR, renewal, owners, partner, stage)
    licenses            licensed / active / assigned users per account and module
    health_snapshots    monthly health components and the overall score
    surveys             NPS and CSAT responses
    incidents           support incidents per account, month and severity
    outcomes            outcomes the customer verified in writing
    opportunities       open opportunities with their MEDDICC fields

Natural keys are the primary keys, so an import is an idempotent upsert by key. Only
portable column types are used; the same code runs on SQLite and Postgres.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from assistant.store.db import Base

_ACCOUNT_FK = "accounts.id"


class Account(Base):
    __tablename__ = "accounts"

    id: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    industry: Mapped[str] = mapped_column(String(64))
    segment: Mapped[str] = mapped_column(String(16), index=True)
    employees: Mapped[int] = mapped_column(Integer)
    arr: Mapped[int] = mapped_column(Integer)
    contract_start: Mapped[dt.date] = mapped_column(Date)
    renewal_date: Mapped[dt.date] = mapped_column(Date, index=True)
    csm: Mapped[str] = mapped_column(String(200))
    account_exec: Mapped[str] = mapped_column(String(200))
    partner: Mapped[str | None] = mapped_column(String(200), nullable=True)
    partner_role: Mapped[str] = mapped_column(String(16))
    stage: Mapped[str] = mapped_column(String(16))
    as_of: Mapped[dt.date] = mapped_column(Date)


class License(Base):
    __tablename__ = "licenses"

    account_id: Mapped[str] = mapped_column(ForeignKey(_ACCOUNT_FK), primary_key=True)
    module: Mapped[str] = mapped_column(String(32), primary_key=True)
    licensed: Mapped[int] = mapped_column(Integer)
    active: Mapped[int] = mapped_column(Integer)
    assigned: Mapped[int] = mapped_column(Integer)
    as_of: Mapped[dt.date] = mapped_column(Date)


class HealthSnapshot(Base):
    __tablename__ = "health_snapshots"

    account_id: Mapped[str] = mapped_column(ForeignKey(_ACCOUNT_FK), primary_key=True)
    month: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    deployment: Mapped[int] = mapped_column(Integer)
    adoption: Mapped[int] = mapped_column(Integer)
    breadth: Mapped[int] = mapped_column(Integer)
    engagement: Mapped[int] = mapped_column(Integer)
    outcomes: Mapped[int] = mapped_column(Integer)
    overall: Mapped[int] = mapped_column(Integer)


class Survey(Base):
    __tablename__ = "surveys"

    account_id: Mapped[str] = mapped_column(ForeignKey(_ACCOUNT_FK), primary_key=True)
    date: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    kind: Mapped[str] = mapped_column(String(8), primary_key=True)
    respondent: Mapped[str] = mapped_column(String(200), primary_key=True)
    score: Mapped[float] = mapped_column(Float)


class Incident(Base):
    __tablename__ = "incidents"

    account_id: Mapped[str] = mapped_column(ForeignKey(_ACCOUNT_FK), primary_key=True)
    month: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    severity: Mapped[str] = mapped_column(String(8), primary_key=True)
    count: Mapped[int] = mapped_column(Integer)


class Outcome(Base):
    __tablename__ = "outcomes"

    account_id: Mapped[str] = mapped_column(ForeignKey(_ACCOUNT_FK), primary_key=True)
    date: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    outcome: Mapped[str] = mapped_column(String(300), primary_key=True)
    metric: Mapped[str] = mapped_column(Text)
    verified_by: Mapped[str] = mapped_column(String(200))


class Opportunity(Base):
    __tablename__ = "opportunities"

    id: Mapped[str] = mapped_column(String(16), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey(_ACCOUNT_FK), index=True)
    name: Mapped[str] = mapped_column(String(300))
    service: Mapped[str] = mapped_column(String(100))
    stage: Mapped[str] = mapped_column(String(32))
    amount: Mapped[int] = mapped_column(Integer)
    close_date: Mapped[dt.date] = mapped_column(Date)
    metrics: Mapped[str | None] = mapped_column(Text, nullable=True)
    economic_buyer: Mapped[str | None] = mapped_column(Text, nullable=True)
    decision_criteria: Mapped[str | None] = mapped_column(Text, nullable=True)
    decision_process: Mapped[str | None] = mapped_column(Text, nullable=True)
    identify_pain: Mapped[str | None] = mapped_column(Text, nullable=True)
    champion: Mapped[str | None] = mapped_column(Text, nullable=True)
    competition: Mapped[str | None] = mapped_column(Text, nullable=True)
    compelling_event: Mapped[str | None] = mapped_column(Text, nullable=True)
    as_of: Mapped[dt.date] = mapped_column(Date)


TABLES: dict[str, type[Base]] = {
    "accounts": Account,
    "licenses": License,
    "health_snapshots": HealthSnapshot,
    "surveys": Survey,
    "incidents": Incident,
    "outcomes": Outcome,
    "opportunities": Opportunity,
}
