"""The lifecycle stage of an account, derived from its data by a documented rule.

The rules, checked in this order (the first that holds gives the stage):

The numbers are the success plan template's (`lifecycle.stages`: renew_within_days,
onboard_weeks) and the expansion quadrant is the rules' healthy, low-penetration one.

1. renew    the renewal date is 90 days away or less (or has passed): renewal execution
            runs then, and partners are prompted 60-90 days before the renewal date
            (the renewal timeline of the renewal playbook).
2. land     the contract has not started yet (signed, nothing to onboard yet).
3. onboard  the contract started less than 13 weeks ago (the target is live within 30 days,
            and the success debrief at week 13 closes onboarding: the onboarding
            playbook), or no user is active in any licensed module yet.
4. expand   the account is in the Expand quadrant of the 2x2 (health 60 or above and ARR
            per employee below $150), its health trend is not declining, and it has at
            least one verified outcome: value is proven and there is whitespace
            (the expansion playbook and the verified outcomes programme).
5. adopt    otherwise: live, and growing usage is the job.

The stage recorded in the CRM (`accounts.stage`) is reported beside the derived one; when
they differ the draft says so, for the CSM to confirm.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from assistant.drafts.models import Stage
from assistant.drafts.templates import StageRules

# where each rule is written: the success plan template's `lifecycle` lookups, one per stage


@dataclass(frozen=True)
class StageFacts:
    days_to_renewal: int
    contract_start: dt.date
    active_users: int
    quadrant: str | None
    trend: str | None
    verified_outcomes: int
    expand_quadrant: str | None = None  # the rules' healthy, low-penetration quadrant


def derive_stage(
    facts: StageFacts, today: dt.date, numbers: StageRules | None = None
) -> tuple[Stage, str]:
    """The stage and the rule that gave it, stated with the figures it used."""
    numbers = numbers or StageRules()
    started = (today - facts.contract_start).days
    start = facts.contract_start.isoformat()
    if facts.days_to_renewal <= numbers.renew_within_days:
        return "renew", f"the renewal is {facts.days_to_renewal} days away"
    if started < 0:
        return "land", f"the contract starts on {start}"
    weeks = numbers.onboard_weeks
    if started < weeks * 7:
        return "onboard", f"the contract started on {start}, less than {weeks} weeks ago"
    if facts.active_users == 0:
        return "onboard", "no user is active in any licensed module yet"
    expand = facts.expand_quadrant
    if (
        expand is not None
        and facts.quadrant == expand
        and facts.trend != "declining"
        and facts.verified_outcomes
    ):
        return "expand", (
            f"{expand} quadrant, {facts.trend} health trend, verified outcomes recorded"
        )
    reasons = []
    if facts.quadrant != expand:
        reasons.append(f"{facts.quadrant or 'no'} quadrant")
    if facts.trend == "declining":
        reasons.append("declining health trend")
    if facts.verified_outcomes == 0:
        reasons.append("no verified outcome")
    return "adopt", f"live since {start}; not expand: {', '.join(reasons)}"
