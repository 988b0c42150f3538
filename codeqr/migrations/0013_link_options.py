"""Link options (issue 23): a QR Code's ``link`` column (expiry, password, targets, rules,
UTM), old short links kept as ``aliases``, and what decided each scan (its step, rule
and variant) with the scanned link's UTM parameters on the inbox and the events; the
events' continent (of their country).

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

_SCAN_COLUMNS = (
    ("step", sa.String(8)), ("rule", sa.SmallInteger()), ("variant", sa.SmallInteger()),
    ("utm_source", sa.String(190)), ("utm_medium", sa.String(190)), ("utm_campaign", sa.String(190)),
    ("utm_term", sa.String(190)), ("utm_content", sa.String(190)),
)


def upgrade():
    # Plain ALTER TABLE on SQLite too (3.35+ drops columns): a batch copy of the inbox
    # would lose its count trigger (migration 0003).
    op.add_column("qrcodes", sa.Column("link", sa.JSON()))
    for table in ("scan_inbox", "scan_events"):
        for name, kind in _SCAN_COLUMNS:
            op.add_column(table, sa.Column(name, kind))
    op.add_column("scan_events", sa.Column("continent", sa.String(2)))  # of the country, by the enrichment
    _continents_of_past_events()
    op.create_table(
        "aliases",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("qrcode_id", sa.String(25), sa.ForeignKey("qrcodes.id", ondelete="CASCADE"), nullable=False),
        sa.Column("domain", sa.String(253), nullable=False),
        sa.Column("key", sa.String(190), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("domain", "key", name="uq_aliases_domain_key"),
    )
    op.create_index("ix_aliases_qrcode_id", "aliases", ["qrcode_id"])


def _continents_of_past_events() -> None:
    """The events stored before learn their continent, as the enrichment now works it out
    (of the country; written here as it is today, so the migration stays what it was)."""
    from itertools import product
    from string import ascii_uppercase

    from pycountry_convert import country_alpha2_to_continent_code

    by_continent: dict[str, list[str]] = {"AN": ["AQ"], "OC": ["UM"], "NA": ["SX"]}  # the converter lacks them
    for country in ("".join(letters) for letters in product(ascii_uppercase, repeat=2)):
        try:
            by_continent.setdefault(country_alpha2_to_continent_code(country), []).append(country)
        except KeyError:
            continue
    cases = " ".join(f"WHEN country IN ({', '.join(repr(code) for code in codes)}) THEN '{name}'"
                     for name, codes in sorted(by_continent.items()))
    op.execute(f"UPDATE scan_events SET continent = CASE {cases} END WHERE country IS NOT NULL")


def downgrade():
    op.drop_index("ix_aliases_qrcode_id", table_name="aliases")
    op.drop_table("aliases")
    op.drop_column("scan_events", "continent")
    for table in ("scan_events", "scan_inbox"):
        for name, _ in reversed(_SCAN_COLUMNS):
            op.drop_column(table, name)
    op.drop_column("qrcodes", "link")
