"""Every scan stored, for reads: the events, and the scans still waiting in the inbox
classified as the enrichment will classify them, without moving them.

Why: an answer must count every scan stored, and a read must never write (moving
scans would make a GET wait for SQLite's one writer, and grow with the backlog). So
the queries read the inbox beside the events: a scan is in exactly one of the two
(the enrichment moves it in one transaction), and the inbox holds only the last
moments' scans, so reading it whole costs little. A waiting scan's device, browser,
OS and bot flag come from its user agent: joined to ``user_agents`` in SQL, like the
enrichment does; the agents not parsed yet (new ones) are parsed here, in Python,
and given to the statement as one JSON parameter. Its continent comes from its
country, as the enrichment's does (``continents``).
"""

import json
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass

from sqlalchemy import JSON, Boolean, ColumnElement, String, bindparam, cast, false, func, literal, select, type_coerce, union_all
from sqlalchemy.sql import CompoundSelect, FromClause, Select, Subquery

from ..persistence.database import index_key, index_key_of
from ..persistence.extensions import db, table_of
from ..scans.agents import AgentParser
from ..scans.models import ParsedAgent, PendingScan, ScanEvent
from .continents import continent

_inbox, _events, _agents = table_of(PendingScan), table_of(ScanEvent), table_of(ParsedAgent)
#: What a read may ask of a scan, enriched or waiting: every column of the events but
#: the user agent (which reads know by its parts).
COLUMNS = tuple(column.name for column in _events.columns if column.name != "user_agent")
_AGENT_FIELDS = ("device", "browser", "browser_version", "os", "os_version", "bot")


#: A read's conditions, asked of one half (events or waiting scans; each has ``COLUMNS``
#: and ``waiting``). Each half is filtered on its own: a condition on the union of the
#: two would read every event, as neither database moves it inside the union.
Where = Callable[[FromClause], Iterable[ColumnElement[bool]]]


@dataclass(frozen=True)
class Scans:
    """Where a read finds scans: ``every`` stored one (the events, then the waiting
    scans, each with ``waiting`` 0 or 1), or the ``waiting`` ones alone (beside the
    rollups, which count only events)."""

    enriched: Subquery
    waiting_scans: Subquery

    def every(self, where: Where) -> CompoundSelect:
        """The events and the waiting scans matching ``where``."""
        return union_all(*(select(half).where(*where(half)) for half in (self.enriched, self.waiting_scans)))

    def waiting(self, where: Where) -> Select:
        """The waiting scans matching ``where``."""
        return select(self.waiting_scans).where(*where(self.waiting_scans))


def stored_scans(agents: AgentParser) -> Scans:
    """The events and the waiting scans, each a subquery with ``COLUMNS`` and ``waiting``."""
    enriched = select(*(_events.c[name] for name in COLUMNS), literal(0).label("waiting"))
    return Scans(enriched=enriched.subquery("events"), waiting_scans=_waiting(agents).subquery("waiting"))


def _waiting(agents: AgentParser):
    """The inbox's scans with the columns of events, their user agents classified."""
    dialect = db.engine.dialect
    parsed = _parsed_agents(agents)
    key = index_key(_inbox.c.user_agent, dialect)
    columns: dict[str, ColumnElement] = {name: _inbox.c[name] for name in COLUMNS if name in _inbox.c}
    columns.update({name: parsed.c[name] for name in _AGENT_FIELDS})
    # A scan without a user agent: what AgentParser says of none (as the enrichment stores it).
    columns.update(device=func.coalesce(parsed.c.device, "other"), bot=func.coalesce(parsed.c.bot, false()),
                   continent=continent(_inbox.c.country))
    return (select(*(columns[name].label(name) for name in COLUMNS), literal(1).label("waiting"))
            .select_from(_inbox.outerjoin(parsed, parsed.c.key == key)))


def _parsed_agents(agents: AgentParser) -> FromClause:
    """Every user agent parsed: those in ``user_agents``, and the inbox's others parsed now."""
    dialect = db.engine.dialect
    known = select(_agents.c.key, *(_agents.c[name] for name in _AGENT_FIELDS))
    agent = _inbox.c.user_agent
    unknown = db.session.scalars(select(agent).distinct().where(
        agent.is_not(None), ~select(_agents.c.key).where(_agents.c.key == index_key(agent, dialect)).exists())).all()
    # Parsed once the statement is done: parsing while its rows are fetched would count
    # against the statement's time limit (a few milliseconds an agent).
    rows = [[index_key_of(text, dialect), *(asdict(agents.describe(text))[name] for name in _AGENT_FIELDS)]
            for text in unknown]
    return union_all(known, _json_rows(rows)).subquery("parsed_agents")


def _json_rows(rows: list[list]) -> Select:
    """``rows`` (key and ``_AGENT_FIELDS``) as a select, given as one JSON parameter: a
    statement of the same shape whatever their number (cached, and within SQLite's
    limits on terms and unions), cheap to build."""
    data = bindparam("new_agents", json.dumps(rows), type_=String)
    if db.engine.dialect.name == "postgresql":
        row = func.json_array_elements(cast(data, JSON)).table_valued("value").c.value

        def field(at: int) -> ColumnElement:
            return row.op("->>")(at)

        bot: ColumnElement = cast(field(len(_AGENT_FIELDS)), Boolean)
    else:
        row = func.json_each(data).table_valued("value").c.value

        def field(at: int) -> ColumnElement:
            return func.json_extract(row, f"$[{at}]")

        bot = type_coerce(field(len(_AGENT_FIELDS)), Boolean)  # JSON true/false read as 1/0
    columns = [field(at).label(name) for at, name in enumerate(("key", *_AGENT_FIELDS[:-1]))]
    return select(*columns, bot.label("bot"))
