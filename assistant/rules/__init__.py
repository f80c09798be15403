"""Business rules as data: `rules.yaml` loaded (`load`), validated (`models`), checked
against the knowledge base's sections (`check`), and signal conditions (`signals`)."""

from __future__ import annotations

from assistant.rules.check import Problem, check_rules
from assistant.rules.load import RULES_FILE, load_rules
from assistant.rules.models import Band, Component, Quadrant, QualField, Rules, Signal
from assistant.rules.signals import AccountFacts, active_signals

__all__ = [
    "RULES_FILE",
    "AccountFacts",
    "Band",
    "Component",
    "Problem",
    "Quadrant",
    "QualField",
    "Rules",
    "Signal",
    "active_signals",
    "check_rules",
    "load_rules",
]
