"""Draw a chart spec to SVG (the web UI) or PNG (DOCX drafts) with matplotlib.

matplotlib is imported on first use (nothing at import time), with the Agg backend and
without pyplot: every chart is its own `Figure`, so no global figure state is shared between
requests. Rendering holds a lock (matplotlib's font cache and text layout are not
thread-safe). SVG output is deterministic (fixed hash salt, no date) and keeps text as text;
each point of the portfolio 2x2 gets an SVG `<title>` (its hover text), and the chart a
`<title>` and `<desc>` with its summary.

Rendering is kept cheap (a web page, the chart API and every DOCX draw the same charts):
fixed margins instead of the constrained layout (which draws each figure twice), one marker
line per 2x2 point instead of a scatter collection each, and a small LRU of rendered bytes
keyed by (kind, account, as-of, format) and a digest of the spec's figures, so a chart
drawn once is not drawn again until its data changes. Each figure is cleared after use.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
import threading
from collections import OrderedDict
from html import escape
from typing import TYPE_CHECKING, Literal

from assistant.charts.specs import (
    ChartBase,
    HealthTrendChart,
    LicenseChart,
    QuadrantChart,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

Format = Literal["svg", "png"]
MEDIA_TYPES: dict[str, str] = {"svg": "image/svg+xml", "png": "image/png"}
_LOCK = threading.Lock()
_SIZE = (6.5, 3.6)  # inches: a DOCX page width
_PNG_DPI = 150
_MARGINS = {"left": 0.09, "right": 0.97, "bottom": 0.2, "top": 0.88}
_LEGEND_RIGHT = 0.74  # the health trend's legend sits right of its axes
_CACHE_SIZE = 64  # rendered charts kept (a chart is 10-100 KB)
_CACHE: OrderedDict[tuple[str, ...], bytes] = OrderedDict()
_OVER = "#8e44ad"  # over-deployed modules
_LEVEL_COLOURS = ["#c0392b", "#e67e22", "#f1c40f", "#27ae60", "#2e86c1"]  # highest risk first
_POINT_ID = "chart-point-{}"


def render(spec: ChartBase, fmt: Format) -> bytes:
    """The chart as SVG or PNG bytes (from the cache when the same figures were drawn)."""
    key = cache_key(spec, fmt)
    with _LOCK:
        cached = _CACHE.get(key)
        if cached is not None:
            _CACHE.move_to_end(key)
            return cached
        drawn = _render(spec, fmt)
        _CACHE[key] = drawn
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
        return drawn


def cache_key(spec: ChartBase, fmt: Format) -> tuple[str, ...]:
    """(kind, account, as-of, format, digest of every figure the chart draws)."""
    data = spec.model_dump_json().encode("utf-8")
    return (
        str(getattr(spec, "kind", type(spec).__name__)),
        str(getattr(spec, "account_id", "") or ""),
        spec.as_of.isoformat(),
        fmt,
        hashlib.sha256(data).hexdigest(),
    )


def cache_clear() -> None:
    with _LOCK:
        _CACHE.clear()


def _render(spec: ChartBase, fmt: Format) -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    with matplotlib.rc_context(_RC):
        figure = _draw(spec)
        try:
            buffer = io.BytesIO()
            if fmt == "svg":
                figure.savefig(buffer, format="svg", metadata={"Date": None})
                return _annotate_svg(buffer.getvalue().decode("utf-8"), spec).encode("utf-8")
            figure.savefig(buffer, format="png", dpi=_PNG_DPI, metadata={"Software": None})
            return buffer.getvalue()
        finally:
            figure.clear()  # its artists go now, not at the next garbage collection


_RC: dict[str, object] = {
    "svg.hashsalt": "success-assistant",
    "svg.fonttype": "none",
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
}


def _draw(spec: ChartBase) -> Figure:
    from matplotlib.figure import Figure

    figure = Figure(figsize=_SIZE)
    right = _LEGEND_RIGHT if isinstance(spec, HealthTrendChart) else _MARGINS["right"]
    figure.subplots_adjust(**{**_MARGINS, "right": right})
    axes = figure.add_subplot()
    axes.set_title(spec.title, loc="left", fontsize=10, fontweight="bold")
    if isinstance(spec, HealthTrendChart):
        _health(axes, spec)
    elif isinstance(spec, LicenseChart):
        _licenses(axes, spec)
    elif isinstance(spec, QuadrantChart):
        _quadrant(axes, spec)
    else:  # pragma: no cover - the union is closed
        raise TypeError(f"no renderer for {type(spec).__name__}")
    figure.text(0.0, 0.0, f"as of {spec.as_of.isoformat()} · {spec.tool}", fontsize=7, color="#666")
    return figure


def _health(axes: Axes, spec: HealthTrendChart) -> None:
    x = list(range(len(spec.months)))
    for band in spec.bands:
        axes.axhspan(band.min, band.max + 1, color=band.colour, alpha=0.10, linewidth=0)
    for series in spec.components:
        ys = [float("nan") if v is None else v for v in series.values]
        axes.plot(x, ys, linewidth=1.1, marker="o", markersize=2.5, label=series.label)
    overall = [float("nan") if v is None else v for v in spec.overall.values]
    axes.plot(x, overall, color="#1b2631", linewidth=2.6, marker="o", label=spec.overall.label)
    axes.axhline(spec.healthy_from, color="#555", linewidth=0.8, linestyle="--")
    axes.set_ylim(0, spec.scale_max)
    axes.set_xticks(x, [_month(m) for m in spec.months], rotation=45, ha="right")
    axes.set_ylabel("score")
    axes.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False)


def _licenses(axes: Axes, spec: LicenseChart) -> None:
    x = list(range(len(spec.bars)))
    width = 0.38
    licensed = [b.licensed for b in spec.bars]
    active = [b.active for b in spec.bars]
    colours = [_level_colour(spec.levels, b.risk) for b in spec.bars]
    axes.bar([i - width / 2 for i in x], licensed, width, color="#d5d8dc", label="licensed")
    axes.bar([i + width / 2 for i in x], active, width, color=colours, label="active")
    top = max([*licensed, *active, 1])
    for i, bar in enumerate(spec.bars):
        text = "n/a" if bar.utilization_pct is None else f"{bar.utilization_pct:g}%"
        axes.text(
            i,
            max(bar.licensed, bar.active) + top * 0.02,
            f"{text}\n{bar.risk}",
            ha="center",
            va="bottom",
            fontsize=7.5,
        )
    axes.set_ylim(0, top * 1.22)
    axes.set_xticks(x, [b.module for b in spec.bars])
    axes.set_ylabel("users")
    axes.legend(loc="upper right", fontsize=8, frameon=False)


def _quadrant(axes: Axes, spec: QuadrantChart) -> None:
    xs = [p.arr_per_employee for p in spec.points]
    line = spec.low_penetration_below
    spread = max([*xs, line]) / max(min([*xs, line]), 1e-9)
    if spread > 20:
        axes.set_xscale("log")
    low, high = min([*xs, line]), max([*xs, line])
    pad = (high / low) ** 0.08 if spread > 20 else None
    if pad is not None:
        axes.set_xlim(low / pad, high * pad)
    else:
        margin = (high - low) * 0.08 or 1.0
        axes.set_xlim(max(0.0, low - margin), high + margin)
    axes.set_ylim(0, spec.scale_max)
    axes.axvline(line, color="#555", linewidth=1.0, linestyle="--")
    axes.axhline(spec.healthy_from, color="#555", linewidth=1.0, linestyle="--")
    left, right = axes.get_xlim()
    for cell in spec.quadrants:
        x_at, ha = (left, "left") if cell.low_penetration else (right, "right")
        y_at, va = (spec.scale_max, "top") if cell.healthy else (0, "bottom")
        axes.text(
            x_at,
            y_at,
            f" {cell.name} ({cell.count}) ",
            ha=ha,
            va=va,
            fontsize=9,
            fontweight="bold",
            color="#34495e",
        )
    for i, point in enumerate(spec.points):  # a marker line each: its own <g id> in SVG
        axes.plot(
            [point.arr_per_employee],
            [point.overall],
            linestyle="none",
            marker="o",
            markersize=6,
            zorder=3,
            color=point.colour,
            markeredgecolor="#1b2631",
            markeredgewidth=0.5,
            gid=_POINT_ID.format(i),
        )
        if len(spec.points) <= 15:
            axes.annotate(
                point.name,
                (point.arr_per_employee, point.overall),
                fontsize=7,
                xytext=(4, 3),
                textcoords="offset points",
            )
    axes.set_xlabel("ARR per employee")
    axes.set_ylabel("health score")


def _level_colour(levels: list[str], risk: str) -> str:
    if risk in levels:
        return _LEVEL_COLOURS[min(levels.index(risk), len(_LEVEL_COLOURS) - 1)]
    return _OVER


def _month(day: dt.date) -> str:
    return day.strftime("%b %Y")


def _annotate_svg(svg: str, spec: ChartBase) -> str:
    """A <title>/<desc> for the chart and a <title> (hover text) inside each point's group."""
    root = re.search(r"<svg\b[^>]*>", svg)
    if root is not None:
        head = (
            f"{root.group(0)}\n <title>{escape(spec.title)}</title>\n"
            f" <desc>{escape(spec.summary)}</desc>"
        )
        svg = svg[: root.start()] + head + svg[root.end() :]
        svg = svg.replace("<svg ", '<svg role="img" ', 1)
    if isinstance(spec, QuadrantChart):
        for i, point in enumerate(spec.points):
            opening = f'<g id="{_POINT_ID.format(i)}">'
            svg = svg.replace(opening, f"{opening}\n   <title>{escape(point.label)}</title>", 1)
    return svg
