"""Jobs that survive their process: an import keeps its rows and is leased to the
process running it, so another can take it up where it stopped; exports become jobs too.

Imports left queued or running by an older version (their rows were only in memory)
are marked failed.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("import_jobs") as batch:
        batch.add_column(sa.Column("source", sa.Text(), nullable=True))
        batch.add_column(sa.Column("lease_owner", sa.String(100), nullable=True))
        batch.add_column(sa.Column("lease_until", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"))
        batch.create_index("ix_import_jobs_status", ["status", "created_at"])
    op.execute("UPDATE import_jobs SET status = 'failed', message = 'the import was interrupted by an upgrade; "
               "import the file again (rows already imported are found, not duplicated)' "
               "WHERE status IN ('queued', 'running')")
    op.create_table(
        "export_jobs",
        sa.Column("id", sa.String(25), primary_key=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("items", sa.Text(), nullable=False),
        sa.Column("formats", sa.String(100), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("processed", sa.Integer(), nullable=False),
        sa.Column("parts", sa.Integer(), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=True),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("expires_at", sa.DateTime(), nullable=True),
        sa.Column("lease_owner", sa.String(100), nullable=True),
        sa.Column("lease_until", sa.DateTime(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
    )
    op.create_index("ix_export_jobs_status", "export_jobs", ["status", "created_at"])


def downgrade():
    op.drop_index("ix_export_jobs_status", "export_jobs")
    op.drop_table("export_jobs")
    with op.batch_alter_table("import_jobs") as batch:
        batch.drop_index("ix_import_jobs_status")
        batch.drop_column("attempts")
        batch.drop_column("lease_until")
        batch.drop_column("lease_owner")
        batch.drop_column("source")
