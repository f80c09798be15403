"""Calibrate the grounded planner's intent-score margins on the dev splits only.

    python eval/calibrate_planner.py eval/suites/knowledge.yaml eval/suites/portfolio.yaml \
        eval/suites/accounts.yaml --data-dir /tmp/calibration --today 2026-11-01

Every single-turn dev case is planned under each setting of the grid, one margin varied at
a time with the others in place (the intent scores of a message are embedded once and
cached, so a setting costs a re-plan, not a model call). A
plan is right when its scope is the suite's: a knowledge question stays knowledge (a
question to decline stays knowledge or is declined), a portfolio question is planned over
the portfolio, an account question's planned tools include the tools the case requires. The
best setting is printed, to be copied into assistant/engine/planner/margins.yaml; ties keep
the values in place. The test split is never read.
"""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

from assistant.config import Settings
from assistant.engine.planner.margins import shipped_margins
from assistant.engine.planner.plan import Plan
from assistant.engine.planner.planner import Planner
from assistant.evaluation.session import ensure_index
from assistant.evaluation.suite import Case, load_suite
from assistant.principal import Principal
from assistant.services import build_services

GRID = {
    "portfolio_lead": [0.0, 0.02, 0.05, 0.08, 0.1],
    "portfolio_sure": [0.5, 0.55, 0.6, 0.65, 0.7],
    "knowledge_lead": [0.0, 0.02, 0.05, 0.08, 0.1],
    "actions_margin": [0.0, 0.03, 0.05],
}
ACTION_TOOLS = {  # what an action list calls (planner/actions.py facts_of)
    "account_overview",
    "health_score",
    "license_utilization",
    "support_incidents",
    "survey_trend",
    "opportunity",
    "expansion_targets",
}


def right(suite: str, case: Case, plan: Plan) -> bool:
    if case.expect.refuse:
        return plan.scope == "knowledge" or (plan.clarify is not None and plan.clarify.declined)
    if case.tools:
        planned = ACTION_TOOLS if plan.scope == "actions" else {t.name for t in plan.tools}
        return set(case.tools) <= planned
    if suite == "portfolio":
        return plan.scope == "portfolio"
    return plan.scope == "knowledge"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("suites", type=Path, nargs="+")
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--today", type=dt.date.fromisoformat, default=None)
    args = parser.parse_args()
    settings = Settings(_env_file=None, data_dir=args.data_dir, today=args.today)  # type: ignore[call-arg]
    services = build_services(settings)
    ensure_index(services, print)
    desk = services.chat.desk
    assert desk is not None
    principal = Principal()
    resolver = desk.resolver(principal)
    vocabulary = desk.vocabulary(principal)
    today = desk.tools.context.clock()
    cases: list[tuple[str, Case]] = []
    for path in args.suites:
        suite = load_suite(path).select("dev")
        cases += [(suite.suite, c) for c in suite.cases if not c.turns and c.ask]
    accounts = {a.id: a for a in resolver.names.accounts}
    current = shipped_margins()
    print(f"dev split: {len(cases)} single-turn cases of {len(args.suites)} suites")

    def score(margins: object) -> tuple[int, list[str]]:
        planner = Planner(desk.matcher, vocabulary, margins)  # type: ignore[arg-type]
        wrong = []
        for suite, case in cases:
            context = accounts.get(case.account) if case.account else None
            plan = planner.plan(case.ask, principal, resolver, today, None, context)
            if not right(suite, case, plan):
                wrong.append(f"{suite}/{case.id} -> {plan.scope}")
        return len(cases) - len(wrong), wrong

    base, wrong = score(current)
    print(f"in place: {base}/{len(cases)} right; wrong: {wrong}", flush=True)
    best = (base, current, wrong)
    for name, values in GRID.items():
        for value in values:
            margins = best[1].model_copy(update={name: value})
            n, wrong = score(margins)
            print(f"  {name}={value}: {n}/{len(cases)}", flush=True)
            if n > best[0]:
                best = (n, margins, wrong)
    n, margins, wrong = best
    print(f"best: {n}/{len(cases)} right with {margins.model_dump()}; wrong: {wrong}")
    services.close()


if __name__ == "__main__":
    main()
