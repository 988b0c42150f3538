"""One QR Code found by what a client knows of it: its short link (domain and key, an old
link too), its id or its externalId (CodeQR's ``/qrcodes/info``)."""

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel
from sqlalchemy import select

from ..accounts.permissions import Actor
from ..context import Context
from ..errors import InvalidInput, NotFound
from ..persistence.extensions import db
from . import aliases, folders
from .models import QRCode
from .qrcodes import out_of, seen_by
from .schemas import Domain, ExternalId, Key, QRCodeOut


class InfoQuery(BaseModel):
    """How to find the QR Code: ``domain`` and ``key``, ``qrcodeId`` or ``externalId``; the
    ways given must all find the same one."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)

    domain: Domain | None = Field(None, description="the domain of its short link (with key)")
    key: Key | None = Field(None, description="the key of its short link, or of an old link of it (with domain)")
    qrcode_id: str | None = Field(None, max_length=100, description="its id")
    external_id: ExternalId | None = Field(None, description="its externalId, with or without the ext_ prefix")


def _by_link(domain: str, key: str, actor: Actor) -> str | None:
    """The id of the QR Code ``actor`` sees whose short link, or old link (``aliases``), is ``domain``/``key``."""
    domain = domain.lower()
    own = db.session.scalar(select(QRCode.id).where(QRCode.domain == domain, QRCode.key == key, *seen_by(actor)))
    return own or aliases.owner_of(domain, key)


def _by_external_id(external_id: str, actor: Actor) -> str | None:
    """CodeQR prefixes an externalId with ``ext_``: without it first, then as sent (an
    externalId of its own beginning with ``ext_``), among the QR Codes ``actor`` sees."""
    candidates = [external_id.removeprefix("ext_"), external_id]
    for candidate in dict.fromkeys(candidates):
        found = db.session.scalar(select(QRCode.id).where(QRCode.external_id == candidate, *seen_by(actor)))
        if found is not None:
            return found
    return None


def find(query: InfoQuery, ctx: Context) -> QRCodeOut:
    """The QR Code ``query`` names, if ``ctx.actor`` sees it; ``NotFound`` otherwise,
    ``InvalidInput`` when it names none."""
    if (query.domain is None) != (query.key is None):
        missing = "key" if query.key is None else "domain"
        raise InvalidInput("domain and key go together", missing, sentence="Give the short link's domain and key.")
    found: list[str | None] = []
    if query.domain is not None and query.key is not None:
        found.append(_by_link(query.domain, query.key, ctx.actor))
    if query.qrcode_id is not None:
        found.append(query.qrcode_id if db.session.get(QRCode, query.qrcode_id) is not None else None)
    if query.external_id is not None:
        found.append(_by_external_id(query.external_id, ctx.actor))
    if not found:
        raise InvalidInput("give domain and key, qrcodeId or externalId",
                           sentence="Say which QR Code: its domain and key, its id or its externalId.")
    qr = db.session.get(QRCode, found[0]) if found[0] is not None and len(set(found)) == 1 else None
    if qr is None or not folders.may_see(qr.folder_id, ctx.actor):
        raise NotFound("no QR Code matches " + ", ".join(f"{name}={value!r}" for name, value in query.model_dump(
            by_alias=True, exclude_none=True).items()))
    return out_of(qr, ctx)
