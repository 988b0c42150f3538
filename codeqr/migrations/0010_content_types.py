"""A QR Code holds a content type (``type`` and its payload in ``content``), static or not,
and chooses a page or a redirect for a dynamic phone, email or sms. Existing QR Codes stay
dynamic links to a website: the server defaults say so.

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


# Plain ALTER TABLE, no batch copy: a copy on SQLite would break the scan inbox's trigger
# that names ``qrcodes`` (see 0009).
def upgrade():
    op.add_column("qrcodes", sa.Column("type", sa.String(16), nullable=False, server_default="url"))
    op.add_column("qrcodes", sa.Column("content", sa.JSON(), nullable=True))
    op.add_column("qrcodes", sa.Column("static", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.add_column("qrcodes", sa.Column("use_display_page", sa.Boolean(), nullable=False, server_default=sa.true()))


def downgrade():
    # Only a dynamic url QR Code can be kept in the columns before: refuse rather than lose the rest.
    kept = sa.table("qrcodes", sa.column("type", sa.String()), sa.column("static", sa.Boolean()))
    bind = op.get_bind()
    others = bind.scalar(sa.select(sa.func.count()).select_from(kept)
                         .where(sa.or_(kept.c.type != "url", kept.c.static == sa.true())))
    if others:
        raise RuntimeError(f"{others} QR Codes hold another content than a dynamic link to a website: "
                           "delete or export them before downgrading below revision 0010")
    for name in ("use_display_page", "static", "content", "type"):
        op.drop_column("qrcodes", name)
