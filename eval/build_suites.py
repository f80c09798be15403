"""Write eval/suites/portfolio.yaml and eval/suites/conversations.yaml from the account
exports in knowledge/accounts/, so every expected fact is computed from the data.

    python eval/build_suites.py            # rewrite both files
    python eval/build_suites.py --check    # exit 1 when a file differs from what the data gives

Rows listed in KNOWN_ISSUES.yaml are left out (the importer rejects them), and so are the
accounts whose own row is rejected. "Health" is the latest snapshot's overall score as of the
data's reference date; bands are the health guide's (red < 40, orange < 60, yellow < 80,
green). A date window is skipped when an account renews on its boundary, so that no case
depends on whether a window's end is inclusive. tests/evaluation/test_built_suites.py checks
the files against this script and re-derives the list cases with its own reading of the data.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "knowledge" / "accounts"
SUITES = ROOT / "eval" / "suites"
WORDS = {2: "two", 3: "three", 4: "four", 5: "five", 6: "six"}


@dataclass(frozen=True)
class Account:
    id: str
    name: str
    segment: str
    arr: int
    renewal: dt.date
    csm: str
    ae: str
    partner: str
    health: int


def _bad_lines() -> set[tuple[str, int]]:
    doc = yaml.safe_load((DATA / "KNOWN_ISSUES.yaml").read_text(encoding="utf-8"))
    return {(str(i["file"]), int(i["line"])) for i in doc["issues"]}


def _rows(name: str, skip: set[str]) -> Iterator[dict[str, str]]:
    bad = _bad_lines()
    with (DATA / name).open(newline="", encoding="utf-8") as fh:
        for line, row in enumerate(csv.DictReader(fh), start=2):
            if (name, line) not in bad and (row.get("account_id") or row.get("id")) not in skip:
                yield row


def today() -> dt.date:
    meta = json.loads((DATA / "meta.json").read_text(encoding="utf-8"))
    return dt.date.fromisoformat(meta["reference_date"])


def load_accounts() -> list[Account]:
    rejected = {
        i["account_id"]
        for i in yaml.safe_load((DATA / "KNOWN_ISSUES.yaml").read_text(encoding="utf-8"))["issues"]
        if i["file"] == "accounts.csv"
    }
    latest: dict[str, tuple[str, int]] = {}
    for row in _rows("health_snapshots.csv", rejected):
        month = row["month"]
        if month <= today().isoformat() and month >= latest.get(row["account_id"], ("", 0))[0]:
            latest[row["account_id"]] = (month, int(row["overall"]))
    return [
        Account(
            id=row["id"],
            name=row["name"],
            segment=row["segment"],
            arr=int(row["arr"]),
            renewal=dt.date.fromisoformat(row["renewal_date"]),
            csm=row["csm"],
            ae=row["account_exec"],
            partner=row["partner"],
            health=latest[row["id"]][1],
        )
        for row in _rows("accounts.csv", rejected)
    ]


def band(score: int) -> str:
    return "red" if score < 40 else "orange" if score < 60 else "yellow" if score < 80 else "green"


def name_fact(account: Account) -> str:
    return re.escape(account.name)


def listing(
    case_id: str,
    ask: str,
    members: list[Account],
    everyone: list[Account],
    origin: dict[str, Any],
) -> dict[str, Any]:
    """A list question: every member's name must be in the answer, no other account's."""
    inside = {a.id for a in members}
    return {
        "id": case_id,
        "ask": ask,
        "expect": {
            "facts": [name_fact(a) for a in members] or ["\\bno(ne)?\\b"],
            "absent": [name_fact(a) for a in everyone if a.id not in inside],
        },
        "origin": origin,
    }


def add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    return dt.date(day.year + month // 12, month % 12 + 1, 1) if day.day == 1 else day


def renewing(accounts: list[Account], start: dt.date, end: dt.date) -> list[Account] | None:
    """Accounts renewing in [start, end); None when one renews on a boundary day."""
    if any(a.renewal in (start, end, end - dt.timedelta(days=1)) for a in accounts):
        return None
    return sorted((a for a in accounts if start <= a.renewal < end), key=lambda a: a.renewal)


def portfolio(accounts: list[Account]) -> list[dict[str, Any]]:
    now = today()
    cases: list[dict[str, Any]] = []
    phrasings = [
        "Which accounts have a health score under {n}?",
        "accounts with health under {n}",
        "List the customers whose health score is below {n}.",
    ]
    for n in (40, 45, 50, 60, 70):
        members = sorted((a for a in accounts if a.health < n), key=lambda a: a.health)
        for k, phrase in enumerate(phrasings[: 2 if n in (45, 70) else 3]):
            cases.append(
                listing(
                    f"health-under-{n}-{k + 1}",
                    phrase.format(n=n),
                    members,
                    accounts,
                    {"filter": {"health_below": n}},
                )
            )
    for n in (80, 85):
        members = [a for a in accounts if a.health >= n]
        cases.append(
            listing(
                f"health-at-least-{n}",
                f"Which accounts have a health score of {n} or more?",
                members,
                accounts,
                {"filter": {"health_at_least": n}},
            )
        )
    for colour in ("red", "orange", "green"):
        members = [a for a in accounts if band(a.health) == colour]
        cases.append(
            listing(
                f"band-{colour}",
                f"Which accounts are in the {colour} health band?",
                members,
                accounts,
                {"filter": {"band": colour}},
            )
        )
    for months in (1, 2, 3, 4, 6):
        end = add_months(now, months)
        members = renewing(accounts, now, end)
        if members is None:
            continue
        word = "month" if months == 1 else f"{WORDS.get(months, months)} months"
        for k, phrase in enumerate(
            ["Which accounts renew in the next {w}?", "renewing in the next {w}"]
        ):
            cases.append(
                listing(
                    f"renewing-{months}-months-{k + 1}",
                    phrase.format(w=word),
                    members,
                    accounts,
                    {
                        "filter": {
                            "renewal_from": now.isoformat(),
                            "renewal_before": end.isoformat(),
                        }
                    },
                )
            )
    for days in (30, 60, 90, 120):
        end = now + dt.timedelta(days=days + 1)
        members = renewing(accounts, now, end)
        if members is None:
            continue
        cases.append(
            listing(
                f"renewing-{days}-days",
                f"Which accounts are up for renewal in the next {days} days?",
                members,
                accounts,
                {"filter": {"renewal_from": now.isoformat(), "renewal_before": end.isoformat()}},
            )
        )
    quarter_start = dt.date(now.year + 1, 1, 1)
    quarter_end = dt.date(now.year + 1, 4, 1)
    members = renewing(accounts, quarter_start, quarter_end)
    if members is not None:
        cases.append(
            listing(
                "renewing-q1",
                f"Which accounts renew in Q1 {quarter_start.year}?",
                members,
                accounts,
                {
                    "filter": {
                        "renewal_from": quarter_start.isoformat(),
                        "renewal_before": quarter_end.isoformat(),
                    }
                },
            )
        )
    for csm in sorted({a.csm for a in accounts}):
        members = sorted((a for a in accounts if a.csm == csm), key=lambda a: a.name)
        slug = csm.lower().replace(" ", "-")
        cases.append(
            listing(
                f"csm-{slug}",
                f"Which accounts does {csm} manage?",
                members,
                accounts,
                {"filter": {"csm": csm}},
            )
        )
    for ae in sorted({a.ae for a in accounts})[:4]:
        members = [a for a in accounts if a.ae == ae]
        cases.append(
            listing(
                f"ae-{ae.lower().replace(' ', '-')}",
                f"Which accounts is {ae} the account executive for?",
                members,
                accounts,
                {"filter": {"ae": ae}},
            )
        )
    for partner in sorted({a.partner for a in accounts if a.partner}):
        members = [a for a in accounts if a.partner == partner]
        cases.append(
            listing(
                f"partner-{partner.lower().replace(' ', '-')}",
                f"Which accounts does the partner {partner} work on?",
                members,
                accounts,
                {"filter": {"partner": partner}},
            )
        )
    by_arr = sorted(accounts, key=lambda a: -a.arr)
    for n in (3, 5, 10):
        cases.append(
            listing(
                f"top-{n}-arr",
                f"top {n} accounts by ARR",
                by_arr[:n],
                accounts,
                {"top": {"by": "arr", "n": n}},
            )
        )
    lowest = sorted(accounts, key=lambda a: (a.health, a.name))
    cases.append(
        listing(
            "bottom-5-health",
            "What are the 5 accounts with the lowest health scores?",
            lowest[:5],
            accounts,
            {"top": {"by": "health", "n": 5, "order": "ascending"}},
        )
    )
    enterprise = [a for a in accounts if a.segment == "enterprise" and a.health < 60]
    cases.append(
        listing(
            "enterprise-under-60",
            "Which enterprise accounts have a health score under 60?",
            enterprise,
            accounts,
            {"filter": {"segment": "enterprise", "health_below": 60}},
        )
    )
    for csm in sorted({a.csm for a in accounts})[:2]:
        members = [a for a in accounts if a.csm == csm and a.health < 60]
        slug = csm.lower().replace(" ", "-")
        cases.append(
            listing(
                f"csm-{slug}-under-60",
                f"Which of {csm}'s accounts have a health score under 60?",
                members,
                accounts,
                {"filter": {"csm": csm, "health_below": 60}},
            )
        )
    count = renewing(accounts, now, now + dt.timedelta(days=91))
    if count is not None:
        cases.append(
            {
                "id": "count-renewing-90-days",
                "ask": "How many accounts renew in the next 90 days?",
                "expect": {"facts": [rf"\b{len(count)}\b"]},
                "origin": {"count": {"renewal_within_days": 90}},
            }
        )
    return cases


# Fresh phrasings (issue 12): questions as sellers and CSMs type them (terse, typos, first
# names, calendar windows); the question is written by hand, its answer computed from the
# data with the same filter keys tests/evaluation/test_built_suites.py re-derives.
FRESH_PORTFOLIO: tuple[tuple[str, str, dict[str, Any]], ...] = (
    ("fresh-terse-health-under-50", "accts w/ health under 50", {"health_below": 50}),
    ("fresh-renew-before-february", "who renews before February?", {"renewal_before": "02-01"}),
    ("fresh-renewals-this-quarter", "renewals this quarter", {"renewal_before": "01-01"}),
    ("fresh-first-name-owner", "Maya's accounts", {"csm": "Maya Chen"}),
    (
        "fresh-owner-and-band",
        "show me Priya Nair's red accounts",
        {"csm": "Priya Nair", "band": "red"},
    ),
    (
        "fresh-segment-next-two-months",
        "enterprise accounts renewing in the next 2 months",
        {"segment": "enterprise", "renewal_before": "+61"},
    ),
    (
        "fresh-ae-green",
        "any green accounts Rachel Adams sells to?",
        {"ae": "Rachel Adams", "band": "green"},
    ),
    (
        "fresh-partner-works-with",
        "which customers does Ironbridge Consulting work with?",
        {"partner": "Ironbridge Consulting"},
    ),
    ("fresh-smb-orange", "smb customers in the orange band", {"segment": "smb", "band": "orange"}),
    (
        "fresh-mid-market-80-plus",
        "mid market accounts with health of 80 or more",
        {"segment": "mid_market", "health_at_least": 80},
    ),
    (
        "fresh-owner-before-march",
        "Luis Ortega accounts renewing before March",
        {"csm": "Luis Ortega", "renewal_before": "03-01"},
    ),
    (
        "fresh-between-scores",
        "accounts scoring below 60 but at least 40",
        {"health_below": 60, "health_at_least": 40},
    ),
    (
        "fresh-q1-renewals",
        "who renews in Q1?",
        {"renewal_from": "01-01", "renewal_before": "04-01"},
    ),
    (
        "fresh-owner-six-weeks",
        "any renewals in the next 6 weeks for Jonas Lind?",
        {"csm": "Jonas Lind", "renewal_before": "+43"},
    ),
    (
        "fresh-partner-under-60",
        "the Cobalt Managed Services accounts with health under 60",
        {"partner": "Cobalt Managed Services", "health_below": 60},
    ),
)


def _day(value: str, now: dt.date) -> str:
    """ "+N": N days from today; "MM-DD": the next such date after today."""
    if value.startswith("+"):
        return (now + dt.timedelta(days=int(value[1:]))).isoformat()
    month, day = (int(x) for x in value.split("-"))
    nxt = dt.date(now.year, month, day)
    return (nxt if nxt > now else dt.date(now.year + 1, month, day)).isoformat()


def _holds(account: Account, rule: dict[str, Any]) -> bool:
    for key, value in rule.items():
        ok = {
            "csm": lambda v: account.csm == v,
            "ae": lambda v: account.ae == v,
            "partner": lambda v: account.partner == v,
            "segment": lambda v: account.segment == v,
            "band": lambda v: band(account.health) == v,
            "health_below": lambda v: account.health < int(v),
            "health_at_least": lambda v: account.health >= int(v),
            "renewal_from": lambda v: account.renewal >= dt.date.fromisoformat(v),
            "renewal_before": lambda v: account.renewal < dt.date.fromisoformat(v),
        }[key](value)
        if not ok:
            return False
    return True


def fresh_portfolio(accounts: list[Account]) -> list[dict[str, Any]]:
    now = today()
    cases = []
    for case_id, ask, rule in FRESH_PORTFOLIO:
        fixed = {k: _day(v, now) if k.startswith("renewal") else v for k, v in rule.items()}
        if any(k.startswith("renewal") for k in fixed) and "renewal_from" not in fixed:
            fixed = {"renewal_from": now.isoformat(), **fixed}
        members = [a for a in accounts if _holds(a, fixed)]
        cases.append(listing(case_id, ask, members, accounts, {"filter": fixed}))
    return cases


def fresh_conversations(accounts: list[Account]) -> list[dict[str, Any]]:
    """Follow-ups as people write them: "which of those is in the worst shape?", "and the
    renewal?", "the AE there", "my accounts" after "I'm <name>", "what now?"."""
    now = today()
    by_name = {a.name: a for a in accounts}

    def turn(ask: str, *facts: str, absent: tuple[str, ...] = ()) -> dict[str, Any]:
        expect: dict[str, Any] = {"facts": list(facts)}
        if absent:
            expect["absent"] = list(absent)
        return {"ask": ask, "expect": expect}

    def esc(name: str) -> str:
        return re.escape(name)

    cases: list[dict[str, Any]] = []
    soon = [a for a in accounts if now <= a.renewal <= now + dt.timedelta(days=30)]
    worst = min(soon, key=lambda a: a.health)
    cases.append(
        {
            "id": "fresh-renewing-worst-then-action",
            "turns": [
                turn("which accounts renew in the next 30 days?", *(esc(a.name) for a in soon)),
                turn(
                    "which of those is in the worst shape?", esc(worst.name), rf"\b{worst.health}\b"
                ),
                turn("what should we do about it?", "What to do", esc(worst.name)),
            ],
        }
    )
    first = by_name["Relecloud"]
    cases.append(
        {
            "id": "fresh-terse-renewal-then-csm",
            "turns": [
                turn("How's Relecloud?", rf"\b{first.health}\b"),
                turn("and the renewal?", first.renewal.isoformat()),
                turn("who's the CSM", esc(first.csm)),
            ],
        }
    )
    one, two = by_name["Woodgrove Bank"], by_name["Fabrikam Fiber"]
    cases.append(
        {
            "id": "fresh-what-about-then-action",
            "turns": [
                turn("Tell me about Woodgrove Bank", rf"\b{one.health}\b"),
                turn("what about Fabrikam Fiber?", esc(two.name), rf"\b{two.health}\b"),
                turn("what should we do there?", "What to do", esc(two.name)),
            ],
        }
    )
    for person in ("Tom Becker", "Aisha Bello"):
        mine = [a for a in accounts if a.csm == person]
        weakest = min(mine, key=lambda a: a.health)
        slug = person.lower().replace(" ", "-")
        cases.append(
            {
                "id": f"fresh-identity-{slug}-weakest",
                "turns": [
                    turn(f"I'm {person}", esc(person)),
                    turn("my accounts", *(esc(a.name) for a in mine)),
                    turn("which of them is the least healthy?", esc(weakest.name)),
                ],
            }
        )
    red = by_name["Tailspin Toys"]
    cases.append(
        {
            "id": "fresh-health-licenses-what-now",
            "turns": [
                turn("health of Tailspin Toys", rf"\b{red.health}\b"),
                turn("their licenses", r"\b120\b", r"\b40\b"),
                turn("ok what now?", "What to do", esc(red.name)),
            ],
        }
    )
    aisha = [a for a in accounts if a.csm == "Aisha Bello"]
    biggest = max(aisha, key=lambda a: a.arr)
    cases.append(
        {
            "id": "fresh-owner-biggest-then-ae",
            "turns": [
                turn("Which accounts does Aisha Bello manage?", *(esc(a.name) for a in aisha)),
                turn("which of those has the highest ARR?", esc(biggest.name)),
                turn("who is the AE there?", esc(biggest.ae)),
            ],
        }
    )
    contoso = by_name["Contoso Health"]
    cases.append(
        {
            "id": "fresh-field-chain",
            "turns": [
                turn("Who's the CSM for Contoso Health?", esc(contoso.csm)),
                turn("and the AE?", esc(contoso.ae)),
                turn("partner?", esc(contoso.partner)),
            ],
        }
    )
    low = [a for a in accounts if a.health < 40]
    big = max(low, key=lambda a: a.arr)
    cases.append(
        {
            "id": "fresh-under-40-biggest-renewal",
            "turns": [
                turn("accounts with health under 40", *(esc(a.name) for a in low)),
                turn("which of those is the biggest?", esc(big.name)),
                turn("when do they renew?", big.renewal.isoformat()),
            ],
        }
    )
    pair = [by_name["Kestrel Payments"], by_name["Lucerne Publishing"]]
    sooner = min(pair, key=lambda a: a.renewal)
    cases.append(
        {
            "id": "fresh-compare-then-sooner",
            "turns": [
                turn(
                    "Compare Kestrel Payments and Lucerne Publishing", *(esc(a.name) for a in pair)
                ),
                turn("which one renews first?", esc(sooner.name), sooner.renewal.isoformat()),
                turn("what should I do about it?", "What to do", esc(sooner.name)),
            ],
        }
    )
    return cases


def conversations(accounts: list[Account]) -> list[dict[str, Any]]:
    now = today()
    cases: list[dict[str, Any]] = []
    ordered = sorted(accounts, key=lambda a: a.id)
    for account in ordered[::2][:18]:
        cases.append(
            {
                "id": f"csm-then-renewal-{account.id.lower()}",
                "turns": [
                    {
                        "ask": f"How is {account.name} doing?",
                        "expect": {"facts": [name_fact(account), rf"\b{account.health}\b"]},
                    },
                    {"ask": "Who is their CSM?", "expect": {"facts": [re.escape(account.csm)]}},
                    {
                        "ask": "When do they renew?",
                        "expect": {"facts": [account.renewal.isoformat()]},
                    },
                ],
            }
        )
    for first, second in list(zip(ordered[1::2], ordered[3::2], strict=False))[:14]:
        cases.append(
            {
                "id": f"what-about-{first.id.lower()}-{second.id.lower()}",
                "turns": [
                    {
                        "ask": f"What is the health score of {first.name}?",
                        "expect": {"facts": [rf"\b{first.health}\b"]},
                    },
                    {
                        "ask": f"what about {second.name}?",
                        "expect": {"facts": [name_fact(second), rf"\b{second.health}\b"]},
                    },
                ],
            }
        )
    for n in (40, 50, 60, 70):
        members = [a for a in accounts if a.health < n]
        if len(members) < 2:
            continue
        soonest = min(members, key=lambda a: a.renewal)
        cases.append(
            {
                "id": f"under-{n}-renews-first",
                "turns": [
                    {
                        "ask": f"Which accounts have a health score under {n}?",
                        "expect": {
                            "facts": [name_fact(a) for a in members],
                            "absent": [name_fact(a) for a in accounts if a not in members],
                        },
                    },
                    {
                        "ask": "Which of those renews first?",
                        "expect": {"facts": [name_fact(soonest), soonest.renewal.isoformat()]},
                    },
                    {"ask": "Who is their CSM?", "expect": {"facts": [re.escape(soonest.csm)]}},
                ],
            }
        )
    for csm in sorted({a.csm for a in accounts}):
        members = [a for a in accounts if a.csm == csm]
        weakest = min(members, key=lambda a: a.health)
        if sum(a.health == weakest.health for a in members) > 1:
            continue
        cases.append(
            {
                "id": f"{csm.lower().replace(' ', '-')}-lowest-health",
                "turns": [
                    {
                        "ask": f"Which accounts does {csm} manage?",
                        "expect": {"facts": [name_fact(a) for a in members]},
                    },
                    {
                        "ask": "Which of those has the lowest health score?",
                        "expect": {"facts": [name_fact(weakest), rf"\b{weakest.health}\b"]},
                    },
                ],
            }
        )
    for days in (60, 90):
        members = renewing(accounts, now, now + dt.timedelta(days=days + 1))
        if not members or len(members) < 2:
            continue
        first = members[0]
        cases.append(
            {
                "id": f"renewing-{days}-then-first",
                "turns": [
                    {
                        "ask": f"Which accounts renew in the next {days} days?",
                        "expect": {"facts": [name_fact(a) for a in members]},
                    },
                    {
                        "ask": "which of those renew first?",
                        "expect": {"facts": [name_fact(first), first.renewal.isoformat()]},
                    },
                    {
                        "ask": "what should I do about it?",
                        "expect": {"facts": [name_fact(first)]},
                    },
                ],
            }
        )
    return cases


HEADERS = {
    "portfolio": (
        "# Portfolio questions (list, filter, sort, top-N) over the account exports.\n"
        "# Generated by eval/build_suites.py from knowledge/accounts/*.csv: do not edit by\n"
        "# hand. `facts` are the accounts that belong in the answer, `absent` those that must\n"
        "# not be in it.\n"
    ),
    "conversations": (
        "# Multi-turn conversations: each turn is sent in the conversation of the turns before it\n"
        '# and has its own expectations (follow-ups: "those", "their CSM", "what about X").\n'
        "# Generated by eval/build_suites.py from knowledge/accounts/*.csv: do not edit by hand.\n"
    ),
}


def render(name: str, cases: list[dict[str, Any]], thresholds: dict[str, float]) -> str:
    body = {"suite": name, "today": today(), "thresholds": thresholds, "cases": cases}
    dumped = yaml.safe_dump(body, sort_keys=False, allow_unicode=True, width=100)
    return HEADERS[name] + dumped


def built() -> dict[Path, str]:
    accounts = load_accounts()
    return {
        SUITES / "portfolio.yaml": render(
            "portfolio",
            portfolio(accounts) + fresh_portfolio(accounts),
            {"exact": 0.95, "fact_recall": 0.95},
        ),
        SUITES / "conversations.yaml": render(
            "conversations",
            conversations(accounts) + fresh_conversations(accounts),
            {"fact_recall": 0.90},
        ),
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--check", action="store_true", help="only compare; exit 1 on a diff")
    args = parser.parse_args()
    stale = []
    for path, text in built().items():
        if args.check:
            if not path.is_file() or path.read_text(encoding="utf-8") != text:
                stale.append(path)
        else:
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path.relative_to(ROOT)}")
    for path in stale:
        print(f"{path.relative_to(ROOT)} is not what the data gives: run eval/build_suites.py")
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
