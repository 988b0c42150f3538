"""The quarter hour, hour, day and week (from Monday) a stored UTC time falls in, in
SQL, as the rollup tables store them: so the database sums a batch of events itself.

SQLite keeps times as text (``2026-11-29 17:42:05.123000``, what SQLAlchemy writes)
and dates as ``2026-11-29``: the buckets are cut from that text (and must not be
``CAST``, which SQLite would turn into a number).
"""

from sqlalchemy import ColumnClause, Date, Integer, String, case, cast, func, literal_column, type_coerce

from ..domain.timeutil import UTCDateTime

_ZERO_SECONDS: ColumnClause = literal_column("':00.000000'")


def quarter(moment, dialect):
    if dialect.name == "postgresql":
        return func.date_bin(literal_column("interval '15 minutes'"), moment,
                             literal_column("timestamp '2000-01-01'"), type_=UTCDateTime)
    minute = func.substr(moment, 15, 2)
    start = case((minute < "15", "00"), (minute < "30", "15"), (minute < "45", "30"), else_="45")
    return type_coerce(func.substr(moment, 1, 14, type_=String) + start + _ZERO_SECONDS, UTCDateTime)


def hour(moment, dialect):
    if dialect.name == "postgresql":
        return func.date_trunc(literal_column("'hour'"), moment, type_=UTCDateTime)
    return type_coerce(func.substr(moment, 1, 13, type_=String) + literal_column("':00'") + _ZERO_SECONDS, UTCDateTime)


def day(moment, dialect):
    if dialect.name == "postgresql":
        return cast(moment, Date)
    return func.substr(moment, 1, 10, type_=Date)


def week(moment, dialect):
    """The Monday (UTC) of the week a time falls in."""
    if dialect.name == "postgresql":
        return cast(func.date_trunc(literal_column("'week'"), moment), Date)
    date = func.substr(moment, 1, 10)
    back = (cast(func.strftime(literal_column("'%w'"), date), Integer) + 6) % 7  # days since Monday
    return func.date(date, literal_column("'-'") + cast(back, String) + literal_column("' days'"), type_=Date)
