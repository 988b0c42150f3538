"""Destinations that break (issue 24): the health of each destination URL, which QR Codes
send scans to it, and the requests made to each host in the current minute.

A URL is one row of ``destination_checks`` (keyed by its SHA-256, as ``qrcodes.url_hash``:
URLs may exceed index limits), however many QR Codes use it: it is fetched once a period,
not once per code, and its state is one fact. ``destination_links`` says which codes use
it (what the list filter ``destinationStatus`` joins, and whom the hook tells).

Revision ID: 0015
Revises: 0014
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "destination_checks",
        sa.Column("url_hash", sa.String(64), primary_key=True),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("host", sa.String(253), nullable=False),
        sa.Column("status", sa.Integer()),
        sa.Column("error", sa.String(20)),
        sa.Column("final_url", sa.Text()),
        sa.Column("failures", sa.Integer(), nullable=False, server_default=sa.text("0")),
        sa.Column("checked_at", sa.DateTime()),
        sa.Column("last_ok_at", sa.DateTime()),
        sa.Column("failing_since", sa.DateTime()),
        sa.Column("broken_since", sa.DateTime()),
        sa.Column("due_at", sa.DateTime(), nullable=False),
        sa.Column("lease_owner", sa.String(100)),
        sa.Column("lease_until", sa.DateTime()),
    )
    op.create_index("ix_destination_checks_due_at", "destination_checks", ["due_at"])
    op.create_index("ix_destination_checks_broken_since", "destination_checks", ["broken_since"])
    op.create_index("ix_destination_checks_checked_at", "destination_checks", ["checked_at"])
    op.create_table(
        "destination_links",
        sa.Column("qrcode_id", sa.String(25), sa.ForeignKey("qrcodes.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("url_hash", sa.String(64), primary_key=True),
        sa.Column("told_broken_at", sa.DateTime()),
    )
    op.create_index("ix_destination_links_url_hash", "destination_links", ["url_hash", "qrcode_id"])
    op.create_table(
        "destination_hosts",
        sa.Column("host", sa.String(253), primary_key=True),
        sa.Column("window_start", sa.DateTime(), nullable=False),
        sa.Column("requests", sa.Integer(), nullable=False),
    )


def downgrade():
    op.drop_table("destination_hosts")
    op.drop_index("ix_destination_links_url_hash", table_name="destination_links")
    op.drop_table("destination_links")
    op.drop_index("ix_destination_checks_checked_at", table_name="destination_checks")
    op.drop_index("ix_destination_checks_broken_since", table_name="destination_checks")
    op.drop_index("ix_destination_checks_due_at", table_name="destination_checks")
    op.drop_table("destination_checks")
