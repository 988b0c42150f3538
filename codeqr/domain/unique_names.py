"""Names unique in the instance whatever their case (tags, folders): a check before the write
that names the field, and the unique index on ``lower(name)`` deciding a race."""

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from ..errors import Conflict
from ..persistence.extensions import db


@dataclass(frozen=True)
class UniqueNames:
    """The names of ``model`` (a table with ``id`` and ``name``), called ``noun`` to people."""

    model: Any
    noun: str
    #: what to do instead, said after "There is a … already: "
    advice: str

    def taken(self, name: str) -> Conflict:
        return Conflict(f"a {self.noun} named {name!r} exists already (names are unique whatever their case)",
                        "name", sentence=f"There is a {self.noun} “{name}” already: {self.advice}.")

    def refuse_taken(self, name: str, exclude_id: str | None = None) -> None:
        """Raise ``Conflict`` on ``name`` when another row has it, whatever the case."""
        others = select(self.model.id).where(func.lower(self.model.name) == func.lower(name))
        if exclude_id is not None:
            others = others.where(self.model.id != exclude_id)
        if db.session.scalar(others) is not None:
            raise self.taken(name)

    def flush(self, name: str) -> None:
        """Flush the open write; a row named ``name`` made by another request since the check
        is the same ``Conflict``."""
        try:
            with db.session.begin_nested():
                db.session.flush()
        except IntegrityError:
            raise self.taken(name) from None
