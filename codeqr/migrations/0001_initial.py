"""QR Codes and API keys.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = ("default",)
depends_on = None


def upgrade():
    op.create_table(
        "qrcodes",
        sa.Column("id", sa.String(25), primary_key=True),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("url_hash", sa.String(64), nullable=False),
        sa.Column("upsert_slot", sa.String(64), nullable=True),
        sa.Column("domain", sa.String(253), nullable=False),
        sa.Column("key", sa.String(190), nullable=False),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("external_id", sa.String(255), nullable=True),
        sa.Column("bg_color", sa.String(7), nullable=False),
        sa.Column("fg_color", sa.String(7), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("level", sa.String(1), nullable=False),
        sa.Column("margin", sa.Integer(), nullable=False),
        sa.Column("show_logo", sa.Boolean(), nullable=False),
        sa.Column("scans", sa.Integer(), nullable=False, server_default=sa.text("0")),
        sa.Column("last_scanned_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("domain", "key", name="uq_qrcodes_domain_key"),
        sa.UniqueConstraint("upsert_slot", name="uq_qrcodes_upsert_slot"),
        sa.UniqueConstraint("external_id", name="uq_qrcodes_external_id"),
    )
    op.create_index("ix_qrcodes_url_hash", "qrcodes", ["url_hash"])
    op.create_index("ix_qrcodes_created_at", "qrcodes", ["created_at"])
    op.create_table(
        "api_keys",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("prefix", sa.String(12), nullable=False),
        sa.Column("secret_hash", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_used_at", sa.DateTime(), nullable=True),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.UniqueConstraint("secret_hash", name="uq_api_keys_secret_hash"),
    )


def downgrade():
    op.drop_table("api_keys")
    op.drop_index("ix_qrcodes_created_at", "qrcodes")
    op.drop_index("ix_qrcodes_url_hash", "qrcodes")
    op.drop_table("qrcodes")
