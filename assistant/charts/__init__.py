"""Charts: specs built from the tools' results (`build`), drawn to SVG and PNG (`render`)."""

from assistant.charts.build import health_trend, license_bars, portfolio_quadrant
from assistant.charts.render import MEDIA_TYPES, render
from assistant.charts.specs import (
    ChartSpec,
    HealthTrendChart,
    LicenseChart,
    QuadrantChart,
)

__all__ = [
    "MEDIA_TYPES",
    "ChartSpec",
    "HealthTrendChart",
    "LicenseChart",
    "QuadrantChart",
    "health_trend",
    "license_bars",
    "portfolio_quadrant",
    "render",
]
