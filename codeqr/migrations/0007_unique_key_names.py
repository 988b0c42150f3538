"""API key names are unique among each owner's active keys (keys made at the machine count
as one owner). Active duplicates from before keep working: all but the oldest get their id
added to their name.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_ACTIVE = sa.text("revoked_at IS NULL")


def upgrade():
    op.execute(
        "UPDATE api_keys SET name = substr(name, 1, 88) || ' (' || id || ')' "
        "WHERE revoked_at IS NULL AND EXISTS (SELECT 1 FROM api_keys AS older WHERE older.revoked_at IS NULL "
        "AND older.name = api_keys.name AND coalesce(older.user_id, 0) = coalesce(api_keys.user_id, 0) "
        "AND older.id < api_keys.id)"
    )
    op.create_index("uq_api_keys_active_name", "api_keys", [sa.text("coalesce(user_id, 0)"), "name"], unique=True,
                    sqlite_where=_ACTIVE, postgresql_where=_ACTIVE)


def downgrade():
    op.drop_index("uq_api_keys_active_name", table_name="api_keys")
