"""Database storage: images as rows of ``stored_images`` in CodeQR's own database.

Handy when the app runs on several hosts that share a database but no disk.
Its table comes from its own migration branch, ``database_storage``.
"""

from importlib.resources import files

from sqlalchemy import LargeBinary, String, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Mapped, mapped_column

from codeqr import Storage, StorageUnavailable, db, hookimpl


class StoredImage(db.Model):
    __tablename__ = "stored_images"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class DatabaseStorage(Storage):
    name = "database"

    def _run(self, statement):
        # Its own connection and transaction: storage never joins a service's transaction.
        try:
            with db.engine.begin() as connection:
                return connection.execute(statement)
        except SQLAlchemyError as error:
            raise StorageUnavailable(f"database storage failed: {error.__class__.__name__}") from error

    def get(self, name: str) -> bytes | None:
        return self._run(select(StoredImage.data).where(StoredImage.name == name)).scalar()

    def put(self, name: str, data: bytes) -> None:
        insert = postgresql.insert if db.engine.dialect.name == "postgresql" else sqlite.insert
        # Same name, same bytes (names are content hashes): a concurrent put may win.
        self._run(insert(StoredImage).values(name=name, data=data).on_conflict_do_nothing())

    def delete(self, name: str) -> None:
        self._run(delete(StoredImage).where(StoredImage.name == name))


@hookimpl
def codeqr_register_storages():
    return [DatabaseStorage]


@hookimpl
def codeqr_migration_locations():
    return [str(files(__name__) / "migrations")]
