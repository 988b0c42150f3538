"""The domains this instance serves: those of the settings (``CODEQR_DOMAINS``, which stay as
they are: no one removes them but whoever edits the settings) and those admins add as data
(``models.ServedDomain``: ``/api/domains``, the Domains page). Each may say where its root
(``target``) and a key no QR Code has (``notFoundUrl``) go, and give the form an example
destination (``placeholder``). A domain that QR Codes or old links use cannot be removed.

The redirect learns of domains added or changed by another process within
``CODEQR_ROUTING_CACHE_SECONDS`` (``ServedDomains``): a scan of a key on a host of the settings
never reads the table; the table is read at most once in that time for any other host, an unknown
key or a domain's root.
"""

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel
from sqlalchemy import func, select

from ..accounts.permissions import Permission
from ..contents.values import Url
from ..context import Context
from ..errors import Conflict, InvalidInput, NotFound
from ..persistence.database import begin_write
from ..persistence.extensions import db
from . import folders
from .models import Alias, QRCode, ServedDomain
from .schemas import Domain, Timestamp


class _Body(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, extra="forbid", strict=True)


class DomainCreate(_Body):
    """A domain to serve: its name, and where its root and unknown keys go."""

    slug: Domain = Field(description="the domain's name (host, or host:port), as people will scan it")
    target: Url | None = Field(None, description="where the domain's root (/) goes (null: CodeQR's own page)")
    not_found_url: Url | None = Field(None, description="where a key no QR Code has goes (null: a 404 page)")
    placeholder: Url | None = Field(None, description="the example destination the web form shows for this domain")


class DomainUpdate(_Body):
    """The fields sent change; a domain keeps its name (QR Codes are printed with it)."""

    target: Url | None = None
    not_found_url: Url | None = None
    placeholder: Url | None = None


class DomainOut(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)

    slug: str
    target: str | None
    not_found_url: str | None
    placeholder: str | None
    from_settings: bool = Field(description="read-only: served by the settings (CODEQR_DOMAINS); it cannot be removed "
                                            "here, only its URLs changed")
    primary: bool = Field(description="read-only: the default domain of new QR Codes (CODEQR_DEFAULT_DOMAIN)")
    qrcodes: int = Field(description="read-only: how many QR Codes use it")
    created_at: Timestamp | None = Field(description="when it was added or its URLs first set (null: never)")
    updated_at: Timestamp | None


def served(ctx: Context) -> list[str]:
    """Every domain served, those of the settings first (the default first of all)."""
    added = db.session.scalars(select(ServedDomain.slug).order_by(ServedDomain.slug))
    settings = list(ctx.config["CODEQR_DOMAINS"])
    return settings + [slug for slug in added if slug not in settings]


def domain_problem(domain: str, ctx: Context) -> InvalidInput | None:
    """Why a QR Code cannot take ``domain`` (None: it is served). One added as data is read for
    share: its removal waits for the save (and then finds the code), or the save for the removal."""
    domain = domain.lower()
    if domain in ctx.config["CODEQR_DOMAINS"] or db.session.scalar(
            select(ServedDomain.slug).where(ServedDomain.slug == domain).with_for_update(read=True)) is not None:
        return None
    every = ", ".join(served(ctx))
    return InvalidInput(f"{domain!r} is not served by this instance (served: {every})", "domain",
                        sentence=f"This instance does not serve {domain}. Choose one of: {every}.")


def examples(ctx: Context) -> dict[str, str]:
    """The example destination (``placeholder``) of each domain that has one, for the form."""
    rows = db.session.execute(select(ServedDomain.slug, ServedDomain.placeholder))
    return {slug: placeholder for slug, placeholder in rows if placeholder}


def list_all(ctx: Context) -> list[DomainOut]:
    """Every domain served, with its URLs and how many QR Codes use it (anyone may read)."""
    rows = {row.slug: row for row in db.session.scalars(select(ServedDomain))}
    used: dict[str, int] = {domain: count for domain, count in db.session.execute(
        select(QRCode.domain, func.count()).where(*_seen(ctx)).group_by(QRCode.domain))}
    return [_out(slug, rows.get(slug), used.get(slug, 0), ctx) for slug in served(ctx)]


def get(slug: str, ctx: Context) -> DomainOut:
    slug = slug.lower()
    if slug not in served(ctx):
        raise NotFound(f"this instance does not serve {slug!r}")
    used = db.session.scalar(select(func.count()).select_from(QRCode).where(QRCode.domain == slug, *_seen(ctx))) or 0
    return _out(slug, db.session.get(ServedDomain, slug), used, ctx)


def _seen(ctx: Context) -> list:
    """The condition (none or one) on the QR Codes ``ctx.actor`` sees: the counts count no others."""
    condition = folders.visible(ctx.actor)
    return [] if condition is None else [condition]


def _out(slug: str, row: ServedDomain | None, used: int, ctx: Context) -> DomainOut:
    return DomainOut(slug=slug, target=row.target if row else None, not_found_url=row.not_found_url if row else None,
                     placeholder=row.placeholder if row else None, from_settings=slug in ctx.config["CODEQR_DOMAINS"],
                     primary=slug == ctx.config["CODEQR_DEFAULT_DOMAIN"], qrcodes=used,
                     created_at=row.created_at if row else None, updated_at=row.updated_at if row else None)


def create(data: DomainCreate, ctx: Context) -> DomainOut:
    """Serve a new domain (admins)."""
    ctx.actor.require(Permission.SETTINGS)
    slug = data.slug.lower()
    _check_name(slug)
    with begin_write():
        if slug in served(ctx):
            raise Conflict(f"{slug!r} is served already", "slug", sentence=f"{slug} is served already.")
        now = ctx.now()
        db.session.add(ServedDomain(slug=slug, target=data.target, not_found_url=data.not_found_url,
                                    placeholder=data.placeholder, created_at=now, updated_at=now))
    ctx.state.served_domains.forget()
    return get(slug, ctx)


def _check_name(slug: str) -> None:
    """Refuse a name no browser could reach: an empty label, a label of more than 63
    characters, or one starting or ending with a hyphen."""
    host = slug.rsplit(":", 1)[0] if ":" in slug else slug
    labels = host.split(".")
    if any(not label or len(label) > 63 or label.startswith("-") or label.endswith("-") for label in labels):
        raise InvalidInput(f"{slug!r} is not a domain name", "slug",
                           sentence=f"“{slug}” is not a domain name: write it as people will type it, such as "
                                    "qr.example.com.")


def update(slug: str, data: DomainUpdate, ctx: Context) -> DomainOut:
    """Change where a domain's root and unknown keys go, or its example (admins); a domain of
    the settings may have these too."""
    ctx.actor.require(Permission.SETTINGS)
    slug = slug.lower()
    with begin_write():
        if slug not in served(ctx):
            raise NotFound(f"this instance does not serve {slug!r}")
        row = db.session.get(ServedDomain, slug)
        now = ctx.now()
        if row is None:  # a domain of the settings, given URLs for the first time
            row = ServedDomain(slug=slug, created_at=now)
            db.session.add(row)
        for name in data.model_fields_set:
            setattr(row, name, getattr(data, name))
        row.updated_at = now
    ctx.state.served_domains.forget()
    return get(slug, ctx)


def delete(slug: str, ctx: Context) -> dict:
    """Stop serving a domain added as data (admins): refused while a QR Code or an old link
    uses it, and for a domain of the settings."""
    ctx.actor.require(Permission.SETTINGS)
    slug = slug.lower()
    if slug in ctx.config["CODEQR_DOMAINS"]:
        raise Conflict(f"{slug!r} is served by the settings (CODEQR_DOMAINS): remove it there",
                       sentence=f"{slug} is in the instance's settings: whoever runs CodeQR removes it there.")
    with begin_write():
        # Locked first: a save taking this domain meanwhile waits (and is then counted) or is refused.
        row = db.session.get(ServedDomain, slug, with_for_update=True)
        if row is None:
            raise NotFound(f"this instance does not serve {slug!r}")
        used = db.session.scalar(select(func.count()).select_from(QRCode).where(QRCode.domain == slug)) or 0
        old = db.session.scalar(select(func.count()).select_from(Alias).where(Alias.domain == slug)) or 0
        if used or old:
            what = f"{used} QR Code{'s' if used != 1 else ''}" if used else f"{old} old link{'s' if old != 1 else ''}"
            raise Conflict(f"{slug!r} is used by {what}", sentence=f"{slug} is used by {what}: move or delete "
                           "them first, or printed codes would stop working.")
        db.session.delete(row)
    ctx.state.served_domains.forget()
    return {"slug": slug}


@dataclass(frozen=True)
class Kept:
    """What the redirect needs of a domain: where its root and unknown keys go."""

    target: str | None
    not_found_url: str | None


class ServedDomains:
    """The domains of the table, kept per process for ``seconds`` (the redirect asks for
    every host it does not know from the settings, and for unknown keys)."""

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic):
        self._seconds, self._clock = seconds, clock
        self._kept: tuple[float, Mapping[str, Kept]] | None = None
        self._generation = 0
        self._lock = threading.Lock()

    def forget(self) -> None:
        """Read the table again at the next question (this process changed it)."""
        self._generation += 1
        self._kept = None

    def _rows(self) -> Mapping[str, Kept]:
        kept = self._kept
        if kept is not None and self._clock() < kept[0]:
            return kept[1]
        with self._lock:
            kept = self._kept  # another thread may have read it while this one waited
            if kept is not None and self._clock() < kept[0]:
                return kept[1]
            generation = self._generation
            rows = {row.slug: Kept(row.target, row.not_found_url)
                    for row in db.session.scalars(select(ServedDomain))}
            if generation == self._generation:  # not forgotten meanwhile: what was read is current
                self._kept = (self._clock() + self._seconds, rows)
            return rows

    def domain_of(self, host: str) -> str | None:
        """The domain added as data a request's ``host`` names, or None."""
        return host if host in self._rows() else None

    def of(self, domain: str) -> Kept | None:
        """Where the root and unknown keys of ``domain`` go (None: nowhere said)."""
        return self._rows().get(domain)

