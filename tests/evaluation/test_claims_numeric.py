"""Splitting answers into cited claims, and numeric consistency."""

from __future__ import annotations

from decimal import Decimal

import pytest

from assistant.evaluation.claims import Claim, split_claims, strip_markers
from assistant.evaluation.numeric import (
    canonical,
    numbers,
    numeric_consistency,
    unsupported_numbers,
)


def test_each_marker_covers_the_sentences_since_the_previous_one() -> None:
    answer = "Kickoff is in week one. [1] Go-live takes 30 days. It needs a sponsor. [2]"
    assert split_claims(answer) == [
        Claim("Kickoff is in week one.", ("1",)),
        Claim("Go-live takes 30 days.", ("2",)),
        Claim("It needs a sponsor.", ("2",)),
    ]


def test_several_markers_tool_markers_and_uncited_text() -> None:
    answer = "Health is 72 [T1]. Bands: the guide [1][2] and the table [3, T2]. Trailing claim."
    claims = split_claims(answer)
    assert claims == [
        Claim("Health is 72", ("T1",)),
        Claim("Bands: the guide", ("1", "2")),
        Claim("and the table", ("3", "T2")),
        Claim("Trailing claim.", ()),
    ]
    assert claims[2].chunk_markers == ("3",)
    assert Claim("x", ("T1", "4")).chunk_markers == ("4",)


def test_headings_and_word_free_sentences_are_not_claims() -> None:
    answer = (
        "**What the playbooks say**\nA renewal starts 120 days out. [1]\n# Title\n---\n. [2]"
        "\nWhich account do you mean?"
    )
    assert split_claims(answer) == [Claim("A renewal starts 120 days out.", ("1",))]


def test_list_intro_lines_cover_their_rows_and_footnotes_are_not_claims() -> None:
    answer = (
        "2 account(s) renew in the next 90 days [T1]:\n"
        "- **Northwind** (ACC-001): renews 2027-01-15, ARR $420,000\n"
        "- **Contoso** (ACC-002): renews 2027-02-01, ARR $880,000\n"
        "\n"
        "**What the playbooks say**\n"
        "Start renewals 120 days out. [1]\n"
        "| module | licensed |\n|---|---|\n| search | 120 |\n"
        "Licenses as of today [T2].\n"
        "[T1] `renewals_due(days=90)` as of 2026-11-01, from accounts\n"
    )
    assert [(c.text, c.markers) for c in split_claims(answer)] == [
        ("2 account(s) renew in the next 90 days", ("T1",)),
        ("Northwind (ACC-001): renews 2027-01-15, ARR $420,000", ("T1",)),
        ("Contoso (ACC-002): renews 2027-02-01, ARR $880,000", ("T1",)),
        ("Start renewals 120 days out.", ("1",)),
        ("search | 120", ("T2",)),  # the header row is not a claim
        ("Licenses as of today", ("T2",)),
    ]


def test_a_draft_document() -> None:
    """Table cells flagged "Needs input", header rows, and the Sources and Needs input
    sections (with bulleted footnotes) are not claims."""
    answer = (
        "## Owners\n\n"
        "| Role | Name | Responsibility |\n|---|---|---|\n"
        "| CSM | Maya Chen [T1] | The CSM owns adoption. [10] |\n"
        "| Sponsor | **Needs input:** name the sponsor [9] | The sponsor signs. [11] |\n\n"
        "## Needs input\n\n- owners › name: name the sponsor\n\n"
        "## Sources\n\n- [9] Guide > Owners (knowledge/guides/x.md)\n"
        "- [T1] account_overview(account_id=ACC-001) as of 2026-11-01\n"
    )
    assert [(c.text, c.markers) for c in split_claims(answer)] == [
        ("CSM | Maya Chen", ("T1",)),
        ("The CSM owns adoption.", ("10",)),
        ("The sponsor signs.", ("11",)),  # "Sponsor" only labels the input needed
    ]


@pytest.mark.parametrize("answer", ["", "   ", "[1]", "**Heading**", "[T1] `tool()` as of x"])
def test_empty_answers_have_no_claims(answer: str) -> None:
    assert split_claims(answer) == []


def test_strip_markers() -> None:
    assert strip_markers("A [1] b [T2] c [1, 3][4]") == "A b c"


@pytest.mark.parametrize(
    ("text", "values"),
    [
        ("1,200 users", {"1200"}),
        ("1200.0", {"1200"}),
        ("$420,000 ARR", {"420000"}),
        ("16%", {"16", "0.16"}),
        ("12.5 percent", {"12.5", "0.125"}),
        ("420k", {"420", "420000"}),
        ("1.2 million", {"1.2", "1200000"}),
        ("ACC-001", {"1"}),
    ],
)
def test_number_values(text: str, values: set[str]) -> None:
    (number,) = numbers(text)
    assert number.values == values


def test_dates_markers_and_words_with_digits() -> None:
    found = [n.text for n in numbers("On 2027-01-15 [2], sev1, Q3, the 2x2 and 3rd [T1].")]
    assert found == ["2027", "01", "15"]
    assert canonical(Decimal("0.160")) == "0.16"
    assert canonical(Decimal("3E+1")) == "30"


def test_numeric_consistency_normalises_formats() -> None:
    evidence = ['{"arr": 1200, "utilization": 0.16, "renewal_date": "2027-01-15"}']
    answer = "ARR is $1,200, utilization 16%, renewal on 15 January 2027 [T1]."
    assert unsupported_numbers(answer, evidence) == []
    assert numeric_consistency(answer, evidence) == 1.0


def test_numeric_consistency_flags_an_invented_number() -> None:
    answer = "Go-live within 30 days, and 45 days for partners. [1]"
    evidence = ["A new customer should be live within 30 days of signature."]
    assert unsupported_numbers(answer, evidence) == ["45"]
    assert numeric_consistency(answer, evidence) == 0.0


def test_numeric_consistency_edge_cases() -> None:
    assert numeric_consistency("No figures here. [1]", ["anything 5"]) is None  # not applicable
    assert numeric_consistency("", []) is None  # empty answer
    assert numeric_consistency("It costs 10.", []) == 0.0  # no evidence at all
    assert numeric_consistency("See [1] and [2].", []) is None  # markers are not numbers
