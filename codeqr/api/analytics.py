"""Analytics API: counts, time series and breakdowns of scans, and the scan events."""

from apiflask import APIBlueprint
from flask import request

from ..analytics import events, queries
from ..analytics.limits import ReadLimits
from ..analytics.schemas import AnalyticsQuery, AnalyticsResult, EventList, EventsQuery
from ..context import the_app
from ..jobs.downloads import streamed_attachment
from ..state import app_state
from .views import _ctx, auth, errors


def add_analytics_routes(bp: APIBlueprint) -> None:
    """Add the analytics operations to ``bp``."""

    @bp.get("/analytics")
    @bp.auth_required(auth)
    @bp.input(AnalyticsQuery, location="query", arg_name="query")
    @bp.output(AnalyticsResult, description="`count`: {scans} or {visitors}; `timeseries`: a bucket for every "
               "hour (up to 48 h), day (up to a year) or month; a breakdown: items sorted by scans, most first")
    @bp.doc(summary="Scan analytics", tags=["Analytics"], responses=errors(404))
    def analytics(query: AnalyticsQuery):
        return AnalyticsResult(queries.analytics(query, ReadLimits.from_config(the_app().config), app_state().agents,
                                                 _ctx().actor))


    @bp.get("/events")
    @bp.auth_required(auth)
    @bp.input(EventsQuery, location="query", arg_name="query")
    @bp.output(EventList, description="One page of scan events, newest first (or, as CSV, every matching event)",
               content_type="application/json")
    @bp.doc(summary="Scan events", tags=["Analytics"], responses={
        **errors(404), 200: {"description": "One page of scan events, newest first; as CSV: every matching event",
                             "content": {"application/json": {"schema": {"$ref": "#/components/schemas/EventList"}},
                                         "text/csv": {"schema": {"type": "string"}}}}})
    def scan_events(query: EventsQuery):
        wants_csv = query.format == "csv" or (query.format is None and request.accept_mimetypes.best == "text/csv")
        seconds = the_app().config["CODEQR_ANALYTICS_TIMEOUT_SECONDS"]
        if wants_csv:
            return streamed_attachment(events.csv_stream(query, seconds, app_state().agents, _ctx().actor), "scans.csv")
        return EventList(events.page(query, seconds, app_state().agents, _ctx().actor))
