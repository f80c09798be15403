"""The post-check as plain code: citation filtering (whole and streamed) and number flags."""

from __future__ import annotations

import pytest

from assistant.llm.postcheck import (
    CitationFilter,
    cited,
    enforce_numbers,
    support,
    unsupported_numbers,
)


def filtered(text: str, known: set[int], piece: int | None = None) -> tuple[str, list[int]]:
    check = CitationFilter(known)
    if piece is None:
        return check.feed(text) + check.flush(), check.dropped
    out = "".join(check.feed(text[i : i + piece]) for i in range(0, len(text), piece))
    return out + check.flush(), check.dropped


@pytest.mark.parametrize(
    ("text", "expected", "dropped"),
    [
        ("Live in 30 days [1].", "Live in 30 days [1].", []),
        ("Live in 30 days [4].", "Live in 30 days.", [4]),
        ("A [1, 4] and B [2][3].", "A [1] and B [2].", [4, 3]),
        ("See [the guide] and [x1].", "See [the guide] and [x1].", []),
        ("Ends with an open [", "Ends with an open [", []),
        ("Trailing marker [7]", "Trailing marker", [7]),
        ("- risks[3].owner: agree it [2]", "- risks[3].owner: agree it [2]", []),
        ("See [9](https://x.test) [9]", "See [9](https://x.test)", [9]),
    ],
)
@pytest.mark.parametrize("piece", [None, 1, 2, 5])
def test_citation_filter(text: str, expected: str, dropped: list[int], piece: int | None) -> None:
    assert filtered(text, {1, 2}, piece) == (expected, dropped)


def test_cited_in_order() -> None:
    assert cited("x [2] y [1, 2] z [3]") == [2, 1, 3]


def test_numbers_from_tools_chunks_and_question_are_supported() -> None:
    numbers = support(
        ["Renewal on 2027-01-15; ARR 1,150,000 dollars; target 80%."],
        [{"arr_per_employee": 95.83, "share": 0.42, "count": 3, "flag": True}],
    )
    answer = (
        "ARR is $1,150,000 (about 1.15M), renewing 2027-01-15. It is 95.8 per employee, "
        "42% of seats, 3 incidents, 80% target."
    )
    assert unsupported_numbers(answer, numbers) == []


def test_invented_numbers_are_flagged() -> None:
    numbers = support(["A kickoff in week 1."], [{"arr": 420000}])
    answer = "1. ARR is 420,000, up 12% on 2025-03-01, with 7 open deals and 3.5 points."
    assert unsupported_numbers(answer, numbers) == ["12%", "2025-03-01", "7", "3.5"]


def test_ids_markers_and_indexes_are_not_numbers() -> None:
    numbers = support([], [])
    text = "Account ACC-001 looks fine [3]. Sev1 is open; see objectives[0].kpi."
    assert unsupported_numbers(text, numbers) == []
    assert unsupported_numbers("A 30-day window.", numbers) == ["30"]


# numbers held to what the answer cites (issue 16) -----------------------------------------

ROWS = {
    "count": 5,
    "accounts": [{"id": f"ACC-00{i}", "name": f"Firm {c}", "arr": 100_000 * i} for i, c in
                 zip(range(1, 6), "ABCDE", strict=True)],
}  # fmt: skip


def test_a_long_list_supports_only_the_records_the_answer_names() -> None:
    answer = "Firm B has an ARR of 200,000 and another account has 400,000."
    numbers = support([], [ROWS], answer)
    assert unsupported_numbers(answer, numbers) == ["400,000"]
    assert unsupported_numbers(answer, support([], [ROWS])) == []  # the old, loose set


def test_short_lists_and_scalars_count_whole() -> None:
    result = {"total": 7, "items": [{"n": 3}, {"n": 4}]}
    assert unsupported_numbers("7 in all, 3 and 4.", support([], [result], "x")) == []


@pytest.mark.parametrize(
    ("policy", "expected"),
    [
        ("remove", "Firm B has an ARR of 200,000 [1].\n\n- Firm B renews soon"),
        (
            "mark",
            "Firm B has an ARR of 200,000 [1]. It grew 35% last year. _(unverified figure)_\n\n"
            "- Firm B renews soon\n- 12 seats idle _(unverified figure)_",
        ),
        ("flag", None),
    ],
)
def test_a_sentence_with_an_invented_figure_is_removed_or_marked(
    policy: str, expected: str | None
) -> None:
    text = (
        "Firm B has an ARR of 200,000 [1]. It grew 35% last year.\n\n"
        "- Firm B renews soon\n- 12 seats idle"
    )
    answer, flagged = enforce_numbers(text, support([], [ROWS], text), policy)
    assert flagged == ["35%", "12"]
    assert answer == (expected if expected is not None else text)
