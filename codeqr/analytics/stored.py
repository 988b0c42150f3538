"""Every scan stored, for reads: the events, and the scans still waiting in the inbox
classified as the enrichment will classify them, without moving them.

Why: an answer must count every scan stored, and a read must never write (moving
scans would make a GET wait for SQLite's one writer, and grow with the backlog). So
the queries read the inbox beside the events: a scan is in exactly one of the two
(the enrichment moves it in one transaction), and the inbox holds only the last
moments' scans, so reading it whole costs little. A waiting scan's device, browser,
OS and bot flag come from its user agent: joined to ``user_agents`` in SQL, like the
enrichment does; the agents not parsed yet (new ones) are parsed here, in Python,
and given to the statement as literal rows.
"""

from dataclasses import asdict, dataclass

from sqlalchemy import Boolean, ColumnElement, String, false, func, literal, null, select, union_all
from sqlalchemy.sql import FromClause, Subquery

from ..database import index_key, index_key_of
from ..extensions import db, table_of
from ..scans.agents import Agent, AgentParser
from ..scans.models import ParsedAgent, PendingScan, ScanEvent

_inbox, _events, _agents = table_of(PendingScan), table_of(ScanEvent), table_of(ParsedAgent)
#: What a read may ask of a scan, enriched or waiting.
COLUMNS = ("id", "timestamp", "qrcode_id", "domain", "key", "url", "device", "browser", "browser_version", "os",
           "os_version", "bot", "country", "region", "city", "referer", "referer_host", "language", "visitor")
_AGENT_FIELDS = ("device", "browser", "browser_version", "os", "os_version", "bot")
#: SQLite's limit on the selects of one UNION.
_UNION_MOST = 400


@dataclass(frozen=True)
class Scans:
    """Where a read finds scans: ``every`` (the events, then the waiting scans, each
    with ``waiting`` 0 or 1), or the ``waiting`` ones alone (beside the rollups, which
    count only events)."""

    every: Subquery
    waiting: Subquery


def stored_scans(agents: AgentParser) -> Scans:
    """The events and waiting scans as two subqueries with ``COLUMNS`` (plus ``waiting``)."""
    waiting = _waiting(agents)
    enriched = select(*(_events.c[name] for name in COLUMNS), literal(0).label("waiting"))
    return Scans(every=union_all(enriched, waiting).subquery("scans"), waiting=waiting.subquery("waiting"))


def _waiting(agents: AgentParser):
    """The inbox's scans with the columns of events, their user agents classified."""
    dialect = db.engine.dialect
    parsed = _parsed_agents(agents)
    key = index_key(_inbox.c.user_agent, dialect)
    columns: dict[str, ColumnElement] = {name: _inbox.c[name] for name in COLUMNS if name in _inbox.c}
    columns.update({name: parsed.c[name] for name in _AGENT_FIELDS})
    # A scan without a user agent: what AgentParser says of none (as the enrichment stores it).
    columns.update(device=func.coalesce(parsed.c.device, "other"), bot=func.coalesce(parsed.c.bot, false()))
    return (select(*(columns[name].label(name) for name in COLUMNS), literal(1).label("waiting"))
            .select_from(_inbox.outerjoin(parsed, parsed.c.key == key)))


def _parsed_agents(agents: AgentParser) -> FromClause:
    """Every user agent parsed: those in ``user_agents``, and the inbox's others parsed now."""
    dialect = db.engine.dialect
    known = select(_agents.c.key, *(_agents.c[name] for name in _AGENT_FIELDS))
    agent = _inbox.c.user_agent
    unknown = db.session.scalars(select(agent).distinct().where(
        agent.is_not(None), ~select(_agents.c.key).where(_agents.c.key == index_key(agent, dialect)).exists()))
    rows = [_literal_row(index_key_of(text, dialect), agents.describe(text)) for text in unknown]
    while len(rows) > _UNION_MOST:  # in groups, each a subquery, for SQLite's limit
        rows = [select(union_all(*rows[at:at + _UNION_MOST]).subquery()) for at in range(0, len(rows), _UNION_MOST)]
    return union_all(known, *rows).subquery("parsed_agents")


def _literal_row(key: str, agent: Agent):
    values = asdict(agent)
    return select(literal(key, String).label("key"),
                  *(literal(values[name], Boolean if name == "bot" else String).label(name)
                    if values[name] is not None else null().label(name) for name in _AGENT_FIELDS))
