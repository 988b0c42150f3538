"""People and folders for the folder access tests: an admin, a member given the private folder
(``insider``), a member and a viewer given nothing, and a QR Code in each kind of folder."""

from dataclasses import dataclass, field

from codeqr import db
from codeqr.accounts import apikeys, users
from codeqr.context import for_operator
from codeqr.domain import writes
from codeqr.domain.models import Folder, FolderUser, User
from codeqr.domain.schemas import QRCodeCreate

PASSWORD = "a long enough password"
ROLES = {"admin": "admin", "insider": "member", "member": "member", "viewer": "viewer"}


@dataclass
class Organisation:
    #: user id by name (``ROLES``)
    people: dict[str, int] = field(default_factory=dict)
    #: folder id by name: ``private`` (no access level, given to the insider), ``readable`` ("read"), ``open`` ("write")
    folders: dict[str, str] = field(default_factory=dict)
    #: QR Code (its API answer) by name: ``free`` (no folder), ``hidden`` (private), ``readonly`` (readable),
    #: ``shared`` (open)
    codes: dict[str, dict] = field(default_factory=dict)


def folder(name: str, access_level: str | None = None, given=()) -> str:
    """A folder made in the database (the folder routes are another part's), in the app's context."""
    made = Folder(name=name, access_level=access_level)
    db.session.add(made)
    db.session.flush()
    db.session.add_all(FolderUser(folder_id=made.id, user_id=user) for user in given)
    db.session.commit()
    return made.id


def organise(app) -> Organisation:
    """Make the people, the folders and a QR Code in each (the hidden one by an upsert: it
    holds the upsert slot of its url)."""
    org = Organisation()
    with app.app_context():
        for name, role in ROLES.items():
            org.people[name] = users.create(f"{name}@example.com", PASSWORD, role=role, ctx=for_operator()).id
        org.folders = {"private": folder("Private", given=[org.people["insider"]]),
                       "readable": folder("Readable", "read"), "open": folder("Open", "write")}
        operator = for_operator()
        org.codes["free"] = writes.create(QRCodeCreate(url="https://example.com/free", key="free"), operator).api()
        hidden, _ = writes.upsert(QRCodeCreate(url="https://example.com/hidden", key="hidden", externalId="secret",
                                               title="Hidden", folderId=org.folders["private"]), operator)
        org.codes["hidden"] = hidden.api()
        org.codes["readonly"] = writes.create(QRCodeCreate(url="https://example.com/readonly", key="readonly",
                                                           folderId=org.folders["readable"]), operator).api()
        org.codes["shared"] = writes.create(QRCodeCreate(url="https://example.com/shared", key="shared",
                                                         folderId=org.folders["open"]), operator).api()
    return org


def key_of(app, org: Organisation, name: str, scope: str = "all") -> str:
    """A new API key of the person ``name``."""
    with app.app_context():
        owner = db.session.get(User, org.people[name])
        return apikeys.create(f"{name}-{scope}", owner=owner, scope=scope, ctx=for_operator())[1]


def signed_in(app, name: str):
    """A test client signed in as ``name``."""
    client = app.test_client()
    assert client.post("/login", data={"email": f"{name}@example.com", "password": PASSWORD}).status_code == 302
    return client
