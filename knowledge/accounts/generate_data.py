"""Generate the sample account tables in knowledge/accounts/ (deterministic, stdlib only).

Run from anywhere:  python knowledge/accounts/generate_data.py

The accounts are hand-specified below (name, segment, size, ARR, renewal timing, health
story, modules, partner); random noise comes from a fixed seed, so the output is identical
on every run. A handful of deliberately bad rows is injected at the end and listed in
KNOWN_ISSUES.yaml (line numbers count the CSV header as line 1).

After regenerating, rebuild the notes:  python -m ingest.account_notes
"""

from __future__ import annotations

import csv
import json
import random
from datetime import date, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
SEED = 20261101
REFERENCE_DATE = date(2026, 11, 1)
# 12 monthly snapshots, 2025-11-01 .. 2026-10-01
MONTHS = [date(2025, 11, 1), date(2025, 12, 1)] + [date(2026, m, 1) for m in range(1, 11)]

CSMS = ["Maya Chen", "Luis Ortega", "Priya Nair", "Tom Becker", "Aisha Bello", "Jonas Lind"]
AES = ["Rachel Adams", "Omar Haddad", "Sofia Rossi", "Ben Carter", "Keiko Tanaka"]

# id, name, industry, segment, employees, arr, renewal days from reference date, term years,
# partner, partner_role, stage, health start, health end, modules {module: (licensed, used)}
# where used = active/licensed, outcomes = number of verified outcomes.
A = dict  # short alias for readability of the table below
ACCOUNTS: list[dict[str, object]] = [
    A(id="ACC-001", name="Northwind Traders", industry="retail", segment="enterprise",
      employees=12000, arr=1_150_000, days=75, term=3, partner="", role="none", stage="renew",
      h0=78, h1=86, modules={"search": (3000, 0.86), "observability": (900, 0.82),
                             "security": (400, 0.78)}, outcomes=3),
    A(id="ACC-002", name="Contoso Health", industry="healthcare", segment="enterprise",
      employees=9500, arr=880_000, days=49, term=2, partner="Cobalt Managed Services",
      role="cs_manager", stage="renew", h0=68, h1=52,
      modules={"observability": (1200, 0.66), "security": (400, 0.375)}, outcomes=0),
    A(id="ACC-003", name="Northwind Logistics", industry="logistics", segment="mid_market",
      employees=2100, arr=210_000, days=240, term=2, partner="Bluepeak Solutions",
      role="sales_agent", stage="adopt", h0=61, h1=66,
      modules={"observability": (300, 0.71), "search": (150, 0.62)}, outcomes=0),
    A(id="ACC-004", name="Fabrikam Manufacturing", industry="manufacturing",
      segment="enterprise", employees=18000, arr=760_000, days=120, term=3, partner="",
      role="none", stage="adopt", h0=82, h1=66,
      modules={"observability": (1500, 0.64), "security": (500, 0.7)}, outcomes=1),
    A(id="ACC-005", name="Woodgrove Bank", industry="financial_services", segment="enterprise",
      employees=24000, arr=1_900_000, days=150, term=3, partner="", role="none",
      stage="expand", h0=83, h1=88,
      modules={"search": (5000, 0.9), "security": (1200, 0.88), "observability": (800, 0.81)},
      outcomes=2),
    A(id="ACC-006", name="Tailspin Toys", industry="retail", segment="smb", employees=180,
      arr=48_000, days=12, term=2, partner="Ironbridge Consulting", role="sales_agent",
      stage="renew", h0=47, h1=31, modules={"search": (120, 0.33)}, outcomes=0),
    A(id="ACC-007", name="Litware Systems", industry="technology", segment="mid_market",
      employees=3200, arr=420_000, days=300, term=2, partner="", role="none", stage="adopt",
      h0=70, h1=74,
      modules={"search": (800, 0.84), "observability": (500, 0.8), "genai": (300, 0.3)},
      outcomes=0),
    A(id="ACC-008", name="Blue Yonder Airlines", industry="travel", segment="enterprise",
      employees=30000, arr=1_250_000, days=410, term=3, partner="", role="none",
      stage="expand", h0=80, h1=84,
      modules={"observability": (2500, 0.85), "search": (1500, 0.83)}, outcomes=2),
    A(id="ACC-009", name="Humongous Insurance", industry="insurance", segment="enterprise",
      employees=14000, arr=1_400_000, days=60, term=3, partner="", role="none",
      stage="renew", h0=55, h1=35,
      modules={"observability": (1000, 0.32), "security": (600, 0.58), "search": (900, 0.7)},
      outcomes=0),
    A(id="ACC-010", name="Alpine Ski House", industry="travel", segment="smb", employees=320,
      arr=72_000, days=520, term=3, partner="Nimbus MSP", role="cs_manager", stage="adopt",
      h0=79, h1=83, modules={"observability": (60, 0.88), "search": (40, 0.8)}, outcomes=1),
    A(id="ACC-011", name="Coho Winery", industry="consumer_goods", segment="mid_market",
      employees=900, arr=160_000, days=100, term=2, partner="", role="none", stage="adopt",
      h0=45, h1=33, modules={"search": (400, 0.3), "observability": (100, 0.55)}, outcomes=0),
    A(id="ACC-012", name="Lucerne Publishing", industry="media", segment="mid_market",
      employees=1400, arr=190_000, days=25, term=2, partner="Bluepeak Solutions",
      role="sales_agent", stage="renew", h0=58, h1=47,
      modules={"search": (600, 0.6), "genai": (100, 0.45)}, outcomes=0),
    A(id="ACC-013", name="Trey Research", industry="technology", segment="smb", employees=260,
      arr=58_000, days=320, term=2, partner="", role="none", stage="onboard", h0=52, h1=81,
      modules={"observability": (90, 0.9), "search": (60, 0.85)}, outcomes=1),
    A(id="ACC-014", name="Proseware", industry="technology", segment="mid_market",
      employees=1800, arr=310_000, days=380, term=3, partner="", role="none", stage="adopt",
      h0=69, h1=71, modules={"observability": (400, 0.78), "security": (200, 0.72)},
      outcomes=0),
    A(id="ACC-015", name="Adventure Works Cycles", industry="manufacturing",
      segment="mid_market", employees=2600, arr=240_000, days=85, term=2, partner="",
      role="none", stage="renew", h0=70, h1=68,
      modules={"observability": (450, 0.73), "search": (300, 0.69)}, outcomes=0),
    A(id="ACC-016", name="Wide World Importers", industry="logistics", segment="enterprise",
      employees=8000, arr=520_000, days=450, term=3, partner="Cobalt Managed Services",
      role="cs_manager", stage="adopt", h0=66, h1=70,
      modules={"observability": (900, 0.8), "security": (500, 0.42)}, outcomes=0),
    A(id="ACC-017", name="Fourth Coffee", industry="consumer_goods", segment="mid_market",
      employees=4500, arr=350_000, days=280, term=2, partner="", role="none", stage="expand",
      h0=80, h1=85, modules={"search": (1200, 0.92), "observability": (300, 0.86)},
      outcomes=2),
    A(id="ACC-018", name="Relecloud", industry="telecom", segment="enterprise",
      employees=16000, arr=2_600_000, days=165, term=3, partner="", role="none",
      stage="adopt", h0=70, h1=48,
      modules={"observability": (3000, 0.62), "security": (1500, 0.66), "genai": (800, 0.25),
               "search": (2000, 0.7)}, outcomes=0),
    A(id="ACC-019", name="VanArsdel Energy", industry="energy", segment="enterprise",
      employees=20000, arr=1_100_000, days=600, term=3, partner="", role="none",
      stage="expand", h0=79, h1=82,
      modules={"observability": (2000, 0.84), "security": (700, 0.8)}, outcomes=2),
    A(id="ACC-020", name="Bellows College", industry="education", segment="mid_market",
      employees=3800, arr=230_000, days=18, term=3, partner="Nimbus MSP", role="cs_manager",
      stage="renew", h0=81, h1=85, modules={"search": (2500, 0.88)}, outcomes=1),
    A(id="ACC-021", name="Contoso Pharmaceuticals", industry="healthcare",
      segment="enterprise", employees=11000, arr=1_650_000, days=470, term=3, partner="",
      role="none", stage="adopt", h0=84, h1=87,
      modules={"search": (3000, 0.87), "security": (900, 0.84), "observability": (800, 0.8)},
      outcomes=2),
    A(id="ACC-022", name="Graphic Design Institute", industry="education", segment="smb",
      employees=140, arr=26_000, days=390, term=3, partner="", role="none", stage="adopt",
      h0=60, h1=64, modules={"search": (100, 0.7)}, outcomes=0),
    A(id="ACC-023", name="Southridge Video", industry="media", segment="smb", employees=210,
      arr=39_000, days=230, term=2, partner="Ironbridge Consulting", role="sales_agent",
      stage="adopt", h0=54, h1=50, modules={"search": (120, 0.55), "genai": (40, 0.35)},
      outcomes=0),
    A(id="ACC-024", name="Consolidated Messenger", industry="logistics", segment="mid_market",
      employees=4200, arr=290_000, days=135, term=2, partner="", role="none", stage="expand",
      h0=78, h1=83, modules={"observability": (700, 0.86), "search": (300, 0.8)},
      outcomes=1),
    A(id="ACC-025", name="Datum Analytics", industry="technology", segment="mid_market",
      employees=1200, arr=260_000, days=350, term=2, partner="", role="none", stage="adopt",
      h0=82, h1=84,
      modules={"search": (400, 0.88), "observability": (250, 0.84), "genai": (150, 0.8)},
      outcomes=2),
    A(id="ACC-026", name="Wingtip Toys", industry="retail", segment="smb", employees=95,
      arr=22_000, days=260, term=2, partner="", role="none", stage="adopt", h0=63, h1=65,
      modules={"search": (60, 0.72)}, outcomes=0),
    A(id="ACC-027", name="Cityline Power", industry="energy", segment="enterprise",
      employees=7500, arr=640_000, days=40, term=3, partner="", role="none", stage="renew",
      h0=61, h1=55, modules={"observability": (1100, 0.7), "security": (500, 0.6)},
      outcomes=0),
    A(id="ACC-028", name="Margie Travel", industry="travel", segment="smb", employees=420,
      arr=68_000, days=640, term=3, partner="Nimbus MSP", role="cs_manager", stage="adopt",
      h0=80, h1=86, modules={"search": (300, 0.9)}, outcomes=1),
    A(id="ACC-029", name="Fabrikam Fiber", industry="telecom", segment="mid_market",
      employees=3500, arr=450_000, days=205, term=2, partner="", role="none", stage="adopt",
      h0=50, h1=34,
      modules={"observability": (600, 0.52), "security": (300, 0.28), "search": (200, 0.6)},
      outcomes=0),
    A(id="ACC-030", name="Harborview Medical Center", industry="healthcare",
      segment="mid_market", employees=2900, arr=330_000, days=310, term=3, partner="",
      role="none", stage="adopt", h0=71, h1=73,
      modules={"security": (500, 0.74), "search": (350, 0.7)}, outcomes=0),
    A(id="ACC-031", name="Ridgeway Public Transit", industry="public_sector",
      segment="enterprise", employees=6200, arr=480_000, days=175, term=3, partner="",
      role="none", stage="adopt", h0=80, h1=65,
      modules={"observability": (900, 0.68), "search": (600, 0.7)}, outcomes=0),
    A(id="ACC-032", name="Stateline County Services", industry="public_sector",
      segment="mid_market", employees=2300, arr=150_000, days=400, term=3,
      partner="Cobalt Managed Services", role="cs_manager", stage="adopt", h0=50, h1=53,
      modules={"search": (500, 0.58), "security": (150, 0.6)}, outcomes=0),
    A(id="ACC-033", name="Kestrel Payments", industry="financial_services",
      segment="mid_market", employees=1600, arr=380_000, days=28, term=2, partner="",
      role="none", stage="renew", h0=72, h1=70,
      modules={"security": (400, 0.76), "observability": (300, 0.7)}, outcomes=0),
    A(id="ACC-034", name="Oakmont Credit Union", industry="financial_services",
      segment="smb", employees=380, arr=41_000, days=700, term=3, partner="Bluepeak Solutions",
      role="sales_agent", stage="land", h0=40, h1=58,
      modules={"observability": (150, 0.4)}, outcomes=1),
    A(id="ACC-035", name="Brightwater Utilities", industry="energy", segment="mid_market",
      employees=2000, arr=120_000, days=250, term=2, partner="Ironbridge Consulting",
      role="sales_agent", stage="adopt", h0=42, h1=36,
      modules={"observability": (400, 0.35), "search": (200, 0.45)}, outcomes=0),
    A(id="ACC-036", name="Silverline Telecom", industry="telecom", segment="enterprise",
      employees=22000, arr=1_300_000, days=560, term=3, partner="", role="none",
      stage="expand", h0=81, h1=87,
      modules={"observability": (2500, 0.88), "search": (1800, 0.86), "security": (800, 0.8),
               "genai": (500, 0.78)}, outcomes=3),
    A(id="ACC-037", name="Pinecrest Foods", industry="consumer_goods", segment="enterprise",
      employees=9000, arr=590_000, days=430, term=3, partner="", role="none", stage="adopt",
      h0=74, h1=76, modules={"search": (1500, 0.78), "observability": (600, 0.73)},
      outcomes=0),
    A(id="ACC-038", name="Meridian Freight", industry="logistics", segment="smb",
      employees=300, arr=62_000, days=70, term=2, partner="", role="none", stage="renew",
      h0=66, h1=62, modules={"observability": (100, 0.66)}, outcomes=0),
    A(id="ACC-039", name="Quantum Orbit Labs", industry="technology", segment="smb",
      employees=75, arr=30_000, days=690, term=3, partner="", role="none", stage="onboard",
      h0=35, h1=61, modules={"observability": (50, 0.62), "genai": (20, 0.5)}, outcomes=0),
    A(id="ACC-040", name="Lakeside Retail Group", industry="retail", segment="mid_market",
      employees=4800, arr=270_000, days=330, term=3, partner="", role="none", stage="adopt",
      h0=72, h1=75, modules={"search": (1300, 0.76), "observability": (250, 0.7)},
      outcomes=0),
]
MODULE_ORDER = ["search", "observability", "security", "genai"]

FIRST = ["Dana", "Evan", "Grace", "Hiro", "Ines", "Jamal", "Karin", "Leo", "Mona", "Nate",
         "Olga", "Paulo", "Quinn", "Rosa", "Sam", "Tara", "Uma", "Victor", "Wen", "Yara"]
LAST = ["Whitfield", "Moreau", "Okafor", "Sato", "Lindqvist", "Patel", "Brennan", "Kowalski",
        "Alvarez", "Fischer", "Nakamura", "Osei", "Duarte", "Haugen", "Ibrahim", "Keller"]
TITLES = ["CIO", "VP Engineering", "Head of SRE", "CISO", "IT Director", "Platform Lead",
          "Head of Digital Workplace", "SOC Manager"]

OUTCOMES = {
    "search": [("Employees find internal answers faster", "median search time down 38%"),
               ("Support deflection through self-service search", "ticket volume down 22%")],
    "observability": [("Faster incident resolution", "mean time to resolve down from 4.1 to 1.6 hours"),
                      ("Fewer customer-facing outages", "sev1 outages down 45% year on year")],
    "security": [("Faster threat investigations", "investigation time down 55%"),
                 ("Audit passed with central log retention", "0 logging findings in annual audit")],
    "genai": [("GenAI assistant answers support questions", "first-contact resolution up 17%")],
}


def add_years(d: date, years: int) -> date:
    try:
        return d.replace(year=d.year + years)
    except ValueError:  # 29 February
        return d.replace(year=d.year + years, day=28)


def person(rng: random.Random) -> str:
    return f"{rng.choice(FIRST)} {rng.choice(LAST)} ({rng.choice(TITLES)})"


def clip(v: float) -> int:
    return max(0, min(100, round(v)))


def health_rows(acc: dict[str, object], rng: random.Random) -> list[list[object]]:
    h0, h1 = int(acc["h0"]), int(acc["h1"])  # type: ignore[call-overload]
    has_outcomes = int(acc["outcomes"]) > 0  # type: ignore[call-overload]
    n_modules = len(acc["modules"])  # type: ignore[arg-type]
    # deployment, adoption, breadth, engagement, outcomes offsets around the overall level
    offsets = [rng.uniform(2, 9), rng.uniform(-4, 4), (n_modules - 2.5) * 6,
               rng.uniform(-6, 6), 8.0 if has_outcomes else -10.0]
    mean_off = sum(offsets) / 5
    offsets = [o - mean_off for o in offsets]
    rows: list[list[object]] = []
    for i, month in enumerate(MONTHS):
        level = h0 + (h1 - h0) * i / 11
        comps = [clip(level + off + rng.gauss(0, 2.5)) for off in offsets]
        if i == 11:  # make the latest overall exactly h1, one point at a time
            diff = 5 * h1 - sum(comps)
            while diff:
                step = 1 if diff > 0 else -1
                k = max(range(5), key=lambda j: (100 - comps[j]) if step > 0 else comps[j])
                comps[k] += step
                diff -= step
        overall = round(sum(comps) / 5)
        rows.append([acc["id"], month.isoformat(), *comps, overall])
    assert rows[-1][-1] == h1, acc["id"]
    return rows


def main() -> None:
    rng = random.Random(SEED)
    accounts: list[list[object]] = []
    licenses: list[list[object]] = []
    health: list[list[object]] = []
    surveys: list[list[object]] = []
    incidents: list[list[object]] = []
    outcomes: list[list[object]] = []
    for idx, acc in enumerate(ACCOUNTS):
        renewal = REFERENCE_DATE + timedelta(days=int(acc["days"]))  # type: ignore[call-overload]
        start = add_years(renewal, -int(acc["term"]))  # type: ignore[call-overload]
        assert start <= date(2025, 10, 31), acc["id"]
        accounts.append([acc["id"], acc["name"], acc["industry"], acc["segment"],
                         acc["employees"], acc["arr"], start.isoformat(), renewal.isoformat(),
                         CSMS[idx % len(CSMS)], AES[(idx * 2) % len(AES)], acc["partner"],
                         acc["role"], acc["stage"]])
        mods: dict[str, tuple[int, float]] = acc["modules"]  # type: ignore[assignment]
        for module in MODULE_ORDER:
            if module not in mods:
                continue
            licensed, used = mods[module]
            active = round(licensed * used)
            assigned = min(licensed, active + round((licensed - active) * rng.uniform(0.3, 0.8)))
            licenses.append([acc["id"], module, licensed, active, assigned])
        health.extend(health_rows(acc, rng))
        h1 = int(acc["h1"])  # type: ignore[call-overload]
        # NPS twice a year (2 respondents each wave) and CSAT after engagements
        acc_surveys: list[list[object]] = []
        for wave in (date(2026, 3, 10), date(2026, 9, 15)):
            for _ in range(2):
                d = wave + timedelta(days=rng.randint(0, 20))
                score = max(0, min(10, round(h1 / 10 + rng.gauss(0, 1.3))))
                acc_surveys.append([acc["id"], d.isoformat(), "nps", score, person(rng)])
        for _ in range(rng.randint(1, 2)):
            d = date(2025, 11, 15) + timedelta(days=rng.randint(0, 330))
            score = max(1.0, min(5.0, round(2.1 + h1 / 33 + rng.gauss(0, 0.2), 1)))
            acc_surveys.append([acc["id"], d.isoformat(), "csat", f"{score:.1f}", person(rng)])
        surveys.extend(sorted(acc_surveys, key=lambda r: (str(r[1]), str(r[2]))))
        # incidents: rarer and milder for healthy accounts
        risk = max(0.0, (75 - h1) / 40)
        for month in MONTHS:
            for sev, base in (("sev1", 0.03), ("sev2", 0.12), ("sev3", 0.6), ("sev4", 0.9)):
                p = min(0.95, base + risk * (0.25 if sev in ("sev1", "sev2") else 0.3))
                count = 0
                while rng.random() < p and count < 9:
                    count += 1
                    p *= 0.55
                if count:
                    incidents.append([acc["id"], month.isoformat(), sev, count])
        # verified outcomes
        n_out = int(acc["outcomes"])  # type: ignore[call-overload]
        pool = [(m, o) for m in MODULE_ORDER if m in mods for o in OUTCOMES[m]]
        chosen = rng.sample(pool, min(n_out, len(pool)))
        out_rows = []
        for _m, (text, metric) in chosen:
            d = date(2025, 11, 20) + timedelta(days=rng.randint(0, 320))
            out_rows.append([acc["id"], d.isoformat(), text, metric, person(rng)])
        outcomes.extend(sorted(out_rows, key=lambda r: str(r[1])))

    known: list[dict[str, object]] = []

    def line_of(rows: list[list[object]], pred: object) -> int:
        for i, r in enumerate(rows):
            if pred(r):  # type: ignore[operator]
                return i + 2  # header is line 1
        raise LookupError

    # --- deliberate bad rows -------------------------------------------------------------
    i = line_of(licenses, lambda r: r[0] == "ACC-017" and r[1] == "search")
    # active above licensed (1200): over-deployment, a real state (true-up or upsell) that
    # is imported and flagged, not a bad row
    licenses[i - 2][3] = 1260
    i = line_of(health, lambda r: r[0] == "ACC-022" and r[1] == "2026-04-01")
    row = health[i - 2]
    row[4] = 130  # breadth out of range
    row[7] = round(sum(int(v) for v in row[2:7]) / 5)  # type: ignore[call-overload]
    known.append({"file": "health_snapshots.csv", "line": i, "account_id": "ACC-022",
                  "field": "breadth",
                  "reason": "breadth component 130 is outside 0-100 (export error)"})
    i = line_of(accounts, lambda r: r[0] == "ACC-026")
    start = str(accounts[i - 2][6])
    bad_renewal = f"{int(start[:4]) - 1}{start[4:]}"  # year keyed one too low
    accounts[i - 2][7] = bad_renewal
    known.append({"file": "accounts.csv", "line": i, "account_id": "ACC-026",
                  "field": "renewal_date",
                  "reason": f"renewal_date {bad_renewal} is before contract_start {start} "
                            "(year keyed wrongly in the CRM)"})
    i = line_of(accounts, lambda r: r[0] == "ACC-030")
    accounts[i - 2][5] = ""  # missing ARR
    known.append({"file": "accounts.csv", "line": i, "account_id": "ACC-030",
                  "field": "arr", "reason": "arr is missing"})
    surveys.append(["ACC-099", "2026-06-12", "nps", 9, "Hana Olsen (IT Director)"])
    known.append({"file": "surveys.csv", "line": len(surveys) + 1, "account_id": "ACC-099",
                  "field": "account_id", "reason": "unknown account id ACC-099"})

    write_csv("accounts.csv", ["id", "name", "industry", "segment", "employees", "arr",
                               "contract_start", "renewal_date", "csm", "account_exec",
                               "partner", "partner_role", "stage"], accounts)
    write_csv("licenses.csv", ["account_id", "module", "licensed", "active", "assigned"],
              licenses)
    write_csv("health_snapshots.csv", ["account_id", "month", "deployment", "adoption",
                                       "breadth", "engagement", "outcomes", "overall"], health)
    write_csv("surveys.csv", ["account_id", "date", "kind", "score", "respondent"], surveys)
    write_csv("incidents.csv", ["account_id", "month", "severity", "count"], incidents)
    write_csv("outcomes.csv", ["account_id", "date", "outcome", "metric", "verified_by"],
              outcomes)
    (HERE / "opportunities.json").write_text(
        json.dumps(OPPORTUNITIES, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    (HERE / "meta.json").write_text(
        json.dumps({"reference_date": REFERENCE_DATE.isoformat(), "currency": "USD"},
                   indent=2) + "\n", encoding="utf-8")
    write_known_issues(known)


def write_csv(name: str, header: list[str], rows: list[list[object]]) -> None:
    with open(HERE / name, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)


def write_known_issues(known: list[dict[str, object]]) -> None:
    lines = ["# Deliberate data problems in the sample account tables.",
             "# Generated by generate_data.py; line numbers count the CSV header as line 1.",
             "# tests/knowledge/test_account_data.py must find exactly these rows.",
             "issues:"]
    for k in known:
        lines.append(f"  - file: {k['file']}")
        lines.append(f"    line: {k['line']}")
        lines.append(f"    account_id: {k['account_id']}")
        lines.append(f"    field: {k['field']}")
        lines.append(f"    reason: {json.dumps(k['reason'])}")
    (HERE / "KNOWN_ISSUES.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")


def meddicc(metrics: str | None, economic_buyer: str | None, decision_criteria: str | None,
            decision_process: str | None, identify_pain: str | None, champion: str | None,
            competition: str | None, compelling_event: str | None) -> dict[str, str | None]:
    return {"metrics": metrics, "economic_buyer": economic_buyer,
            "decision_criteria": decision_criteria, "decision_process": decision_process,
            "identify_pain": identify_pain, "champion": champion, "competition": competition,
            "compelling_event": compelling_event}


OPPORTUNITIES: list[dict[str, object]] = [
    {"id": "OPP-001", "account_id": "ACC-001", "name": "Northwind Traders GenAI store-help search",
     "service": "genai-search-accelerator", "stage": "proof_of_concept", "amount": 85000,
     "close_date": "2026-12-15",
     "meddicc": meddicc(
         "Store staff spend 9 minutes on average finding product and policy answers; target is under 2 minutes by Q2 2027.",
         "Helen Marsh, Chief Operating Officer (met on 2026-09-22).",
         "Answer quality on their own policy documents, private deployment of the model, and time to production.",
         "PoC review on 2026-11-20, security review by 2026-12-01, COO signature before 2026-12-15.",
         "Store staff cannot find current policy answers, which causes inconsistent customer service and long calls to the help desk.",
         "Raj Mehta, Head of Digital Workplace, who owns the help-desk budget.",
         "An in-house prototype on a general-purpose cloud AI service.",
         "The store help-desk outsourcing contract ends on 2027-01-31.")},
    {"id": "OPP-002", "account_id": "ACC-005", "name": "Woodgrove Bank SOC modernisation",
     "service": "security-analytics-jumpstart", "stage": "negotiation", "amount": 60000,
     "close_date": "2026-11-28",
     "meddicc": meddicc(
         "Mean time to investigate a priority alert is 5.5 hours; target is under 2 hours.",
         "Marcus Lee, CISO.",
         "Detection coverage mapped to MITRE ATT&CK, retention cost, and regulator-ready reporting.",
         "Procurement has the order form; legal review of the SOW ends 2026-11-20; CISO signs.",
         "Analysts miss threats because identity and cloud logs are not searchable in one place.",
         "Ana Ruiz, SOC Manager.",
         "Incumbent legacy SIEM renewal.",
         "Regulatory audit of logging controls in February 2027.")},
    {"id": "OPP-003", "account_id": "ACC-002", "name": "Contoso Health platform cost and health review",
     "service": "platform-health-cost-review", "stage": "technical_qa", "amount": 30000,
     "close_date": "2026-12-10",
     "meddicc": meddicc(
         "Platform spend grew 35% in 12 months while active security users fell; target is a 20% cost reduction.",
         "Dr. Laura Kim, CIO.",
         "Savings identified before the renewal and a right-sized security module.",
         "Decision at the renewal steering meeting on 2026-12-05.",
         "The security module is half unused and cluster costs keep rising, which puts the renewal at risk.",
         None,
         "Consolidating onto the cloud provider's native monitoring tools.",
         "Renewal on 2026-12-20.")},
    {"id": "OPP-004", "account_id": "ACC-008", "name": "Blue Yonder Airlines booking platform observability",
     "service": "observability-quick-start", "stage": "demo", "amount": 45000,
     "close_date": "2027-01-20",
     "meddicc": meddicc(
         "Booking outages cost about $120,000 per hour; target is mean time to resolve under 30 minutes.",
         "Peter Novak, VP Digital.",
         "End-to-end tracing of booking flows and one tool for all on-call teams.",
         "Architecture board on 2026-12-08, then VP Digital approval.",
         "Unexplained booking outages hurt customer satisfaction scores.",
         "Lina Berg, Head of SRE.",
         None,
         "Peak holiday booking season starts in March 2027.")},
    {"id": "OPP-005", "account_id": "ACC-017", "name": "Fourth Coffee customer-support GenAI search",
     "service": "genai-search-accelerator", "stage": "discovery", "amount": 85000,
     "close_date": "2027-02-26",
     "meddicc": meddicc(
         "Support handles 14,000 tickets a month; goal is 15% deflection.",
         None,
         "Integration with the existing help center and multilingual answers.",
         None,
         "Agents cannot find answers across three knowledge bases, so handle times are long.",
         "Jorge Silva, Support Operations Lead.",
         "A help-desk vendor's built-in AI add-on.",
         None)},
    {"id": "OPP-006", "account_id": "ACC-019", "name": "VanArsdel Energy OT security analytics (two sites)",
     "service": "security-analytics-jumpstart", "stage": "sizing", "amount": 120000,
     "close_date": "2027-01-29",
     "meddicc": meddicc(
         "No central visibility into operational-technology alerts today; target is 90% of OT sources covered.",
         "Grace Owusu, Chief Security Officer.",
         "Support for OT protocols, on-premises deployment, and 12 months of retention.",
         "Sizing accepted by 2026-12-15, budget approval in the January capital review.",
         "Blind spots in plant networks leave intrusions undetected for weeks.",
         "Henrik Dahl, OT Security Architect.",
         "A specialist OT security vendor.",
         "New grid-security regulation takes effect on 2027-07-01.")},
    {"id": "OPP-007", "account_id": "ACC-003", "name": "Northwind Logistics warehouse observability",
     "service": "observability-quick-start", "stage": "demo", "amount": 45000,
     "close_date": "2026-12-20",
     "meddicc": meddicc(
         None,
         None,
         "Ease of use for the operations team.",
         None,
         "They want things to be better.",
         None,
         "Unknown; they mentioned another vendor once.",
         None)},
    {"id": "OPP-008", "account_id": "ACC-024", "name": "Consolidated Messenger cost optimisation review",
     "service": "platform-health-cost-review", "stage": "negotiation", "amount": 30000,
     "close_date": "2026-11-25",
     "meddicc": meddicc(
         "Platform cost per parcel tracked is $0.004; target is $0.003.",
         "Nadia Petrov, CFO.",
         "Savings at least three times the fee within 12 months.",
         "CFO approval after a readout on 2026-11-18; purchase order follows within a week.",
         "Data volumes doubled after the new tracking app launched and storage costs followed.",
         "Tom Reyes, Platform Owner.",
         "An internal cost-cutting project without outside help.",
         "Budget for 2027 is locked on 2026-12-01.")},
    {"id": "OPP-009", "account_id": "ACC-036", "name": "Silverline Telecom network-operations GenAI search",
     "service": "genai-search-accelerator", "stage": "proof_of_concept", "amount": 170000,
     "close_date": "2027-03-15",
     "meddicc": meddicc(
         "Network engineers take 25 minutes to find the right runbook; target is 5 minutes.",
         "Ivan Petrenko, CTO.",
         "Accuracy on runbooks, access control per team, and hosting in-country.",
         "PoC readout in January 2027, architecture board, CTO sign-off.",
         "Slow runbook lookup lengthens network incidents.",
         "Mei Lin, Director of Network Operations.",
         None,
         "5G core migration starts in April 2027.")},
    {"id": "OPP-010", "account_id": "ACC-011", "name": "Coho Winery observability recovery",
     "service": "observability-quick-start", "stage": "discovery", "amount": 45000,
     "close_date": "2027-01-15",
     "meddicc": meddicc(
         "Order system outages: 6 last quarter.",
         None,
         None,
         "Unclear; the IT manager says the owner decides.",
         "Online shop outages during wine-club releases lose orders.",
         "Sara Vidal, IT Manager.",
         None,
         "Renewal on 2027-02-09.")},
    {"id": "OPP-011", "account_id": "ACC-010", "name": "Alpine Ski House security quick win",
     "service": "security-analytics-jumpstart", "stage": "demo", "amount": 60000,
     "close_date": "2027-02-10",
     "meddicc": meddicc(
         "None agreed yet; partner suggests tracking investigation time.",
         "Klaus Berger, Managing Director.",
         "Partner-managed service with fixed monthly cost.",
         None,
         "Worried about ransomware after a peer resort was hit.",
         "Nimbus MSP service manager on behalf of the customer.",
         "Partner's own managed SIEM offer.",
         "Insurance renewal requires security monitoring evidence by 2027-03-01.")},
    {"id": "OPP-012", "account_id": "ACC-021", "name": "Contoso Pharmaceuticals research knowledge search",
     "service": "genai-search-accelerator", "stage": "technical_qa", "amount": 85000,
     "close_date": "2027-01-31",
     "meddicc": meddicc(
         "Scientists spend 6 hours a week searching study reports; target is 2 hours.",
         "Dr. Paul Weber, Chief Scientific Officer.",
         "Validated environment, document-level security, citations in every answer.",
         "Technical Q&A closes 2026-11-30; quality and compliance review in December; CSO signs in January.",
         "Duplicate experiments because earlier results cannot be found.",
         "Elena Rossi, Head of Research Informatics.",
         "A pharma-specific knowledge vendor.",
         "New research program kicks off in February 2027.")},
    {"id": "OPP-013", "account_id": "ACC-040", "name": "Lakeside Retail Group e-commerce observability",
     "service": "observability-quick-start", "stage": "discovery", "amount": 45000,
     "close_date": "2027-03-31",
     "meddicc": meddicc(
         None,
         "Owen Grant, CTO.",
         "Cost predictability and fast onboarding.",
         "CTO decides after a demo; no procurement steps known yet.",
         "Checkout slowdowns during promotions.",
         None,
         "Open-source stack run by their own team.",
         None)},
    {"id": "OPP-014", "account_id": "ACC-025", "name": "Datum Analytics platform health review",
     "service": "platform-health-cost-review", "stage": "sizing", "amount": 30000,
     "close_date": "2026-12-18",
     "meddicc": meddicc(
         "Cluster cost grows 4% a month; target is flat cost at 30% more data.",
         "Sam Oduya, VP Engineering.",
         "Concrete savings plan and a supported architecture.",
         "VP Engineering approves after sizing; finance signs off any spend above $25,000.",
         "Shard pressure and rising storage bills on the main cluster.",
         "Ravi Kumar, Platform Lead.",
         "Doing nothing and adding hardware.",
         "Hardware refresh budget decision on 2027-01-10.")},
]


if __name__ == "__main__":
    main()
