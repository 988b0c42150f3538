"""Helpers for tests of migrations."""

from sqlalchemy import text

from codeqr import db
from codeqr.persistence.extensions import alembic


def downgrade_schema(revision: str) -> None:
    """Take the app's schema (in its app context) down to ``revision`` of the core, first
    forgetting revisions of plugins this run does not load (a shared test database may hold them)."""
    known = {script.revision for script in alembic.script_directory.walk_revisions()}
    with db.engine.begin() as connection:
        for found in connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all():
            if found not in known:
                connection.execute(text("DELETE FROM alembic_version WHERE version_num = :r"), {"r": found})
    alembic.downgrade(revision)


def migrate_from(revision: str, *statements: str) -> None:
    """Take the schema down to ``revision``, write ``statements`` there (rows a migration
    must carry over), then upgrade to the newest again, in a fresh session."""
    downgrade_schema(revision)
    with db.engine.begin() as connection:
        for statement in statements:
            connection.execute(text(statement))
    alembic.upgrade()
    db.session.remove()
