"""The charts that go with an answer (filled in when the chart module is merged)."""

from __future__ import annotations

from assistant.principal import Principal
from assistant.services import Services
from assistant.web.views import AnswerView


def attach_charts(view: AnswerView, services: Services, principal: Principal) -> None:
    """Set `view.charts` for an answer about one account or the portfolio 2x2."""
    view.charts = []
