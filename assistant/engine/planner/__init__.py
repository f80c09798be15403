"""Query understanding shared by both engines: a typed `Plan` from intent exemplars (data),
slot parsers (numbers, thresholds, dates, the rules' vocabularies), entities resolved
against the store and the index, and the conversation state for follow-ups.

plan.py        the Plan, its entities and tool steps
intents.py     exemplar similarity (exemplars.yaml, the services' embedder)
slots.py       numbers, comparisons, top-N, bands, quadrants, risk levels, "my accounts"
dates.py       date windows relative to the settings clock
entities.py    accounts, people, partners, modules, opportunities, service titles
state.py       conversation state and follow-up references
planner.py     the planner: message + state -> Plan
execute.py     runs a plan's tool steps (filters a tool does not take yet applied here)
signals.py     signal -> guidance rules (signals.yaml until the rules file has them)
actions.py     the dated action list of an account
vocabulary.py  the rules' names as the planner needs them
"""

from assistant.engine.planner.plan import Plan
from assistant.engine.planner.planner import Planner

__all__ = ["Plan", "Planner"]
