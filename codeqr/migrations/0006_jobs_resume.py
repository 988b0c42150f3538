"""Jobs that survive their process: an import keeps its rows and is leased to the
process running it, so another can take it up where it stopped.

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


def downgrade():
    with op.batch_alter_table("import_jobs") as batch:
        batch.drop_index("ix_import_jobs_status")
        batch.drop_column("attempts")
        batch.drop_column("lease_until")
        batch.drop_column("lease_owner")
        batch.drop_column("source")
