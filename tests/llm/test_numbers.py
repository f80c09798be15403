"""A figure in a model's answer must come from what the answer rests on: removed or marked
otherwise, and listed in `check`, through the engine."""

from __future__ import annotations

from typing import Any

import pytest

from tests.llm.conftest import ADMIN, EngineFactory
from tests.llm.scripted import Call, ScriptedModel, content, tools


def rows(make_engine: EngineFactory, model: ScriptedModel) -> list[dict[str, Any]]:
    model.enqueue(tools(Call("list_accounts", {})), content("Listed."))
    listed: list[dict[str, Any]] = (
        make_engine().chat("list accounts", ADMIN).tool_calls[0].result["accounts"]
    )
    model.reset()
    return listed


@pytest.mark.parametrize("numbers", ["remove", "mark", "flag"])
def test_a_figure_of_an_unnamed_record_is_no_support(
    make_engine: EngineFactory, model: ScriptedModel, numbers: str
) -> None:
    first, other = rows(make_engine, model)[:2]
    assert first["arr"] != other["arr"]
    named = f"{first['name']} has an ARR of {first['arr']}."
    invented = f"Its nearest peer is at {other['arr']}."  # a figure of a record not named
    model.enqueue(tools(Call("list_accounts", {})), content(f"{named} {invented}"))
    response = make_engine(numbers=numbers).chat("What is the ARR of the first one?", ADMIN)
    assert response.check is not None
    assert response.check.unsupported_numbers == [str(other["arr"])]
    expected = {
        "remove": named,
        "mark": f"{named} {invented} _(unverified figure)_",
        "flag": f"{named} {invented}",
    }[numbers]
    assert response.answer == expected
