"""Link options (issue 23): a QR Code's ``link`` column (expiry, password, targets, rules,
UTM), old short links kept as ``aliases``, and what decided each scan (its step, rule
and variant) with the scanned link's UTM parameters on the inbox and the events; the
events' continent (of their country).

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

_SCAN_COLUMNS = (
    ("step", sa.String(8)), ("rule", sa.SmallInteger()), ("variant", sa.SmallInteger()),
    ("utm_source", sa.String(190)), ("utm_medium", sa.String(190)), ("utm_campaign", sa.String(190)),
    ("utm_term", sa.String(190)), ("utm_content", sa.String(190)),
)


def upgrade():
    # Plain ALTER TABLE on SQLite too (3.35+ drops columns): a batch copy of the inbox
    # would lose its count trigger (migration 0003).
    op.add_column("qrcodes", sa.Column("link", sa.JSON()))
    for table in ("scan_inbox", "scan_events"):
        for name, kind in _SCAN_COLUMNS:
            op.add_column(table, sa.Column(name, kind))
    op.add_column("scan_events", sa.Column("continent", sa.String(2)))  # of the country, by the enrichment
    op.create_table(
        "aliases",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("qrcode_id", sa.String(25), sa.ForeignKey("qrcodes.id", ondelete="CASCADE"), nullable=False),
        sa.Column("domain", sa.String(253), nullable=False),
        sa.Column("key", sa.String(190), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("domain", "key", name="uq_aliases_domain_key"),
    )
    op.create_index("ix_aliases_qrcode_id", "aliases", ["qrcode_id"])


def downgrade():
    op.drop_index("ix_aliases_qrcode_id", table_name="aliases")
    op.drop_table("aliases")
    op.drop_column("scan_events", "continent")
    for table in ("scan_events", "scan_inbox"):
        for name, _ in reversed(_SCAN_COLUMNS):
            op.drop_column(table, name)
    op.drop_column("qrcodes", "link")
