"""Calibrate the grounded planner's intent-score margins on the dev splits only.

    python eval/calibrate_planner.py eval/suites/knowledge.yaml eval/suites/portfolio.yaml \
        eval/suites/accounts.yaml --data-dir /tmp/calibration --today 2026-11-01

Every single-turn dev case is planned under each setting of the grid, by coordinate
descent: each margin in turn is set to the grid value that plans the most cases right, the
others in place, for `--passes` rounds. It is fast because nothing is recomputed per
setting: each message's entities are resolved once and its intent scores (and its
clauses') embedded once, before the sweep; a setting costs only the re-plan.

A plan is right when its scope is the suite's: a knowledge question stays knowledge (a
question to decline stays knowledge or is declined), a portfolio question is planned over
the portfolio, an account question's planned tools include the tools the case requires; a
case whose answer must list what to do ("What to do" among its facts) is planned as an
action list, and one that must not (among its `absent`) is not. The best setting is
printed, to be copied into assistant/engine/planner/margins.yaml; ties keep the values in
place. The test split is never read.
"""

from __future__ import annotations

import argparse
import datetime as dt
import time
from functools import cache
from pathlib import Path

from assistant.config import Settings
from assistant.engine.planner.entities import EntityResolver, Found
from assistant.engine.planner.margins import Margins, shipped_margins
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
    "actions_margin": [0.0, 0.02, 0.03, 0.05, 0.08],
    "clause_actions_min": [0.45, 0.5, 0.55, 0.6, 0.65, 0.7],
    "unknown_min": [0.5, 0.55, 0.6, 0.65, 0.7],
    "unknown_gain": [0.05, 0.1, 0.15, 0.2],
    "carry_below": [0.6, 0.65, 0.7, 0.75, 0.8],
}
ACTION_FACT = "What to do"
ACTION_TOOLS = {  # what an action list calls (planner/actions.py facts_of)
    "account_overview",
    "health_score",
    "license_utilization",
    "support_incidents",
    "survey_trend",
    "opportunity",
    "expansion_targets",
}


class CachedResolver(EntityResolver):
    """The resolver with `resolve` memoised: a message's entities are found once."""

    def __init__(self, inner: EntityResolver) -> None:
        self.__dict__.update(inner.__dict__)
        self._resolve = cache(inner.resolve)

    def resolve(self, message: str) -> Found:
        return self._resolve(message)


def right(suite: str, case: Case, plan: Plan) -> bool:
    if ACTION_FACT in case.expect.facts and plan.scope != "actions":
        return False
    if ACTION_FACT in case.expect.absent and plan.scope == "actions":
        return False
    if case.expect.refuse:
        return plan.scope == "knowledge" or (plan.clarify is not None and plan.clarify.declined)
    if suite == "accounts" and not case.tools:  # an account case without tools asks back
        return plan.clarify is not None
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
    parser.add_argument("--passes", type=int, default=2)
    args = parser.parse_args()
    settings = Settings(_env_file=None, data_dir=args.data_dir, today=args.today)  # type: ignore[call-arg]
    services = build_services(settings)
    ensure_index(services, print)
    desk = services.chat.desk
    assert desk is not None
    principal = Principal()
    resolver = CachedResolver(desk.resolver(principal))
    desk.matcher.cache_size = 1_000_000  # every message (and clause) embedded once
    vocabulary = desk.vocabulary(principal)
    today = desk.tools.context.clock()
    cases: list[tuple[str, Case]] = []
    for path in args.suites:
        suite = load_suite(path).select("dev")
        cases += [(suite.suite, c) for c in suite.cases if not c.turns and c.ask]
    accounts = {a.id: a for a in resolver.names.accounts}
    current = shipped_margins()
    print(f"dev split: {len(cases)} single-turn cases of {len(args.suites)} suites")

    def score(margins: Margins) -> tuple[int, list[str]]:
        planner = Planner(desk.matcher, vocabulary, margins, rules=desk.rules)
        wrong = []
        for suite, case in cases:
            context = accounts.get(case.account) if case.account else None
            plan = planner.plan(case.ask, principal, resolver, today, None, context)
            if not right(suite, case, plan):
                wrong.append(f"{suite}/{case.id} -> {plan.scope}")
        return len(cases) - len(wrong), wrong

    started = time.perf_counter()
    base, wrong = score(current)  # embeds and resolves every message once (then cached)
    print(
        f"in place: {base}/{len(cases)} right ({time.perf_counter() - started:.1f} s to warm "
        f"the caches); wrong: {wrong}",
        flush=True,
    )
    best = (base, current, wrong)
    for round_ in range(args.passes):
        before = best[1]
        for name, values in GRID.items():
            results = []
            for value in values:
                n, wrong = score(best[1].model_copy(update={name: value}))
                print(f"  pass {round_ + 1} {name}={value}: {n}/{len(cases)}", flush=True)
                results.append((n, value, wrong))
            top = max(n for n, _, _ in results)
            # a plateau of equally good values: its middle, the setting farthest from a
            # value that plans fewer cases right
            tied = [(value, wrong) for n, value, wrong in results if n == top]
            value, wrong = tied[len(tied) // 2]
            if top >= best[0]:
                best = (top, best[1].model_copy(update={name: value}), wrong)
        if best[1] == before:
            break
    print(f"sweep: {time.perf_counter() - started:.1f} s")
    n, margins, wrong = best
    print(f"best: {n}/{len(cases)} right with {margins.model_dump()}; wrong: {wrong}")
    services.close()


if __name__ == "__main__":
    main()
