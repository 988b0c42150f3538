"""Pages of the lists of tags and folders: which page, a name to look for, and the SQL of both."""

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel
from sqlalchemy import ColumnElement, Select
from sqlalchemy.orm import QueryableAttribute


class PageQuery(BaseModel):
    """A page of a list of names (tags, folders), and a part of a name to look for."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)

    search: str | None = Field(None, max_length=500, description="a part of the name, any case")
    page: int = Field(1, ge=1, le=1_000_000)
    page_size: int = Field(20, ge=1, le=100)


def contains(column: QueryableAttribute[str], text: str) -> ColumnElement[bool]:
    """``column`` holds ``text``, any case; ``%`` and ``_`` in ``text`` are themselves."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return column.ilike(f"%{escaped}%", escape="\\")


def page_of(statement: Select, query: PageQuery) -> Select:
    """``statement`` (already searched and sorted) cut to the page ``query`` asks for."""
    return statement.limit(query.page_size).offset((query.page - 1) * query.page_size)
