"""Turn the account tables into searchable Markdown notes.

Reads knowledge/accounts/ (accounts.csv, licenses.csv, health_snapshots.csv, surveys.csv,
incidents.csv, outcomes.csv, opportunities.json, meta.json, KNOWN_ISSUES.yaml) and writes

    <out>/account-notes/<acc-id>.md   one note per account
    <out>/meddicc/<opp-id>.md         one qualification note per opportunity (the folder
                                      is the rules' framework name, lower case)

The output is a pure function of the tables, so the notes are checked in and a test
regenerates them to prove notes and tables never disagree. Rows listed in KNOWN_ISSUES.yaml
are never quoted as facts: the note says "Data issue: ..." instead. Every band, level,
quadrant, window, field and name comes from the business rules (`<out>/rules.yaml`); the
note's headings and fixed wording from the note template beside them
(`templates/account_note.yaml` in the rules file's folder).

    python -m ingest.account_notes [--accounts-dir knowledge/accounts] [--out-dir knowledge]
                                   [--rules knowledge/rules.yaml] [--template <yaml>]
"""

from __future__ import annotations

import argparse
import csv
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from assistant import yaml_load
from assistant.data_files import load_yaml_model
from assistant.rules import Rules, load_rules

Row = dict[str, str]
COUNT_WORDS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
SEGMENT_TEXT = {"enterprise": "an enterprise", "mid_market": "a mid-market", "smb": "an SMB"}
ROLE_TEXT = {
    "sales_agent": "the sales agent role (partner as sales agent)",
    "cs_manager": "the CS manager role (partner as customer success manager)",
}


# --- the note template (headings as data) ---------------------------------------------------


class NoteSections(BaseModel):
    model_config = ConfigDict(extra="forbid")

    snapshot: str = Field(min_length=1)
    health: str = Field(min_length=1)
    licenses: str = Field(min_length=1)
    voice: str = Field(min_length=1)
    support: str = Field(min_length=1)
    outcomes: str = Field(min_length=1)
    opportunities: str = Field(min_length=1)


class NoteTemplate(BaseModel):
    """`templates/account_note.yaml`: the headings and fixed wording of an account note."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, description='"{name}" is the account')
    sections: NoteSections
    opportunity: tuple[str, str] = Field(description="the word for one and for many")


def note_template_path(rules_path: Path) -> Path:
    return rules_path.parent / "templates" / "account_note.yaml"


def load_note_template(path: Path) -> NoteTemplate:
    return load_yaml_model(path, NoteTemplate, "account-note template")


# --- formatting helpers --------------------------------------------------------------------


def money(value: int) -> str:
    return f"${value:,}"


def pct(part: int, whole: int) -> str:
    value = round(100 * part / whole, 1)
    return f"{value:g}%"


def human(token: str) -> str:
    return token.replace("_", " ")


def article(word: str) -> str:
    """'a' or 'an' followed by the word."""
    return f"{'an' if word[:1].lower() in 'aeiou' else 'a'} {word}"


def count_word(count: int) -> str:
    return COUNT_WORDS[count] if 0 <= count < len(COUNT_WORDS) else str(count)


def plural(count: int, singular: str, many: str | None = None) -> str:
    return f"{count} {singular if count == 1 else (many or singular + 's')}"


def days_between(start: date, end: date) -> int:
    return (end - start).days


# --- loading ---------------------------------------------------------------------------


@dataclass
class Tables:
    rules: Rules
    template: NoteTemplate
    reference_date: date
    accounts: list[tuple[int, Row]]
    licenses: list[tuple[int, Row]]
    health: list[tuple[int, Row]]
    surveys: list[tuple[int, Row]]
    incidents: list[tuple[int, Row]]
    outcomes: list[tuple[int, Row]]
    opportunities: list[dict[str, Any]]
    issues: dict[tuple[str, int], dict[str, Any]] = field(default_factory=dict)

    def issue(self, file: str, line: int) -> dict[str, Any] | None:
        return self.issues.get((file, line))


def read_csv(path: Path) -> list[tuple[int, Row]]:
    """Rows with their line number in the file (the header is line 1)."""
    with path.open(newline="", encoding="utf-8") as fh:
        return [(n, dict(row)) for n, row in enumerate(csv.DictReader(fh), start=2)]


def load_tables(accounts_dir: Path, rules: Rules, template: NoteTemplate) -> Tables:
    meta = json.loads((accounts_dir / "meta.json").read_text(encoding="utf-8"))
    issues_path = accounts_dir / "KNOWN_ISSUES.yaml"
    issues: dict[tuple[str, int], dict[str, Any]] = {}
    if issues_path.exists():
        doc = yaml_load.safe_load(issues_path.read_text(encoding="utf-8")) or {}
        for item in doc.get("issues") or []:
            issues[(str(item["file"]), int(item["line"]))] = dict(item)
    return Tables(
        rules=rules,
        template=template,
        reference_date=date.fromisoformat(meta["reference_date"]),
        accounts=read_csv(accounts_dir / "accounts.csv"),
        licenses=read_csv(accounts_dir / "licenses.csv"),
        health=read_csv(accounts_dir / "health_snapshots.csv"),
        surveys=read_csv(accounts_dir / "surveys.csv"),
        incidents=read_csv(accounts_dir / "incidents.csv"),
        outcomes=read_csv(accounts_dir / "outcomes.csv"),
        opportunities=json.loads((accounts_dir / "opportunities.json").read_text(encoding="utf-8")),
        issues=issues,
    )


def rows_for(rows: Iterable[tuple[int, Row]], account_id: str) -> list[tuple[int, Row]]:
    return [(n, r) for n, r in rows if r.get("account_id") == account_id]


# --- account note sections ----------------------------------------------------------------


def front_matter(items: list[tuple[str, str]]) -> str:
    return "---\n" + "".join(f"{k}: {v}\n" for k, v in items) + "---\n"


def snapshot_section(t: Tables, line: int, acc: Row) -> list[str]:
    name, aid = acc["name"], acc["id"]
    issue = t.issue("accounts.csv", line)
    bad = issue.get("field") if issue else None
    employees = int(acc["employees"])
    out = [
        f"{name} ({aid}) is {SEGMENT_TEXT.get(acc['segment'], acc['segment'])} account in the "
        f"{human(acc['industry'])} industry with {employees:,} employees.",
        f"All figures in this note are as of the reference date {t.reference_date.isoformat()}.",
    ]
    if bad == "arr" or not acc["arr"]:
        out.append(
            f"Data issue: the ARR of {name} is missing in the account table, "
            "so no ARR or ARR penetration is given."
        )
    else:
        arr = int(acc["arr"])
        per_employee = round(arr / employees)
        level = "low" if t.rules.low_penetration(arr, employees) else "high"
        extra = " and leaves whitespace to expand into" if level == "low" else ""
        out.append(f"{name} has an ARR of {money(arr)}.")
        out.append(
            f"The ARR penetration of {name} is {money(per_employee)} of ARR per "
            f"employee, which is {level} penetration{extra}."
        )
    out.append(f"{name} has been a customer since {acc['contract_start']} (contract start).")
    if bad == "renewal_date":
        out.append(
            f"Data issue: the renewal date of {name} ({acc['renewal_date']}) is before "
            f"its contract start ({acc['contract_start']}), so the days to renewal "
            "are not given until the CRM record is corrected."
        )
    else:
        renewal = date.fromisoformat(acc["renewal_date"])
        days = days_between(t.reference_date, renewal)
        out.append(f"{name} renews on {renewal.isoformat()}, {days} days after the reference date.")
    out.append(
        f"The CSM for {name} is {acc['csm']} and the account executive is {acc['account_exec']}."
    )
    role = acc["partner_role"]
    if role in ROLE_TEXT and acc["partner"]:
        out.append(
            f"{name} is partner-managed: {acc['partner']} works the account in {ROLE_TEXT[role]}."
        )
    else:
        by = f" by {t.rules.company}" if t.rules.company else ""
        out.append(f"{name} is managed directly{by} with no partner.")
    out.append(f"{name} is in the {acc['stage']} stage of the customer lifecycle.")
    return out


def health_section(t: Tables, acc: Row) -> tuple[list[str], int | None]:
    name = acc["name"]
    good: list[Row] = []
    out: list[str] = []
    for n, row in rows_for(t.health, acc["id"]):
        issue = t.issue("health_snapshots.csv", n)
        if issue:
            out.append(
                f"Data issue: the health snapshot of {name} for {row['month']} is left "
                f"out of this note because {issue['reason']}."
            )
            continue
        good.append(row)
    if not good:
        return [f"No health snapshots are recorded for {name}.", *out], None
    good.sort(key=lambda r: r["month"])
    latest, first = good[-1], good[0]
    score = int(latest["overall"])
    rules = t.rules
    keys = rules.component_keys
    band = rules.band_for(score).name
    status = "healthy" if rules.is_healthy(score) else "at risk"
    comps = ", ".join(f"{c} {latest[c]}" for c in keys)
    direction = rules.trend_direction(int(first["overall"]), score)
    lines = [
        f"The latest overall health score of {name} is {score} ({band}) for "
        f"{latest['month']}, so the account counts as {status}.",
        f"The {count_word(len(keys))} health components of {name} for {latest['month']} are "
        f"{comps}.",
        f"Over the {rules.health.trend_months} months from {first['month']} to "
        f"{latest['month']} the overall health score of {name} moved from "
        f"{first['overall']} to {score}, {article(direction)} trend.",
    ]
    lowest = min(keys, key=lambda c: (int(latest[c]), c))
    lines.append(f"The weakest health component of {name} is {lowest} at {latest[lowest]}.")
    return lines + out, score


def quadrant_sentence(rules: Rules, acc: Row, score: int | None, bad_arr: bool) -> list[str]:
    if score is None or bad_arr or not acc["arr"]:
        return [
            f"The expansion 2x2 quadrant of {acc['name']} cannot be placed because "
            "ARR or health data is missing."
        ]
    q = rules.quadrant_for(score, int(acc["arr"]), int(acc["employees"]))
    health = "healthy" if rules.is_healthy(score) else "unhealthy"
    pen = "low" if rules.low_penetration(int(acc["arr"]), int(acc["employees"])) else "high"
    return [
        f'In the expansion 2x2, {acc["name"]} is in the "{q}" quadrant ({health}, '
        f"{pen} ARR penetration)."
    ]


def licenses_section(t: Tables, acc: Row) -> list[str]:
    name = acc["name"]
    out: list[str] = []
    high: list[str] = []
    rows = rows_for(t.licenses, acc["id"])
    rules = t.rules
    top = rules.licenses.levels[0].name
    order: dict[str, int] = {m: i for i, m in enumerate(rules.modules)}
    for n, row in sorted(rows, key=lambda nr: (order.get(nr[1]["module"], 99), nr[0])):
        module = row["module"]
        licensed, active, assigned = (int(row[k]) for k in ("licensed", "active", "assigned"))
        issue = t.issue("licenses.csv", n)
        if issue:
            out.append(
                f"Data issue: the {module} license row of {name} is left out of this note "
                f"because {issue['reason']}."
            )
            continue
        risk = rules.license_risk(licensed, active)
        if active > licensed:
            out.append(
                f"The {module} module of {name} has {licensed:,} licensed users, "
                f"{active:,} active users and {assigned:,} assigned users, so it is "
                f"{risk} by {active - licensed:,} active users: a compliance issue to raise "
                "with the customer (a true-up or an expansion quote), not an adoption risk."
            )
            continue
        if risk == top:
            high.append(module)
        delta = licensed - active
        out.append(
            f"The {module} module of {name} has {licensed:,} licensed users, "
            f"{active:,} active users and {assigned:,} assigned users; {delta:,} "
            f"licenses ({pct(delta, licensed)}) are unused, so the license risk is "
            f"{risk}."
        )
    if not rows:
        return [f"No licenses are recorded for {name}."]
    if high:
        out.append(
            f"{name} has {plural(len(high), 'module')} at {top} license risk: {', '.join(high)}."
        )
    else:
        out.append(f"{name} has no module at {top} license risk.")
    return out


def voice_section(t: Tables, acc: Row) -> list[str]:
    name = acc["name"]
    rows = [r for n, r in rows_for(t.surveys, acc["id"]) if not t.issue("surveys.csv", n)]
    nps_rows = sorted((r for r in rows if r["kind"] == "nps"), key=lambda r: r["date"])
    csat_rows = sorted((r for r in rows if r["kind"] == "csat"), key=lambda r: r["date"])
    out: list[str] = []
    if nps_rows:
        scores = [int(r["score"]) for r in nps_rows]
        kinds = [t.rules.surveys.nps.category(s) for s in scores]
        pro, det = kinds.count("promoter"), kinds.count("detractor")
        out.append(
            f"{name} has {len(scores)} NPS responses between {nps_rows[0]['date']} and "
            f"{nps_rows[-1]['date']}, with {pro} promoters, {len(scores) - pro - det} "
            f"passives and {det} detractors, which gives an NPS of {t.rules.nps(scores)}."
        )
        last = nps_rows[-1]
        out.append(
            f"The latest NPS response from {name} is {last['score']} from "
            f"{last['respondent']} on {last['date']}."
        )
    else:
        out.append(f"No NPS responses are recorded for {name}.")
    if csat_rows:
        values = [float(r["score"]) for r in csat_rows]
        avg = sum(values) / len(values)
        last = csat_rows[-1]
        responses = plural(len(values), "response")
        out.append(
            f"The average CSAT score of {name} is {avg:.2f} from {responses}; the "
            f"latest CSAT response is {last['score']} from {last['respondent']} on "
            f"{last['date']}."
        )
    else:
        out.append(f"No CSAT responses are recorded for {name}.")
    return out


def support_section(t: Tables, acc: Row) -> list[str]:
    name = acc["name"]
    support = t.rules.support
    window = support.incident_window_months
    months = sorted({r["month"] for _, r in t.health})[-window:]
    if not months:
        return [f"No incident window can be computed for {name}."]
    counts = dict.fromkeys(support.severities, 0)
    year = dict.fromkeys(support.severities, 0)
    for n, row in rows_for(t.incidents, acc["id"]):
        if t.issue("incidents.csv", n) or row["severity"] not in counts:
            continue
        year[row["severity"]] += int(row["count"])
        if row["month"] in months:
            counts[row["severity"]] += int(row["count"])
    *first, last = support.severities
    listed = ", ".join(f"{counts[s]} {s}" for s in first)
    listed = f"{listed} and {counts[last]} {last}" if first else f"{counts[last]} {last}"
    severe = " and ".join(f"{year[s]} {s}" for s in support.severe)
    total = sum(counts.values())
    return [
        f"In the last {window} months ({months[0]} to {months[-1]}) {name} logged {total} "
        f"support incidents: {listed}.",
        f"Over the last 12 months {name} logged {severe} incidents.",
    ]


def outcomes_section(t: Tables, acc: Row) -> list[str]:
    name = acc["name"]
    rows = sorted(
        (r for n, r in rows_for(t.outcomes, acc["id"]) if not t.issue("outcomes.csv", n)),
        key=lambda r: r["date"],
    )
    if not rows:
        return [f"{name} has no verified outcomes recorded."]
    out = [
        f"{name} has {plural(len(rows), 'verified outcome')} confirmed in writing by the customer."
    ]
    for r in rows:
        out.append(
            f"On {r['date']}, {r['verified_by']} confirmed in writing the outcome "
            f'"{r["outcome"]}" for {name} ({r["metric"]}).'
        )
    return out


def missing_fields(rules: Rules, opp: dict[str, Any]) -> list[str]:
    fields = opp.get("meddicc") or {}
    return [f.label.lower() for f in rules.qualification.fields if not fields.get(f.key)]


def opportunities_section(t: Tables, acc: Row) -> list[str]:
    name = acc["name"]
    opps = sorted(
        (o for o in t.opportunities if o.get("account_id") == acc["id"]), key=lambda o: str(o["id"])
    )
    one, many = t.template.opportunity
    if not opps:
        return [f"{name} has no {many}."]
    out = [f"{name} has {plural(len(opps), one, many)}."]
    for o in opps:
        out.append(
            f'{o["id"]} "{o["name"]}" is {article(str(o["service"]))} opportunity of '
            f"{money(int(o['amount']))} in the {human(str(o['stage']))} stage, closing "
            f"on {o['close_date']}."
        )
        gaps = missing_fields(t.rules, o)
        framework = t.rules.qualification.name
        if gaps:
            out.append(f"The {framework} record of {o['id']} is missing: {', '.join(gaps)}.")
        else:
            out.append(f"The {framework} record of {o['id']} has all fields captured.")
    return out


def render_account(t: Tables, line: int, acc: Row) -> str:
    name = acc["name"]
    issue = t.issue("accounts.csv", line)
    bad_arr = bool(issue and issue.get("field") == "arr")
    health_lines, score = health_section(t, acc)
    heading = t.template.sections
    sections = [
        (heading.snapshot, snapshot_section(t, line, acc)),
        (heading.health, health_lines + quadrant_sentence(t.rules, acc, score, bad_arr)),
        (heading.licenses, licenses_section(t, acc)),
        (heading.voice, voice_section(t, acc)),
        (heading.support, support_section(t, acc)),
        (heading.outcomes, outcomes_section(t, acc)),
        (heading.opportunities, opportunities_section(t, acc)),
    ]
    title = t.template.title.format(name=name)
    head = front_matter(
        [
            ("title", json.dumps(title, ensure_ascii=False)),
            ("doc_type", "account_note"),
            ("tags", f"[account, {acc['industry']}, {acc['segment']}]"),
            ("audience", "[sales, cs]"),
            ("accounts", f"[{acc['id']}]"),
            ("updated", t.reference_date.isoformat()),
        ]
    )
    body = [f"# {title}", ""]
    for title, lines in sections:
        body += [f"## {title}", "", *(f"- {s}" for s in lines), ""]
    return head + "\n".join(body)


def render_meddicc(t: Tables, opp: dict[str, Any]) -> str:
    names = {r["id"]: r["name"] for _, r in t.accounts}
    account = names.get(str(opp["account_id"]), str(opp["account_id"]))
    fields = opp.get("meddicc") or {}
    framework = t.rules.qualification.name
    head = front_matter(
        [
            ("title", json.dumps(f"{framework}: {opp['name']}", ensure_ascii=False)),
            ("doc_type", framework.lower()),
            ("tags", f"[{framework.lower()}, {opp['service']}]"),
            ("audience", "[sales]"),
            ("accounts", f"[{opp['account_id']}]"),
            ("opportunity", str(opp["id"])),
            ("updated", t.reference_date.isoformat()),
        ]
    )
    gaps = missing_fields(t.rules, opp)
    qual_fields = t.rules.qualification.fields
    captured = len(qual_fields) - len(gaps)
    summary = (
        f"{opp['id']} is {article(str(opp['service']))} opportunity for {account} "
        f"({opp['account_id']}) worth {money(int(opp['amount']))}, in the "
        f"{human(str(opp['stage']))} stage, with a close date of {opp['close_date']}. "
        f"The {framework} record of {opp['id']} has {captured} of {len(qual_fields)} "
        "fields captured"
    )
    summary += f"; missing: {', '.join(gaps)}." if gaps else "."
    body = [f"# {framework}: {opp['name']}", "", summary, ""]
    for item in qual_fields:
        value = fields.get(item.key)
        body += [f"## {item.label}", "", str(value) if value else "Not captured yet.", ""]
    return head + "\n".join(body)


def build_notes(t: Tables) -> dict[str, str]:
    """Relative path -> file content for every note."""
    files: dict[str, str] = {}
    for line, acc in t.accounts:
        files[f"account-notes/{acc['id'].lower()}.md"] = render_account(t, line, acc)
    folder = notes_folder(t.rules)
    for opp in t.opportunities:
        files[f"{folder}/{str(opp['id']).lower()}.md"] = render_meddicc(t, opp)
    return files


def notes_folder(rules: Rules) -> str:
    """The folder of the qualification notes: the framework's name, lower case."""
    return rules.qualification.name.lower()


def write_notes(files: dict[str, str], out_dir: Path, rules: Rules) -> None:
    for sub, pattern in (("account-notes", "acc-*.md"), (notes_folder(rules), "opp-*.md")):
        folder = out_dir / sub
        folder.mkdir(parents=True, exist_ok=True)
        for stale in folder.glob(pattern):
            if f"{sub}/{stale.name}" not in files:
                stale.unlink()
    for rel, text in sorted(files.items()):
        (out_dir / rel).write_text(text, encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--accounts-dir", type=Path, default=Path("knowledge/accounts"))
    parser.add_argument("--out-dir", type=Path, default=Path("knowledge"))
    parser.add_argument("--rules", type=Path, default=None, help="<out-dir>/rules.yaml")
    parser.add_argument(
        "--template", type=Path, default=None, help="<rules folder>/templates/account_note.yaml"
    )
    args = parser.parse_args(argv)
    rules_path = args.rules or args.out_dir / "rules.yaml"
    rules = load_rules(rules_path)
    template = load_note_template(args.template or note_template_path(rules_path))
    files = build_notes(load_tables(args.accounts_dir, rules, template))
    write_notes(files, args.out_dir, rules)
    print(f"wrote {len(files)} notes to {args.out_dir}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
