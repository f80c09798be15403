"""Chart specs: the figures of one chart as data, independent of how it is drawn.

A spec is what the `.json` chart routes return (so a page can show the same figures as
accessible text), what `render.py` draws to SVG (web) and PNG (DOCX), and what a draft
embeds. Each spec carries the provenance of the tool result it was built from (`as_of`,
`source`, `tool`), a one-sentence `summary` and a `table` of every figure it plots.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, Field


class Table(BaseModel):
    """The plotted figures as rows (the accessible text of the chart)."""

    columns: list[str]
    rows: list[list[str | int | float | None]]


class ChartBase(BaseModel):
    title: str
    summary: str = Field(description="one sentence saying what the chart shows")
    as_of: dt.date = Field(description="date the figures hold for (the tool result's)")
    source: list[str] = Field(description="accounts-store tables the figures come from")
    tool: str = Field(description="the tool whose result the figures are")
    table: Table


class BandZone(BaseModel):
    name: str
    colour: str
    min: int
    max: int


class Series(BaseModel):
    key: str
    label: str
    values: list[int | None] = Field(description="one per month; null when not recorded")


class HealthTrendChart(ChartBase):
    kind: Literal["health_trend"] = "health_trend"
    account_id: str
    account_name: str
    months: list[dt.date] = Field(description="the x axis: one monthly snapshot each")
    overall: Series
    components: list[Series]
    bands: list[BandZone] = Field(description="the rules' bands, low to high")
    scale_max: int
    healthy_from: int


class LicenseBar(BaseModel):
    module: str
    licensed: int
    active: int
    utilization_pct: float | None = Field(description="active / licensed in %, 1 decimal")
    risk: str


class LicenseChart(ChartBase):
    kind: Literal["licenses"] = "licenses"
    account_id: str
    account_name: str
    bars: list[LicenseBar]
    levels: list[str] = Field(description="the rules' risk levels, highest first")


class QuadrantPoint(BaseModel):
    account_id: str
    name: str
    arr_per_employee: float
    overall: int
    quadrant: str
    band: str
    colour: str = Field(description="the band's display colour")
    label: str = Field(description="the hover text of the point (an SVG <title>)")


class QuadrantCell(BaseModel):
    name: str
    healthy: bool
    low_penetration: bool
    motion: str | None
    count: int


class QuadrantChart(ChartBase):
    kind: Literal["quadrant"] = "quadrant"
    points: list[QuadrantPoint]
    quadrants: list[QuadrantCell]
    low_penetration_below: float = Field(description="the vertical line (ARR per employee)")
    healthy_from: int = Field(description="the horizontal line (health score)")
    scale_max: int


ChartSpec = Annotated[HealthTrendChart | LicenseChart | QuadrantChart, Field(discriminator="kind")]
