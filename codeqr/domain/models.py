"""Database models of the core: QR Codes and API keys."""

from datetime import datetime
from typing import cast

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    func,
    text,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.permissions import DEFAULT_ROLE
from ..jobs.statuses import JobStatus
from ..links.utm import UTM_FIELDS
from ..persistence.extensions import Model
from .ids import new_id
from .indexed import any_of, first_char, link_kind, link_value, prefix
from .timeutil import UTCDateTime, utcnow


class QRCode(Model):
    """A QR Code: what it holds (a destination URL, or another ``type``'s content) and, unless
    static, the short link on a served domain its image encodes.

    Defaults and rules of the settable columns live in ``schemas.QRCodeCreate``;
    services always write every column. The design fields live in one JSON column.
    """

    __tablename__ = "qrcodes"
    __table_args__ = (
        UniqueConstraint("domain", "key", name="uq_qrcodes_domain_key"),
        UniqueConstraint("upsert_slot", name="uq_qrcodes_upsert_slot"),
        UniqueConstraint("external_id", name="uq_qrcodes_external_id"),
        Index("ix_qrcodes_url_hash", "url_hash"),
        Index("ix_qrcodes_created_at", "created_at"),
        # The lists' default hides archived codes: newest first among those kept in view.
        Index("ix_qrcodes_archived_created_at", "archived", "created_at"),
        Index("ix_qrcodes_folder_id", "folder_id", "created_at"),
        Index("ix_qrcodes_user_id", "user_id", "created_at"),
        # The instance's default template is one row at most.
        Index("uq_qrcodes_default_template", "default_template", unique=True,
              sqlite_where=text("default_template"), postgresql_where=text("default_template")),
    )

    id: Mapped[str] = mapped_column(String(25), primary_key=True, default=new_id)
    # What it holds: a type of ``contents.TYPES``; its payload (null for url); static or not.
    type: Mapped[str] = mapped_column(String(16), default="url", server_default="url")
    content: Mapped[object | None] = mapped_column(JSON)
    static: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    use_display_page: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    # The destination (types url, gs1) or the text the content encodes to (``contents.stored``).
    url: Mapped[str] = mapped_column(Text)
    # SHA-256 of url: lets upsert find a URL by index (urls may exceed btree limits).
    url_hash: Mapped[str] = mapped_column(String(64))
    # Set only on rows created by upsert: the unique constraint makes concurrent
    # upserts of one new (domain, url) create exactly one row. Cleared on edit.
    upsert_slot: Mapped[str | None] = mapped_column(String(64))
    domain: Mapped[str] = mapped_column(String(253))
    key: Mapped[str] = mapped_column(String(190))
    title: Mapped[str | None] = mapped_column(Text)
    external_id: Mapped[str | None] = mapped_column(String(255))
    # A template: other QR Codes take its design (``design.templates``); one of them may be
    # the instance's default, which a new QR Code sent without design fields takes. Kept
    # on the row, so deleting the default template clears the default with it.
    use_as_template: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    default_template: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # The Design (``schemas.Design.stored()``): ``ctx.schemas.fields_of(row)`` reads its fields.
    design: Mapped[dict] = mapped_column(JSON)
    # The link options set (``links.options``), by their API names; null when none is: the
    # redirect reads it with the count.
    link: Mapped[dict | None] = mapped_column(JSON(none_as_null=True))
    # Organisation (``domain.tags``, ``domain.folders``): hidden from lists, still redirecting;
    # notes for people; at most one folder; who made it (null: the operator, or before 0014).
    archived: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    comments: Mapped[str | None] = mapped_column(Text)
    # No foreign key (migration 0014 says why): deleting a folder empties it.
    folder_id: Mapped[str | None] = mapped_column(String(25))
    user_id: Mapped[int | None] = mapped_column(Integer)
    scans: Mapped[int] = mapped_column(BigInteger, default=0, server_default=text("0"))
    last_scanned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


#: The link options the list filters on by value (``filters``): their index each.
INDEXED_LINK_VALUES = ("expiresAt", "utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content")
#: The link options the list filters on by presence only (values may be long: their JSON type is indexed).
INDEXED_LINK_KINDS = ("passwordHash", "geo", "ios", "android")


def _sort_indexes(name: str, *expressions) -> list[Index]:
    """A sort's two indexes: over every code (``showArchived=true``) and after ``archived``
    (the lists' default, archived codes hidden)."""
    return [Index(f"ix_qrcodes_{name}", *expressions), Index(f"ix_qrcodes_archived_{name}", QRCode.archived, *expressions)]


# The indexes of the list's filters and sorts (``filters``; migration 0014), each filter and sort
# answered from one (tests/test_filters.py shows the plans). Those of created_at, folder_id,
# user_id, domain and external_id are above. The counters (scans, last_scanned_at) have none on
# purpose: every scan changes them, and an index on either makes each scan write every index of
# the table (no HOT update on PostgreSQL: 1.8 times the counting statement's time, BENCHMARKS.md).
_sort_indexes("updated_at", QRCode.updated_at)
_sort_indexes("title", prefix(QRCode.title))
_sort_indexes("url", prefix(QRCode.url))
Index("ix_qrcodes_key", QRCode.key)
Index("ix_qrcodes_type", QRCode.type)
Index("ix_qrcodes_static", QRCode.static)
Index("ix_qrcodes_use_as_template", QRCode.use_as_template)
Index("ix_qrcodes_has_comments", first_char(QRCode.comments))
for _key in INDEXED_LINK_VALUES:
    Index(f"ix_qrcodes_link_{_key.lower()}", link_value(QRCode.link, _key))
# Named with its table: SQLAlchemy finds no column in a function of functions.
Index("ix_qrcodes_link_any_utm", any_of(*(link_value(QRCode.link, key) for key in UTM_FIELDS)),
      _table=cast(Table, QRCode.__table__))
for _key in INDEXED_LINK_KINDS:
    Index(f"ix_qrcodes_link_kind_{_key.lower()}", link_kind(QRCode.link, _key))


class Alias(Model):
    """An old short link of a QR Code, kept working after its key or domain changed: it
    redirects and counts as the code's own link does. No QR Code may take it."""

    __tablename__ = "aliases"
    __table_args__ = (UniqueConstraint("domain", "key", name="uq_aliases_domain_key"),
                      Index("ix_aliases_qrcode_id", "qrcode_id"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    qrcode_id: Mapped[str] = mapped_column(ForeignKey("qrcodes.id", ondelete="CASCADE"))
    domain: Mapped[str] = mapped_column(String(253))
    key: Mapped[str] = mapped_column(String(190))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Tag(Model):
    """A tag QR Codes carry (``domain.tags``): a name unique in the instance, whatever its
    case, and one of ``tags.COLORS``."""

    __tablename__ = "tags"
    __table_args__ = (Index("uq_tags_name", func.lower(text("name")), unique=True),)

    id: Mapped[str] = mapped_column(String(25), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(50))
    color: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class QRCodeTag(Model):
    """That a QR Code carries a tag: deleting either removes the pair, never the other."""

    __tablename__ = "qrcode_tags"
    __table_args__ = (Index("ix_qrcode_tags_tag_id", "tag_id", "qrcode_id"),)

    qrcode_id: Mapped[str] = mapped_column(ForeignKey("qrcodes.id", ondelete="CASCADE"), primary_key=True)
    tag_id: Mapped[str] = mapped_column(ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True)


class Folder(Model):
    """A folder of QR Codes (``domain.folders``); its ``access_level`` says who else sees and
    changes its codes: ``write`` everyone, ``read`` everyone sees and its people change, null
    only its people (``FolderUser``) and admins."""

    __tablename__ = "folders"
    __table_args__ = (Index("uq_folders_name", func.lower(text("name")), unique=True),)

    id: Mapped[str] = mapped_column(String(25), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(190))
    access_level: Mapped[str | None] = mapped_column(String(5))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class FolderUser(Model):
    """A person given a folder: they see and (as their role allows) change its QR Codes."""

    __tablename__ = "folder_users"
    __table_args__ = (Index("ix_folder_users_user_id", "user_id", "folder_id"),)

    folder_id: Mapped[str] = mapped_column(ForeignKey("folders.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)


class ServedDomain(Model):
    """A domain this instance serves, added as data (``domain.domains``) beside those of the
    settings; also where the root and an unknown key of a domain go (a settings domain may
    have a row for those alone)."""

    __tablename__ = "domains"

    slug: Mapped[str] = mapped_column(String(253), primary_key=True)
    # Where ``/`` of the domain goes, an unknown key goes, and the form's example destination.
    target: Mapped[str | None] = mapped_column(Text)
    not_found_url: Mapped[str | None] = mapped_column(Text)
    placeholder: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ApiKey(Model):
    """An API key; only the SHA-256 of the secret is stored. It belongs to a user (or, made
    at the machine before anyone signed up, to no one) and has a scope (``permissions.SCOPES``)."""

    __tablename__ = "api_keys"
    __table_args__ = (UniqueConstraint("secret_hash", name="uq_api_keys_secret_hash"),
                      Index("ix_api_keys_user_id", "user_id"),
                      # One active key of a name per owner (no owner: made at the machine).
                      Index("uq_api_keys_active_name", func.coalesce(text("user_id"), 0), "name", unique=True,
                            sqlite_where=text("revoked_at IS NULL"), postgresql_where=text("revoked_at IS NULL")))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    # First characters of the key, so people can tell their keys apart.
    prefix: Mapped[str] = mapped_column(String(12))
    secret_hash: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    scope: Mapped[str] = mapped_column(String(16), default="all", server_default="all")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    owner: Mapped["User | None"] = relationship(lazy="joined")


class User(Model):
    """A person who signs in to the web UI, with a role (``permissions.ROLES``)."""

    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("email", name="uq_users_email"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16), default=DEFAULT_ROLE.value, server_default=DEFAULT_ROLE.value)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    deactivated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Bumped by signing out, a new password and deactivation: a session made before
    # carries an older number and no longer opens anything, on any server.
    session_generation: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))

    # What Flask-Login asks of a user object: a deactivated user cannot sign in.
    is_authenticated = True
    is_anonymous = False

    @property
    def is_active(self) -> bool:
        return self.deactivated_at is None

    def get_id(self) -> str:
        """What the session cookie keeps: the id and the session generation (``users.get``)."""
        return f"{self.id}.{self.session_generation}"


class ImportJob(Model):
    """A CSV import: its progress, counted as rows are processed."""

    __tablename__ = "import_jobs"
    __table_args__ = (Index("ix_import_jobs_status", "status", "created_at"),)

    id: Mapped[str] = mapped_column(String(25), primary_key=True, default=new_id)
    user_id: Mapped[int | None] = mapped_column(Integer)
    filename: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(10), default=JobStatus.QUEUED)
    total: Mapped[int] = mapped_column(Integer, default=0)
    processed: Mapped[int] = mapped_column(Integer, default=0)
    created: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    message: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The rows to import (JSON): any process can take the job up where it stopped.
    source: Mapped[str | None] = mapped_column(Text)
    # The runner holding the job, and until when (jobs.runner); runs started so far.
    lease_owner: Mapped[str | None] = mapped_column(String(100))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))


class ImportRowError(Model):
    """Why one row of an import was refused."""

    __tablename__ = "import_row_errors"
    __table_args__ = (Index("ix_import_row_errors_job", "job_id", "row"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    job_id: Mapped[str] = mapped_column(String(25))
    row: Mapped[int] = mapped_column(Integer)
    message: Mapped[str] = mapped_column(Text)


class ExportJob(Model):
    """A ZIP export of QR Codes: built in parts kept in the storage, then one file there."""

    __tablename__ = "export_jobs"
    __table_args__ = (Index("ix_export_jobs_status", "status", "created_at"),)

    id: Mapped[str] = mapped_column(String(25), primary_key=True, default=new_id)
    user_id: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(10), default=JobStatus.QUEUED)  # JobStatus.EXPIRED once its file is removed
    # [[QR Code id, file stem], …] fixed at the start; formats comma-separated.
    items: Mapped[str] = mapped_column(Text)
    formats: Mapped[str] = mapped_column(String(100))
    total: Mapped[int] = mapped_column(Integer, default=0)
    processed: Mapped[int] = mapped_column(Integer, default=0)
    parts: Mapped[int] = mapped_column(Integer, default=0)
    size_bytes: Mapped[int | None] = mapped_column(BigInteger)
    message: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lease_owner: Mapped[str | None] = mapped_column(String(100))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))


class BulkJob(Model):
    """A bulk create of the API (``POST /api/qrcodes/bulk``): its items are checked (each
    image decoded) in the job, then the valid ones inserted in one transaction."""

    __tablename__ = "bulk_jobs"
    __table_args__ = (Index("ix_bulk_jobs_status", "status", "created_at"),)

    id: Mapped[str] = mapped_column(String(25), primary_key=True, default=new_id)
    user_id: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(10), default=JobStatus.QUEUED)
    # The request's items (JSON), until the job is done; then the answer, item by item.
    # Deferred: up to the request's size each, read only by what needs them.
    items: Mapped[str | None] = mapped_column(Text, deferred=True)
    results: Mapped[str | None] = mapped_column(Text, deferred=True)
    total: Mapped[int] = mapped_column(Integer, default=0)
    checked: Mapped[int] = mapped_column(Integer, default=0)
    message: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lease_owner: Mapped[str | None] = mapped_column(String(100))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))


class KeptLogo(Model):
    """A logo in the image storage (``design.logos``), and when it was last kept: one that
    no QR Code names for a day is removed (an upload never saved, a code since deleted)."""

    __tablename__ = "kept_logos"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    kept_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DestinationCheck(Model):
    """The health of one destination URL (``links.health``), however many QR Codes send
    scans to it: it is fetched once a period, whoever links to it (``DestinationLink``).
    ``failures`` counts the failed checks in a row; two make it broken (``broken_since``
    is then the first of them). Claimed for a check with a lease, as jobs are."""

    __tablename__ = "destination_checks"
    __table_args__ = (Index("ix_destination_checks_due_at", "due_at"),
                      # the list's ``destinationStatus`` (``filters.destination_condition``)
                      Index("ix_destination_checks_broken_since", "broken_since"),
                      Index("ix_destination_checks_checked_at", "checked_at"))

    url_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    url: Mapped[str] = mapped_column(Text)
    #: the URL's host, lower case: what the limit per host counts
    host: Mapped[str] = mapped_column(String(253))
    #: the last check's HTTP status (of the last hop), or null when none came (see ``error``)
    status: Mapped[int | None] = mapped_column(Integer)
    #: why no status came, or what else was wrong (``safe_fetch.KINDS``: dns, private, timeout…)
    error: Mapped[str | None] = mapped_column(String(20))
    final_url: Mapped[str | None] = mapped_column(Text)
    failures: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_ok_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    failing_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    broken_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    lease_owner: Mapped[str | None] = mapped_column(String(100))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)


class DestinationLink(Model):
    """That a QR Code sends scans to a destination; ``told_broken_at``: when its owner was
    told it broke (``codeqr_destination_broken``), null while it works."""

    __tablename__ = "destination_links"
    __table_args__ = (Index("ix_destination_links_url_hash", "url_hash", "qrcode_id"),)

    qrcode_id: Mapped[str] = mapped_column(ForeignKey("qrcodes.id", ondelete="CASCADE"), primary_key=True)
    url_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    told_broken_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class DestinationHost(Model):
    """The requests of the destination checks to one host in the current minute (the
    limit per host, shared by every process)."""

    __tablename__ = "destination_hosts"

    host: Mapped[str] = mapped_column(String(253), primary_key=True)
    window_start: Mapped[datetime] = mapped_column(UTCDateTime)
    requests: Mapped[int] = mapped_column(Integer, default=0)


class ReplaceUrlsJob(Model):
    """A find and replace of destinations (``POST /api/qrcodes/replace-urls`` with ``apply``):
    the matching QR Codes are rewritten in chunks of ids, ``last_id`` the end of the last
    chunk committed (a job taken up again goes on after it)."""

    __tablename__ = "replace_urls_jobs"
    __table_args__ = (Index("ix_replace_urls_jobs_status", "status", "created_at"),)

    id: Mapped[str] = mapped_column(String(25), primary_key=True, default=new_id)
    user_id: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(10), default=JobStatus.QUEUED)
    find: Mapped[str] = mapped_column(Text)
    replace: Mapped[str] = mapped_column(Text)
    # The request's filters (JSON, by API names), read again by each chunk.
    filters: Mapped[str] = mapped_column(Text)
    total: Mapped[int] = mapped_column(Integer, default=0)
    done: Mapped[int] = mapped_column(Integer, default=0)
    changed: Mapped[int] = mapped_column(Integer, default=0)
    # The codes refused, with why (JSON list of ``{qrcodeId, field, error}``).
    refused: Mapped[str] = mapped_column(Text, default="[]")
    last_id: Mapped[str | None] = mapped_column(String(25))
    message: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lease_owner: Mapped[str | None] = mapped_column(String(100))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
