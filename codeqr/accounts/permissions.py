"""Who may do what: people have roles, API keys have scopes; services check, views pass
who is asking (an ``Actor``)."""

from dataclasses import dataclass
from enum import Enum, StrEnum

from ..errors import Forbidden


class Role(StrEnum):
    """A person's role, most rights first; stored as its value."""

    #: users, every API key, the instance's settings (its default template), all a member does
    ADMIN = "admin"
    #: QR Codes (create, change, delete, import) and their own API keys
    MEMBER = "member"
    #: reads QR Codes and analytics, and may hold read-only keys
    VIEWER = "viewer"


ROLES = tuple(role.value for role in Role)
#: The role of a person added without one.
DEFAULT_ROLE = Role.MEMBER
#: Scopes of an API key: ``all`` acts with its owner's rights, ``read_only`` only reads.
SCOPES = ("all", "read_only")


class Permission(Enum):
    WRITE_QRCODES = "change QR Codes"
    OWN_KEYS = "manage your API keys"
    ALL_KEYS = "manage other people's API keys"
    USERS = "manage users"
    SETTINGS = "change the instance's settings"


_GRANTED: dict[str, set[Permission]] = {
    Role.ADMIN: set(Permission),
    Role.MEMBER: {Permission.WRITE_QRCODES, Permission.OWN_KEYS},
    Role.VIEWER: {Permission.OWN_KEYS},
}


def roles_to_offer() -> list[Role]:
    """Roles as a form offers them: the default first, then the others from the fewest rights."""
    return [DEFAULT_ROLE, *sorted((role for role in Role if role != DEFAULT_ROLE), key=lambda role: len(_GRANTED[role]))]


@dataclass(frozen=True)
class Actor:
    """Who asks: a signed-in person, an API key, or the operator at the machine (CLI)."""

    user_id: int | None
    role: str
    #: asking through a read-only API key: nothing may be written, whatever the role
    read_only: bool = False
    #: a job whose owner has been deactivated since it started: it may do nothing more
    deactivated: bool = False

    def can(self, permission: Permission) -> bool:
        return not self.read_only and not self.deactivated and permission in _GRANTED[self.role]

    def require(self, permission: Permission) -> None:
        """Raise ``Forbidden`` unless this actor may do ``permission``."""
        if self.deactivated:
            raise Forbidden(f"this account is deactivated: it cannot {permission.value}")
        if self.read_only:
            raise Forbidden(f"this API key is read-only: it cannot {permission.value}")
        if permission not in _GRANTED[self.role]:
            raise Forbidden(f"your role ({self.role}) cannot {permission.value}")

    def may_manage_key_of(self, owner_id: int | None) -> bool:
        return self.can(Permission.ALL_KEYS) or (self.can(Permission.OWN_KEYS) and owner_id == self.user_id)


#: The operator at the machine: the ``codeqr`` command, the first account's setup (only
#: this machine or the setup token reach it) and the jobs they start. Always passed
#: explicitly: no service falls back to it.
OPERATOR = Actor(user_id=None, role=Role.ADMIN)


def actor_of_user(user) -> Actor:
    return Actor(user_id=user.id, role=user.role)


def actor_of_key(key) -> Actor:
    """A key acts with its owner's role (a key of no one: made at the machine, an admin's)."""
    role = key.owner.role if key.owner is not None else Role.ADMIN
    return Actor(user_id=key.user_id, role=role, read_only=key.scope == "read_only")
