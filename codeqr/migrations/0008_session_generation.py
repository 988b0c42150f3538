"""Sessions end on sign-out, a new password and deactivation: each user gets a session
generation that those bump; a session cookie made before carries an older one.

Sessions made before this upgrade carry no generation and end with it (people sign in again).

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


# Plain ALTER TABLE (SQLite 3.35+ drops columns too): a batch copy of ``users`` would
# trip the foreign keys that point at it.
def upgrade():
    op.add_column("users", sa.Column("session_generation", sa.Integer(), nullable=False, server_default="0"))


def downgrade():
    op.drop_column("users", "session_generation")
