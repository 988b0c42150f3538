"""Roles and scoped keys: users get a role and can be deactivated; API keys belong to a
user and have a scope.

Admins stay admins and everyone else becomes a member; existing keys go to the first
admin (or to no one when there are no users yet) with the scope ``all``, so they keep
working as before.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("role", sa.String(16), nullable=False, server_default="member"))
        batch.add_column(sa.Column("deactivated_at", sa.DateTime(), nullable=True))
    op.execute("UPDATE users SET role = 'admin' WHERE is_admin")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("is_admin")
    with op.batch_alter_table("api_keys") as batch:
        batch.add_column(sa.Column("user_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("scope", sa.String(16), nullable=False, server_default="all"))
        batch.create_foreign_key("fk_api_keys_user_id", "users", ["user_id"], ["id"])
        batch.create_index("ix_api_keys_user_id", ["user_id"])
    op.execute("UPDATE api_keys SET user_id = (SELECT min(id) FROM users WHERE role = 'admin')")


def downgrade():
    with op.batch_alter_table("api_keys") as batch:
        batch.drop_index("ix_api_keys_user_id")
        batch.drop_constraint("fk_api_keys_user_id", type_="foreignkey")
        batch.drop_column("scope")
        batch.drop_column("user_id")
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("is_admin", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.execute("UPDATE users SET is_admin = (role = 'admin')")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("role")
        batch.drop_column("deactivated_at")
