"""Scans: the inbox the redirect writes, enriched events and their rollups; scans become 64-bit.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

SCAN_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
SQLITE_COUNT_TRIGGER = """
CREATE TRIGGER scan_inbox_count AFTER INSERT ON scan_inbox
BEGIN
    UPDATE qrcodes SET scans = scans + 1, last_scanned_at = NEW.timestamp WHERE id = NEW.qrcode_id;
END
"""


def _scan_columns() -> list:
    """What a scan request tells: the columns of the inbox and of the events."""
    return [
        sa.Column("timestamp", sa.DateTime(), nullable=False),
        sa.Column("qrcode_id", sa.String(25), nullable=False),
        sa.Column("domain", sa.String(253), nullable=False),
        sa.Column("key", sa.String(190), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("user_agent", sa.Text(), nullable=True),
        sa.Column("referer", sa.Text(), nullable=True),
        sa.Column("referer_host", sa.String(253), nullable=True),
        sa.Column("language", sa.String(8), nullable=True),
        sa.Column("country", sa.String(2), nullable=True),
        sa.Column("region", sa.String(100), nullable=True),
        sa.Column("city", sa.String(100), nullable=True),
        sa.Column("visitor", sa.String(32), nullable=True),
    ]


def upgrade():
    with op.batch_alter_table("qrcodes") as table:
        table.alter_column("scans", type_=sa.BigInteger(), existing_type=sa.Integer(), existing_nullable=False,
                           existing_server_default=sa.text("0"))
    # AUTOINCREMENT: SQLite would reuse the ids of an emptied inbox; events keep them.
    op.create_table("scan_inbox", sa.Column("id", SCAN_ID, primary_key=True, autoincrement=True),
                    *_scan_columns(), sqlite_autoincrement=True)
    if op.get_bind().dialect.name == "sqlite":
        # SQLite counts a scan by storing it: the count rides along in the same
        # statement, one short write (PostgreSQL uses a CTE instead).
        op.execute(SQLITE_COUNT_TRIGGER)
    op.create_table(
        "scan_events",
        sa.Column("id", SCAN_ID, primary_key=True, autoincrement=False),
        *_scan_columns(),
        sa.Column("device", sa.String(10), nullable=True),
        sa.Column("browser", sa.String(50), nullable=True),
        sa.Column("browser_version", sa.String(20), nullable=True),
        sa.Column("os", sa.String(50), nullable=True),
        sa.Column("os_version", sa.String(20), nullable=True),
        sa.Column("bot", sa.Boolean(), nullable=False),
    )
    op.create_index("ix_scan_events_qrcode_timestamp", "scan_events", ["qrcode_id", "timestamp"])
    op.create_index("ix_scan_events_timestamp", "scan_events", ["timestamp"])
    op.create_table(
        "scan_counts",
        sa.Column("bucket", sa.DateTime(), primary_key=True),
        sa.Column("bot", sa.Boolean(), primary_key=True),
        sa.Column("scans", sa.BigInteger(), nullable=False),
    )
    op.create_table(
        "scan_breakdowns",
        sa.Column("dimension", sa.String(16), primary_key=True),
        sa.Column("hour", sa.DateTime(), primary_key=True),
        sa.Column("bot", sa.Boolean(), primary_key=True),
        sa.Column("value_key", sa.String(64), primary_key=True),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("scans", sa.BigInteger(), nullable=False),
    )
    for table, period in (("qrcode_daily_scans", "day"), ("qrcode_weekly_scans", "week")):
        op.create_table(
            table,
            sa.Column("qrcode_id", sa.String(25), primary_key=True),
            sa.Column(period, sa.Date(), primary_key=True),
            sa.Column("bot", sa.Boolean(), primary_key=True),
            sa.Column("url_key", sa.String(64), primary_key=True),
            sa.Column("url", sa.Text(), nullable=False),
            sa.Column("scans", sa.BigInteger(), nullable=False),
        )
        op.create_index(f"ix_{table}_{period}", table, [period])


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER scan_inbox_count")
    for table, period in (("qrcode_daily_scans", "day"), ("qrcode_weekly_scans", "week")):
        op.drop_index(f"ix_{table}_{period}", table)
        op.drop_table(table)
    op.drop_table("scan_breakdowns")
    op.drop_table("scan_counts")
    op.drop_index("ix_scan_events_timestamp", "scan_events")
    op.drop_index("ix_scan_events_qrcode_timestamp", "scan_events")
    op.drop_table("scan_events")
    op.drop_table("scan_inbox")
    with op.batch_alter_table("qrcodes") as table:
        table.alter_column("scans", type_=sa.Integer(), existing_type=sa.BigInteger(), existing_nullable=False)
