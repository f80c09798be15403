"""The figures of a model-written draft, field by field: a number in a field must be a figure
of a tool result that field cites (`tools`), of a chunk it cites (`citations`), or the
grounded composer's value for the same field (it read the same evidence). Otherwise, per
`ASSISTANT_LLM_UNSUPPORTED_NUMBERS`:

    remove   the field becomes the grounded composer's field (or, when it has none, a
             field that needs input and says why)
    mark     a text value gets "(unverified figure)", any other value a note naming it
    flag     nothing changes; the figures are listed in `check`

Fields are found by their shape in the draft's JSON (an evidenced field holds `value`,
`citations`, `tools` and `needs_input`), so this needs nothing of the draft models; a plain
value outside such fields is held to all the evidence the draft was given. The
result also says which composer wrote each top-level section: `model`, `grounded` (every
field of it replaced) or `mixed`.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from assistant.llm.postcheck import support, unsupported_numbers

Path = tuple[str | int, ...]
_FIELD_KEYS = {"value", "citations", "tools", "needs_input"}


@dataclass
class DraftCheck:
    data: dict[str, Any]
    flagged: list[str] = field(default_factory=list)
    composers: dict[str, str] = field(default_factory=dict)


def evidenced_fields(value: Any, path: Path = ()) -> Iterator[tuple[Path, dict[str, Any]]]:
    if isinstance(value, dict):
        if set(value) >= _FIELD_KEYS:
            yield path, value
            return
        for key, item in value.items():
            yield from evidenced_fields(item, (*path, key))
    elif isinstance(value, list):
        for n, item in enumerate(value):
            yield from evidenced_fields(item, (*path, n))


def plain_values(
    value: Any, path: Path = (), meta: frozenset[str] = frozenset()
) -> Iterator[tuple[Path, Any]]:
    """Numbers and texts outside evidenced fields (and outside the `meta` keys)."""
    if isinstance(value, dict):
        if set(value) >= _FIELD_KEYS:
            return
        for key, item in value.items():
            if not path and key in meta:
                continue
            yield from plain_values(item, (*path, key), meta)
    elif isinstance(value, list):
        for n, item in enumerate(value):
            yield from plain_values(item, (*path, n), meta)
    elif isinstance(value, int | float | str) and not isinstance(value, bool):
        yield path, value


def _at(value: Any, path: Path) -> Any:
    for step in path:
        if isinstance(step, int):
            if not isinstance(value, list) or step >= len(value):
                return None
        elif not isinstance(value, dict) or step not in value:
            return None
        value = value[step]
    return value


def _set(value: Any, path: Path, new: Any) -> None:
    for step in path[:-1]:
        value = value[step]
    value[path[-1]] = new


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, default=str)


def check_draft(
    data: dict[str, Any],
    grounded: dict[str, Any] | None,
    chunk_texts: dict[int, str],
    tool_results: dict[str, list[Any]],
    policy: str,
    meta: frozenset[str] = frozenset(),
) -> DraftCheck:
    """The draft's JSON with its unsupported figures handled per `policy` (see above)."""
    out = copy.deepcopy(data)
    check = DraftCheck(out)
    replaced: dict[str, list[bool]] = {}
    for path, item in list(evidenced_fields(out)):
        top = str(path[0])
        replaced.setdefault(top, [])
        if item.get("value") is None:
            replaced[top].append(False)
            continue
        theirs = _at(grounded, path) if grounded is not None else None
        texts = [chunk_texts.get(n, "") for n in item.get("citations", [])]
        if isinstance(theirs, dict) and theirs.get("value") is not None:
            texts.append(_text(theirs["value"]))
        results = [r for name in item.get("tools", []) for r in tool_results.get(name, [])]
        bad = unsupported_numbers(_text(item["value"]), support(texts, results))
        if not bad:
            replaced[top].append(False)
            continue
        check.flagged += [b for b in bad if b not in check.flagged]
        replaced[top].append(policy == "remove")
        if policy == "remove":
            if isinstance(theirs, dict) and set(theirs) >= _FIELD_KEYS:
                _set(out, path, copy.deepcopy(theirs))
            else:
                note = f"the model's figure {', '.join(bad)} is in none of its evidence"
                _set(out, path, {**item, "value": None, "needs_input": True, "note": note})
        elif policy == "mark":
            if isinstance(item["value"], str):
                item["value"] = f"{item['value'].rstrip()} (unverified figure)"
            else:
                lead = f"unverified: {', '.join(bad)} is in none of the cited evidence"
                item["note"] = f"{lead}; {item['note']}" if item.get("note") else lead
    everything = support(chunk_texts.values(), [r for rs in tool_results.values() for r in rs])
    for path, value in list(plain_values(out, (), meta)):
        theirs = _at(grounded, path) if grounded is not None else None
        numbers = everything | support([_text(theirs)] if theirs is not None else [], [])
        bad = unsupported_numbers(_text(value), numbers)
        if not bad:
            continue
        check.flagged += [b for b in bad if b not in check.flagged]
        if policy == "remove" and theirs is not None and type(theirs) is type(value):
            _set(out, path, theirs)
        elif policy == "mark" and isinstance(value, str):
            _set(out, path, f"{value.rstrip()} (unverified figure)")
    for top in out:
        if top in meta:
            continue
        flags = replaced.get(top)
        if flags is None:
            if isinstance(out[top], dict | list):
                check.composers[top] = "model"
            continue
        check.composers[top] = (
            "grounded" if flags and all(flags) else "mixed" if any(flags) else "model"
        )
    return check
