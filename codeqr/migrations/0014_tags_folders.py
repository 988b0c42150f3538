"""Organising QR Codes (issue 24): tags and folders (with the people given a folder),
each QR Code's ``archived``, ``comments``, folder and maker (``user_id``), and the served
domains kept as data (``domains``).

Revision ID: 0014
Revises: 0013
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "tags",
        sa.Column("id", sa.String(25), primary_key=True),
        sa.Column("name", sa.String(50), nullable=False),
        sa.Column("color", sa.String(10), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
    )
    op.create_index("uq_tags_name", "tags", [sa.text("lower(name)")], unique=True)
    op.create_table(
        "folders",
        sa.Column("id", sa.String(25), primary_key=True),
        sa.Column("name", sa.String(190), nullable=False),
        sa.Column("access_level", sa.String(5)),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
    )
    op.create_index("uq_folders_name", "folders", [sa.text("lower(name)")], unique=True)
    op.create_table(
        "folder_users",
        sa.Column("folder_id", sa.String(25), sa.ForeignKey("folders.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    )
    op.create_index("ix_folder_users_user_id", "folder_users", ["user_id", "folder_id"])
    op.create_table(
        "qrcode_tags",
        sa.Column("qrcode_id", sa.String(25), sa.ForeignKey("qrcodes.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("tag_id", sa.String(25), sa.ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True),
    )
    op.create_index("ix_qrcode_tags_tag_id", "qrcode_tags", ["tag_id", "qrcode_id"])
    # No foreign key on folder_id: SQLite would rebuild the table for one (its drop deleting
    # the aliases and events by cascade); deleting a folder empties it (``domain.folders``).
    op.add_column("qrcodes", sa.Column("archived", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.add_column("qrcodes", sa.Column("comments", sa.Text()))
    op.add_column("qrcodes", sa.Column("folder_id", sa.String(25)))
    op.add_column("qrcodes", sa.Column("user_id", sa.Integer()))
    op.create_index("ix_qrcodes_archived_created_at", "qrcodes", ["archived", "created_at"])
    op.create_index("ix_qrcodes_folder_id", "qrcodes", ["folder_id", "created_at"])
    op.create_index("ix_qrcodes_user_id", "qrcodes", ["user_id", "created_at"])
    for name, columns in _filter_indexes(op.get_bind().dialect.name):
        op.execute(f"CREATE INDEX {name} ON qrcodes ({columns})")
    op.create_table(
        "domains",
        sa.Column("slug", sa.String(253), primary_key=True),
        sa.Column("target", sa.Text()),
        sa.Column("not_found_url", sa.Text()),
        sa.Column("placeholder", sa.Text()),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
    )


def _filter_indexes(dialect: str) -> list[tuple[str, str]]:
    """The indexes of the list's filters and sorts (``domain.indexed`` and ``models`` spell the
    same SQL): name and columns on ``dialect``."""
    postgresql = dialect == "postgresql"
    # None on the counters (scans, last_scanned_at): every scan changes them (``models`` says why).
    sorts = [("updated_at", "updated_at"),
             ("title", "coalesce(substr(title, 1, 200), '')"), ("url", "coalesce(substr(url, 1, 200), '')")]
    indexes = [(f"ix_qrcodes{infix}_{name}", f"{lead}{columns}")
               for name, columns in sorts for infix, lead in (("", ""), ("_archived", "archived, "))]
    indexes += [("ix_qrcodes_key", '"key"'), ("ix_qrcodes_type", "type"), ("ix_qrcodes_static", "static"),
                ("ix_qrcodes_use_as_template", "use_as_template"),
                ("ix_qrcodes_has_comments", "coalesce(substr(comments, 1, 1), '')")]
    values = {key: f"((link ->> '{key}') COLLATE \"C\")" if postgresql else f"json_extract(link, '$.{key}')"
              for key in ("expiresAt", "utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content")}
    indexes += [(f"ix_qrcodes_link_{key.lower()}", value) for key, value in values.items()]
    utm = ", ".join(value for key, value in values.items() if key.startswith("utm_"))
    indexes.append(("ix_qrcodes_link_any_utm", f"coalesce({utm}, '')"))
    for key in ("passwordHash", "geo", "ios", "android"):
        kind = f"json_typeof(link -> '{key}')" if postgresql else f"json_type(link, '$.{key}')"
        indexes.append((f"ix_qrcodes_link_kind_{key.lower()}", f"coalesce({kind}, '')"))
    return indexes


def downgrade():
    op.drop_table("domains")
    for name, _ in reversed(_filter_indexes(op.get_bind().dialect.name)):
        op.drop_index(name, table_name="qrcodes")
    for name in ("ix_qrcodes_user_id", "ix_qrcodes_folder_id", "ix_qrcodes_archived_created_at"):
        op.drop_index(name, table_name="qrcodes")
    for name in ("user_id", "folder_id", "comments", "archived"):
        op.drop_column("qrcodes", name)
    op.drop_index("ix_qrcode_tags_tag_id", table_name="qrcode_tags")
    op.drop_table("qrcode_tags")
    op.drop_index("ix_folder_users_user_id", table_name="folder_users")
    op.drop_table("folder_users")
    op.drop_index("uq_folders_name", table_name="folders")
    op.drop_table("folders")
    op.drop_index("uq_tags_name", table_name="tags")
    op.drop_table("tags")
