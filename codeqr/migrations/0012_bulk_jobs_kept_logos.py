"""The bulk API's jobs (``bulk_jobs``: items checked in a job, not in the request), and the
logos kept in the image storage (``kept_logos``: those no QR Code names are removed).

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "bulk_jobs",
        sa.Column("id", sa.String(25), primary_key=True),
        sa.Column("user_id", sa.Integer()),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("items", sa.Text()),
        sa.Column("results", sa.Text()),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("checked", sa.Integer(), nullable=False),
        sa.Column("message", sa.Text()),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime()),
        sa.Column("lease_owner", sa.String(100)),
        sa.Column("lease_until", sa.DateTime()),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default=sa.text("0")),
    )
    op.create_index("ix_bulk_jobs_status", "bulk_jobs", ["status", "created_at"])
    op.create_table(
        "kept_logos",
        sa.Column("name", sa.String(100), primary_key=True),
        sa.Column("kept_at", sa.DateTime(), nullable=False),
    )


def downgrade():
    op.drop_table("kept_logos")
    op.drop_index("ix_bulk_jobs_status", table_name="bulk_jobs")
    op.drop_table("bulk_jobs")
