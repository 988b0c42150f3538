"""Analytics pages: the dashboard over every QR Code, and the panel of one QR Code's
detail page. Both show what the analytics API answers, as charts and as tables.

The page's state lives in its address, so a view can be shared: a time frame (a preset
``interval``, or the dates ``from`` and ``to``, both days included), ``unique``,
``compare`` (with the period before), and filters, which are the API's own parameters
(``country``, ``device``, …, ``qrcodeId``), checked by the API's own model."""

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import abort, render_template, request, url_for
from pydantic import ValidationError
from pydantic_core import ErrorDetails

from ..analytics import comparison, events, queries
from ..analytics.dimensions import DIMENSIONS, FILTERED, Dimension
from ..analytics.limits import ReadLimits
from ..analytics.schemas import INTERVALS, AnalyticsQuery, EventsQuery
from ..context import the_app
from ..errors import InvalidInput, NotFound, as_sentence, plain
from ..jobs.downloads import streamed_attachment
from ..state import app_state
from . import bp, countries, current_actor
from .test_scan import PREFIX as TEST_SCAN_PREFIX
from .timezone import known_zone, reader_zone

INTERVAL_LABELS = {"1h": "Last hour", "24h": "Last 24 hours", "7d": "Last 7 days", "30d": "Last 30 days",
                   "90d": "Last 90 days", "ytd": "Year to date", "1y": "Last 12 months", "all": "All time"}
assert set(INTERVAL_LABELS) == set(INTERVALS)
#: The page's own parameters; every other one is the API's, checked by its model.
PAGE_PARAMETERS = ("interval", "from", "to", "timezone", "unique", "compare")
#: The API's parameter that narrows answers to one QR Code (the top QR Codes' filter).
QRCODE_PARAMETER = "qrcodeId"
SHOWN_ITEMS = 10


class PageProblem(Exception):
    """A parameter of the page's address that cannot be answered, in the reader's words."""


def panel(qrcode_id: str | None = None, top: bool = False) -> dict:
    """Everything an analytics panel shows, for the state in the page's query string;
    ``problem`` says, in a sentence, why nothing is shown when the address asks for
    what cannot be answered."""
    zone = known_zone(request.args.get("timezone")) if request.args.get("timezone") else reader_zone()
    choice = {"interval": request.args.get("interval", ""), "from": request.args.get("from", ""),
              "to": request.args.get("to", ""), "timezone": zone, "unique": request.args.get("unique") == "1",
              "compare": request.args.get("compare") == "1"}
    if not (choice["interval"] or choice["from"] or choice["to"]):
        choice["interval"] = "30d"
    shown = [dimension for dimension in DIMENSIONS
             if dimension.panel is not None and (top or not dimension.panel.dashboard_only)]
    found: dict[str, Any] = {"choice": choice, "intervals": INTERVAL_LABELS, "kept": _kept(qrcode_id),
                             "measure": "visitors" if choice["unique"] else "scans", "problem": None}
    try:
        found.update(_answers(_query(choice, qrcode_id), shown, qrcode_id))
    except PageProblem as problem:
        found["problem"], found["status"] = str(problem), 400
    except (InvalidInput, NotFound) as problem:  # a question past the limits (422), a QR Code gone (404)
        found["problem"], found["status"] = as_sentence(problem.message), problem.status
    return found


def _query(choice: dict, qrcode_id: str | None) -> AnalyticsQuery:
    """The API's query for the page's address (its filters as they are, checked by the API)."""
    params: dict[str, Any] = {key: value for key, value in request.args.items()
                              if key not in PAGE_PARAMETERS and value != "" and not key.startswith(TEST_SCAN_PREFIX)}
    params.update(timezone=choice["timezone"], unique=choice["unique"])
    if qrcode_id:
        params[QRCODE_PARAMETER] = qrcode_id
    if choice["from"] or choice["to"]:
        if choice["from"]:
            params["start"] = _day(choice["from"], "From").isoformat()
        if choice["to"]:
            to = _day(choice["to"], "To")
            if to == date.max:
                raise PageProblem("The “To” date is too far off: choose one before the year 9000.")
            params["end"] = (to + timedelta(days=1)).isoformat()  # the whole last day
    else:
        params["interval"] = choice["interval"]
    try:
        return AnalyticsQuery.model_validate(params)
    except ValidationError as error:
        raise PageProblem(" ".join(_said(problem) for problem in error.errors())) from None


def _day(text: str, name: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise PageProblem(f"The “{name}” date must be a day written as year-month-day, such as 2026-12-01.") from None


def _said(problem: ErrorDetails) -> str:
    """One problem of the address as a sentence."""
    field = str(problem["loc"][0]) if problem["loc"] else ""
    if problem["type"] == "extra_forbidden":
        names = ", ".join(dimension.name for dimension in FILTERED)
        return (f"This page cannot filter by “{field}”: it filters by {names} "
                f"(and {QRCODE_PARAMETER} on the dashboard).")
    message = plain(problem["msg"])
    if message == "start must be before end":
        return "The “To” date is before the “From” date: choose a “To” date on or after it."
    if problem["type"] == "literal_error":
        named = {"interval": "time frame"}.get(field, field)
        expected = problem.get("ctx", {}).get("expected", "")
        return f"There is no {named} “{problem['input']}”: choose one of {expected}."
    words = {"start": "The “From” date", "end": "The “To” date", "interval": "The time frame"}
    return as_sentence(f"{words.get(field, field or 'The address')}: {message}")


def _answers(query: AnalyticsQuery, shown: list[Dimension], qrcode_id: str | None) -> dict:
    limits = ReadLimits.from_config(the_app().config)
    agents = app_state().agents
    pair = comparison.periods(query) if request.args.get("compare") == "1" else None
    current = pair.current if pair else query
    measure = "visitors" if query.unique else "scans"

    def answer(group_by: str, asked: AnalyticsQuery = current):
        return queries.analytics(asked.model_copy(update={"group_by": group_by}), limits, agents, current_actor())

    total = answer("count")[measure]
    series = answer("timeseries")
    _label(series, ZoneInfo(query.timezone))
    compared = None
    if pair:
        before = answer("count", pair.previous)[measure]
        earlier = answer("timeseries", pair.previous)
        for point, old in zip(series, earlier):
            point["previous"] = old[measure]
        assert pair.previous.start is not None and pair.previous.end is not None
        shown_as = "%d %b %Y, %H:%M"
        compared = {"total": before, "change": comparison.change(total, before),
                    "from": pair.previous.start.astimezone(ZoneInfo(query.timezone)).strftime(shown_as),
                    "to": pair.previous.end.astimezone(ZoneInfo(query.timezone)).strftime(shown_as)}
    breakdowns: list[dict[str, Any]] = [{"group": dimension.group_by, "panel": dimension.panel,
                   "items": [_item(dimension, item, measure) for item in answer(dimension.group_by)[:SHOWN_ITEMS]]}
                  for dimension in shown]
    return {
        "total": total,
        "series": series,
        "compared": compared,
        "breakdowns": breakdowns,
        "chips": _chips(query, qrcode_id, breakdowns),
        "countries": {item["code"]: {"name": item["label"], "count": item["count"], "url": item["url"]}
                      for breakdown in breakdowns if breakdown["group"] == "countries"
                      for item in breakdown["items"] if item["code"]},
        "csv_url": _csv_url(query),
    }


def _label(series: list[dict], zone: ZoneInfo) -> None:
    """Give each point its label (the table's) and tick (the chart's, shorter)."""
    gap = _gap(series) if len(series) > 1 else 86400
    label, tick = (("%d %b %H:%M", "%H:%M") if gap < 86400 else ("%b %Y", "%b %Y") if gap > 27 * 86400
                   else ("%d %b %Y", "%d %b"))
    for point in series:
        moment = datetime.fromisoformat(point["start"]).astimezone(zone)
        point["label"], point["tick"] = moment.strftime(label), moment.strftime(tick)


def _gap(series: list[dict]) -> float:
    first, second = (datetime.fromisoformat(point["start"]) for point in series[:2])
    return (second - first).total_seconds()


def _filter_parameter(dimension: Dimension) -> str | None:
    """The API's parameter that filters by a dimension's value, if there is one."""
    if dimension.filter is not None:
        return dimension.name
    return QRCODE_PARAMETER if dimension.name == "qrcode" else None


def _item(dimension: Dimension, item: dict, measure: str) -> dict:
    """A breakdown row as shown: its words, flag, count, and the address that filters by it."""
    assert dimension.panel is not None
    value = item["id"] if dimension.name == "qrcode" else item[dimension.key]
    if dimension.name == "qrcode":
        label = item.get("title") or item.get("key") or value
    elif value is None:
        label = dimension.panel.unknown
    elif dimension.name == "country":
        label = countries.name(value)
    else:
        label = value.capitalize() if dimension.panel.capitalized else value
    parameter = _filter_parameter(dimension)
    return {"label": label, "code": value if dimension.name == "country" else None,
            "flag": countries.flag(value) if dimension.name == "country" and value else "",
            "count": item[measure],
            "url": _address(**{parameter: value}) if parameter and value is not None else None,
            "page": url_for("web.qrcode_detail", qr_id=value) if dimension.name == "qrcode" else None}


def _chips(query: AnalyticsQuery, qrcode_id: str | None, breakdowns: list[dict]) -> list[dict]:
    """The filters in force, each with the address without it."""
    chips = []
    for dimension in DIMENSIONS:
        parameter = _filter_parameter(dimension)
        if parameter is None or (parameter == QRCODE_PARAMETER and qrcode_id):
            continue
        value = request.args.get(parameter)
        if not value:
            continue
        if dimension.name == "qrcode":
            known = [item["label"] for breakdown in breakdowns if breakdown["group"] == dimension.group_by
                     for item in breakdown["items"] if item["url"] and item["url"].endswith(value)]
            words = known[0] if known else value
        elif dimension.name == "country":
            words = f"{countries.flag(value)} {countries.name(value)}".strip()
        else:
            words = value.capitalize() if dimension.panel and dimension.panel.capitalized else value
        heading = dimension.panel.column if dimension.panel else dimension.name
        chips.append({"heading": heading, "words": words, "remove": _address(**{parameter: None})})
    return chips


def _address(**changes: str | None) -> str:
    """This page's address with parameters changed (None: removed)."""
    args: dict[str, Any] = request.args.to_dict()
    for name, value in changes.items():
        if value is None:
            args.pop(name, None)
        else:
            args[name] = value
    return url_for(request.endpoint or "web.dashboard", **(request.view_args or {}), **args)


def _kept(qrcode_id: str | None) -> dict[str, str]:
    """The filters the time frame form carries along (hidden), so a new time frame keeps them."""
    return {key: value for key, value in request.args.items()
            if key not in PAGE_PARAMETERS and value != "" and not (qrcode_id and key == QRCODE_PARAMETER)
            and not key.startswith(TEST_SCAN_PREFIX)}


def _csv_url(query: AnalyticsQuery) -> str:
    """The events behind the panel, filters and time frame included, as the API's CSV."""
    asked = query.model_dump(mode="json", by_alias=True, exclude_none=True, exclude_defaults=True,
                             exclude={"group_by", "unique", "timezone"})
    return url_for("web.events_csv", **asked, timezone=query.timezone, format="csv")


@bp.get("/analytics")
def dashboard():
    analytics = panel(top=True)
    return render_template("analytics.html", analytics=analytics), analytics.get("status", 200)


@bp.get("/analytics/events.csv")
def events_csv():
    """The events a panel counts, as the API's CSV."""
    try:
        query = EventsQuery.model_validate(request.args.to_dict())
    except ValidationError:
        abort(400, "the link to this file is not valid")
    lines = events.csv_stream(query, the_app().config["CODEQR_ANALYTICS_TIMEOUT_SECONDS"], app_state().agents,
                              current_actor())
    return streamed_attachment(lines, "scans.csv")
