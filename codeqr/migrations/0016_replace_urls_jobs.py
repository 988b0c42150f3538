"""Find and replace of destinations (issue 24): each request applied is a job of
``replace_urls_jobs``, rewriting the matching QR Codes in chunks, its progress and the
codes refused kept with it.

Revision ID: 0016
Revises: 0015
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "replace_urls_jobs",
        sa.Column("id", sa.String(25), primary_key=True),
        sa.Column("user_id", sa.Integer()),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("find", sa.Text(), nullable=False),
        sa.Column("replace", sa.Text(), nullable=False),
        sa.Column("filters", sa.Text(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("changed", sa.Integer(), nullable=False),
        sa.Column("refused", sa.Text(), nullable=False),
        sa.Column("last_id", sa.String(25)),
        sa.Column("message", sa.Text()),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime()),
        sa.Column("lease_owner", sa.String(100)),
        sa.Column("lease_until", sa.DateTime()),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default=sa.text("0")),
    )
    op.create_index("ix_replace_urls_jobs_status", "replace_urls_jobs", ["status", "created_at"])


def downgrade():
    op.drop_index("ix_replace_urls_jobs_status", table_name="replace_urls_jobs")
    op.drop_table("replace_urls_jobs")
