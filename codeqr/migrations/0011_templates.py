"""Templates: a QR Code may be a template (``use_as_template``), and one template may be the
instance's default (``default_template``, at most one row: a partial unique index).

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


# Plain ALTER TABLE, no batch copy: a copy on SQLite would break the scan inbox's trigger
# that names ``qrcodes`` (see 0009).
def upgrade():
    op.add_column("qrcodes", sa.Column("use_as_template", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.add_column("qrcodes", sa.Column("default_template", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.create_index("uq_qrcodes_default_template", "qrcodes", ["default_template"], unique=True,
                    sqlite_where=sa.text("default_template"), postgresql_where=sa.text("default_template"))


def downgrade():
    # The designs stay in the QR Codes that took them; only the marks go.
    op.drop_index("uq_qrcodes_default_template", table_name="qrcodes")
    op.drop_column("qrcodes", "default_template")
    op.drop_column("qrcodes", "use_as_template")
