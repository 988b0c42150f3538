"""Helpers for tests of migrations."""

from sqlalchemy import text

from codeqr import db
from codeqr.extensions import alembic


def downgrade_schema(revision: str) -> None:
    """Take the app's schema (in its app context) down to ``revision`` of the core, first
    forgetting revisions of plugins this run does not load (a shared test database may hold them)."""
    known = {script.revision for script in alembic.script_directory.walk_revisions()}
    with db.engine.begin() as connection:
        for found in connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all():
            if found not in known:
                connection.execute(text("DELETE FROM alembic_version WHERE version_num = :r"), {"r": found})
    alembic.downgrade(revision)
