"""Analytics pages: the dashboard over every QR Code, and the panel of one QR Code's
detail page. Both show what the analytics API answers, as charts and as tables."""

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import abort, render_template, request, url_for
from pydantic import ValidationError

from ..analytics import events, queries
from ..analytics.dimensions import DIMENSIONS
from ..analytics.limits import ReadLimits
from ..analytics.schemas import INTERVALS, AnalyticsQuery, EventsQuery
from ..context import the_app
from ..jobs.downloads import streamed_attachment
from ..state import app_state
from . import bp
from .timezone import reader_zone

INTERVAL_LABELS = {"1h": "Last hour", "24h": "Last 24 hours", "7d": "Last 7 days", "30d": "Last 30 days",
                   "90d": "Last 90 days", "ytd": "Year to date", "1y": "Last 12 months", "all": "All time"}
assert set(INTERVAL_LABELS) == set(INTERVALS)


def panel(qrcode_id: str | None = None, top: bool = False) -> dict:
    """Everything an analytics panel shows, for the interval, time zone and
    unique-visitors choice in the page's query string."""
    choice = {"interval": request.args.get("interval", "30d"), "timezone": request.args.get("timezone") or reader_zone(),
              "unique": request.args.get("unique") == "1"}
    try:
        base = AnalyticsQuery.model_validate({**choice, "qrcodeId": qrcode_id})
    except ValidationError:
        choice = {"interval": "30d", "timezone": reader_zone(), "unique": False}
        base = AnalyticsQuery.model_validate({**choice, "qrcodeId": qrcode_id})

    limits = ReadLimits.from_config(the_app().config)

    def answer(group_by: str):
        return queries.analytics(base.model_copy(update={"group_by": group_by}), limits, app_state().agents)

    shown = [dimension for dimension in DIMENSIONS
             if dimension.panel is not None and (top or not dimension.panel.dashboard_only)]
    measure = "visitors" if base.unique else "scans"
    series = answer("timeseries")
    zone = ZoneInfo(base.timezone)
    step = "%d %b %H:%M" if len(series) > 1 and _gap(series) < 86400 else "%d %b %Y"
    for point in series:
        point["label"] = datetime.fromisoformat(point["start"]).astimezone(zone).strftime(step)
    csv_args: dict[str, Any] = {"interval": base.interval, "timezone": base.timezone, "format": "csv",
                                **({"qrcodeId": qrcode_id} if qrcode_id else {})}
    return {
        "choice": choice,
        "intervals": INTERVAL_LABELS,
        "measure": measure,
        "total": answer("count")[measure],
        "series": series,
        "breakdowns": [{"group": dimension.group_by, "panel": dimension.panel, "key": dimension.key,
                        "items": answer(dimension.group_by)} for dimension in shown],
        "csv_url": url_for("web.events_csv", **csv_args),
    }


def _gap(series: list[dict]) -> float:
    first, second = (datetime.fromisoformat(point["start"]) for point in series[:2])
    return (second - first).total_seconds()


@bp.get("/analytics")
def dashboard():
    return render_template("analytics.html", analytics=panel(top=True))


@bp.get("/analytics/events.csv")
def events_csv():
    """The events a panel counts, as the API's CSV."""
    try:
        query = EventsQuery.model_validate(request.args.to_dict())
    except ValidationError:
        abort(400, "the link to this file is not valid")
    lines = events.csv_stream(query, the_app().config["CODEQR_ANALYTICS_TIMEOUT_SECONDS"], app_state().agents)
    return streamed_attachment(lines, "scans.csv")
