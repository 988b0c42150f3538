"""Table of images kept by the database storage.

Revision ID: ds0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "ds0001"
down_revision = None
branch_labels = ("database_storage",)
depends_on = None


def upgrade():
    op.create_table(
        "stored_images",
        sa.Column("name", sa.String(100), primary_key=True),
        sa.Column("data", sa.LargeBinary(), nullable=False),
    )


def downgrade():
    op.drop_table("stored_images")
