"""A QR Code's design is one versioned JSON value (``schemas.Design``) in the ``design``
column, instead of a column per design field; downgrade puts the columns back.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

# The design's fields as they were columns, at version 1 of the JSON. Written out: a
# migration stays what it was when the schema moves on.
_COLUMNS = {
    "bg_color": sa.String(7),
    "fg_color": sa.String(7),
    "size": sa.Integer(),
    "level": sa.String(1),
    "margin": sa.Integer(),
    "show_logo": sa.Boolean(),
}
_VERSION = 1


def _qrcodes(*columns: sa.ColumnClause) -> sa.TableClause:
    return sa.table("qrcodes", sa.column("id", sa.String()), *columns)


# Plain ALTER TABLE, no batch copy: renaming ``qrcodes`` away, as a copy on SQLite does, breaks
# the scan inbox's trigger that names it. SQLite cannot alter a column's nullability or
# default, so there the added columns keep what they were added with.
def upgrade():
    op.add_column("qrcodes", sa.Column("design", sa.JSON(), nullable=False, server_default=sa.text("'{}'")))
    old = _qrcodes(*(sa.column(name, kind) for name, kind in _COLUMNS.items()))
    new = _qrcodes(sa.column("design", sa.JSON()))
    bind = op.get_bind()
    for row in bind.execute(sa.select(old)).mappings().all():
        design = {"version": _VERSION, **{name: row[name] for name in _COLUMNS}}
        bind.execute(new.update().where(new.c.id == row["id"]).values(design=design))
    if bind.dialect.name != "sqlite":
        op.alter_column("qrcodes", "design", server_default=None)  # services always write it
    for name in _COLUMNS:
        op.drop_column("qrcodes", name)


def downgrade():
    for name, kind in _COLUMNS.items():
        op.add_column("qrcodes", sa.Column(name, kind, nullable=True))
    old = _qrcodes(*(sa.column(name, kind) for name, kind in _COLUMNS.items()))
    new = _qrcodes(sa.column("design", sa.JSON()))
    bind = op.get_bind()
    for row in bind.execute(sa.select(new)).mappings().all():
        bind.execute(old.update().where(old.c.id == row["id"])
                     .values({name: row["design"][name] for name in _COLUMNS}))
    if bind.dialect.name != "sqlite":
        for name in _COLUMNS:
            op.alter_column("qrcodes", name, nullable=False)
    op.drop_column("qrcodes", "design")
