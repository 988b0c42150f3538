"""A QR Code's tags and folder as CSV columns, the same in the import, its template and the
export's manifest. People write names in spreadsheets, not ids, so both go by name:

``tags``: the names of its tags in one cell, separated by commas (``summer, shop``), as people
type a list; a name that holds a comma or a double quote is written in double quotes, its quotes
doubled (``"Smith, Jones", shop``), as a line of CSV is. The import reads the API's
``tagNames`` from it (a name no tag has makes a new tag); ``tagNames`` is another header for it.

``folder``: the name of its folder (any case). The import never makes a folder: a name no folder
the importer sees has refuses the row. ``folderId`` is read as well, the folder's id; the
manifest gives both, and the import goes by the name (ids differ between instances) unless only
the id is given. A name beside the id of another folder the importer sees refuses the row.

An empty ``tags`` or ``folder`` cell in a file that has the column means none: the import takes
the QR Code's tags off, or out of its folder. (Any other empty cell is a value not given.) So a
manifest imported back puts every QR Code's tags and folder back as they were exported.
"""

import csv
import io
import re
import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import func, select

from ..accounts.permissions import Actor
from ..domain import folders
from ..domain.models import Folder
from ..domain.schemas import MAX_TAGS
from ..errors import InvalidInput
from ..persistence.extensions import db

TAGS, FOLDER, FOLDER_ID = "tags", "folder", "folderId"
#: Other headers of ``TAGS``: the API's name.
TAGS_ALIASES = ("tagNames",)
#: The API's fields of tags the CSV has no column of: ``TAGS`` gives them by name.
LEFT_OUT = frozenset({"tagIds", "tagNames"})
#: Columns whose empty cell says "none" (the others' say nothing).
EMPTY_MEANS_NONE = frozenset({TAGS, FOLDER})


def with_organising(columns: Iterable[str]) -> list[str]:
    """``columns`` (the API fields' columns) with the tags and folder as a CSV has them: the
    folder's name before its id, the tags' names after it, the input-only tag fields left out."""
    return [name for column in columns if column not in LEFT_OUT
            for name in ((FOLDER, FOLDER_ID, TAGS) if column == FOLDER_ID else (column,))]


#: What a name in quotes in a ``tags`` cell may hold (a tag's name cannot begin or end with a space).
_NEEDS_QUOTES = re.compile(r'[,"\r\n]')


def tags_cell(names: Iterable[str]) -> str:
    """The ``tags`` cell of ``names``: a name holding a comma, a quote or a line break in quotes."""
    return ", ".join(_quoted(name) if _NEEDS_QUOTES.search(name) else name for name in names)


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def tag_names(cell: str) -> list[str]:
    """The names a ``tags`` cell gives, in order, each once whatever its case (a line break
    separates them too); refuses quotes that do not close and more names than a QR Code carries."""
    try:
        lines = list(csv.reader(io.StringIO(cell, newline=""), skipinitialspace=True, strict=True))
    except csv.Error:
        raise InvalidInput("is not a list of names", TAGS, sentence='Separate the tags with commas, and write a '
                           'name holding a comma in double quotes, like: shop, "Smith, Jones".') from None
    first: dict[str, str] = {}  # by its lower case: a name given twice is one tag (``tags.named``)
    for name in (name.strip() for line in lines for name in line):
        if name:
            first.setdefault(name.lower(), name)
    names = list(first.values())
    if len(names) > MAX_TAGS:
        raise InvalidInput(f"names {len(names)} tags, more than {MAX_TAGS}", TAGS,
                           sentence=f"A QR Code carries at most {MAX_TAGS} tags; this cell names {len(names)}.")
    return names


def _shown(name: str) -> str:
    """A name given, as a sentence may quote it: its start, a control character shown as �."""
    plain = "".join("\ufffd" if unicodedata.category(char) == "Cc" else char for char in name)
    return plain[:60] + ("…" if len(plain) > 60 else "")


def _named(name: str, actor: Actor) -> Folder | None:
    """The folder called ``name`` (any case, as the database compares the names it keeps unique)
    among those ``actor`` sees."""
    lookup = select(Folder).where(func.lower(Folder.name) == func.lower(name))
    if (condition := folders.folder_visible(actor)) is not None:
        lookup = lookup.where(condition)
    return db.session.scalar(lookup)


def folder_field(row: Mapping[str, Any], actor: Actor) -> dict:
    """The body's ``folderId`` of a row's ``folder`` cell (nothing when it has none: its
    ``folderId`` cell, if any, is the body's). An empty cell says no folder, unless the row
    gives a ``folderId``. Refuses a name that no folder ``actor`` sees has, a folder they may
    not put QR Codes in, and a name and an id (of a folder they see) of two folders."""
    if FOLDER not in row:
        return {}
    name, given_id = row[FOLDER].strip(), row.get(FOLDER_ID)
    if not name:
        return {} if given_id else {FOLDER_ID: None}
    found = _named(name, actor)
    if found is None:
        raise InvalidInput(f"there is no folder {_shown(name)!r}", FOLDER,
                           sentence=f"There is no folder “{_shown(name)}”. An import makes no folders: make it first, "
                                    "or correct the name.")
    if given_id and given_id != found.id and folders.may_see(given_id, actor) \
            and db.session.get(Folder, given_id) is not None:
        raise InvalidInput(f"{_shown(name)!r} is not the folder {given_id}", FOLDER, also=(FOLDER_ID,),
                           sentence=f"The folder “{_shown(name)}” is not the folder whose id folderId gives: "
                                    "keep one of the two.")
    # The save checks the folder too (``field_checks``); here the row is refused before any write is tried.
    if (problem := folders.folder_problem(found.id, actor)) is not None:
        raise InvalidInput(problem.detail, FOLDER, sentence=problem.sentence)
    return {FOLDER_ID: found.id}


def column_of(field: str, row: Mapping[str, Any]) -> str | None:
    """The column of ``row`` an error of the API field ``field`` is about, when that is one of
    these (the tags' names came from ``tags``, the folder's id from ``folder`` or ``folderId``); else None."""
    if field.startswith("tagNames") and TAGS in row:
        return TAGS
    if field == FOLDER_ID:  # by its column, not the form's label ("Folder")
        return FOLDER if FOLDER in row and not row.get(FOLDER_ID) else FOLDER_ID
    return None


def cells_of(api: Mapping[str, Any], names: Mapping[str, str]) -> dict[str, str | None]:
    """The ``tags`` and ``folder`` cells of a QR Code (its API form); ``names``: folders' names by id."""
    return {TAGS: tags_cell(tag["name"] for tag in api.get("tags") or ()),
            FOLDER: names.get(api.get(FOLDER_ID) or "")}
