"""Chart rendering is cheap where it can be: a chart drawn once comes from a small LRU of
rendered bytes until its figures change, the default size fits a DOCX page width, and the
2x2's points keep their own SVG group (its hover text) while drawn as plain marker lines."""

from __future__ import annotations

import datetime as dt
import importlib
import struct
import xml.etree.ElementTree as ET

import pytest

from assistant.charts import LicenseChart, QuadrantChart, render
from assistant.charts.render import _CACHE, _CACHE_SIZE, cache_clear
from assistant.charts.specs import LicenseBar, QuadrantCell, QuadrantPoint, Table

SVG = "{http://www.w3.org/2000/svg}"
chart_render = importlib.import_module("assistant.charts.render")  # the package's `render`
# attribute is the function


def licenses(active: int, account: str = "ACC-001") -> LicenseChart:
    return LicenseChart(
        title=f"{account}: license utilization by module",
        summary="one module",
        as_of=dt.date(2026, 11, 1),
        source=["licenses"],
        tool="license_utilization",
        table=Table(columns=["module", "licensed", "active"], rows=[["search", 100, active]]),
        account_id=account,
        account_name=account,
        bars=[
            LicenseBar(
                module="search",
                licensed=100,
                active=active,
                utilization_pct=float(active),
                risk="Low",
            )
        ],
        levels=["High", "Medium", "Low"],
    )


@pytest.fixture(autouse=True)
def empty_cache() -> None:
    cache_clear()


def test_the_same_figures_are_drawn_once() -> None:
    first = render(licenses(80), "png")
    assert render(licenses(80), "png") is first  # the cached bytes, not a second drawing
    assert render(licenses(80), "svg") is not first  # the format is part of the key
    changed = render(licenses(81), "png")  # new figures, same account and as-of: redrawn
    assert changed != first and changed[:8] == b"\x89PNG\r\n\x1a\n"
    assert render(licenses(80, "ACC-002"), "png") != first


def test_the_cache_stays_small(monkeypatch: pytest.MonkeyPatch) -> None:
    assert 0 < _CACHE_SIZE <= 256
    monkeypatch.setattr(chart_render, "_CACHE_SIZE", 2)
    drawn = [render(licenses(active), "svg") for active in (10, 20, 30)]
    assert len(_CACHE) == 2  # the least recently used went
    assert render(licenses(30), "svg") is drawn[2]  # kept
    again = render(licenses(10), "svg")  # evicted: drawn again, the same bytes as before
    assert again == drawn[0] and again is not drawn[0]


def test_default_png_fits_a_page_width() -> None:
    png = render(licenses(80), "png")
    width, height = struct.unpack(">II", png[16:24])  # the IHDR chunk
    assert (width, height) == (975, 540)  # 6.5 x 3.6 inches at 150 dpi


def test_quadrant_points_keep_their_hover_text() -> None:
    points = [
        QuadrantPoint(account_id=f"ACC-00{i}", name=f"Account {i}", arr_per_employee=50.0 * i,
                      overall=30 + 10 * i, quadrant="Q", band="b", colour="#27ae60",
                      label=f"Account {i}: health {30 + 10 * i}")
        for i in range(1, 5)
    ]  # fmt: skip
    spec = QuadrantChart(
        title="Portfolio", summary="four accounts", as_of=dt.date(2026, 11, 1),
        source=["health_snapshots"], tool="expansion_targets",
        table=Table(columns=["account"], rows=[[p.name] for p in points]), points=points,
        quadrants=[QuadrantCell(name=n, healthy=h, low_penetration=lo, motion=None, count=1)
                   for n, h, lo in (("A", True, True), ("B", True, False), ("C", False, True),
                                    ("D", False, False))],
        low_penetration_below=150.0, healthy_from=60, scale_max=100,
    )  # fmt: skip
    root = ET.fromstring(render(spec, "svg"))
    titles = [t.text for t in root.iter(f"{SVG}title")]
    assert titles == ["Portfolio", *(p.label for p in points)]
