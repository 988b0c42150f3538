"""How a QR Code's content is kept in its row: the type's payload in the JSON ``content``
column, and in ``url`` the destination (types ``url`` and ``gs1``), the link a phone follows
(``sms:``, ``tel:``…) or the text the content encodes to (the others), so upsert, search and
the scan records find every type by it."""

import hashlib
from collections.abc import Mapping
from functools import cache
from typing import Any

from pydantic import BaseModel, TypeAdapter

from . import gs1
from .registry import PAYLOADS, TYPES, WITH_URL


def encoded(type_name: str, payload: Any) -> str:
    """The text a static QR Code of ``type_name`` holds."""
    encode = TYPES[type_name].encode
    if encode is None:
        raise ValueError(f"a QR Code of type {type_name} cannot be static")
    return encode(payload)


def gs1_link(config: Mapping[str, Any], domain: str, payload: "gs1.Gs1") -> str:
    """The GS1 Digital Link URI of ``payload`` on ``domain``: what a gs1 QR Code encodes."""
    return f"{config['CODEQR_SCHEME']}://{domain}{gs1.digital_link_path(payload)}"


def lookup_text(type_name: str, url: str | None, payload: Any) -> str:
    """What the ``url`` column holds for a QR Code of this content (upsert finds it by this):
    its url, else the link a phone follows (where a redirect goes, as its scans record it),
    else the text its content encodes to."""
    if type_name in WITH_URL:
        assert url is not None, "types with a url are checked to have one"
        return url
    link = TYPES[type_name].link
    return link(payload) if link is not None else encoded(type_name, payload)


def stored_columns(type_name: str, values: Mapping[str, Any]) -> dict[str, Any]:
    """The ``url`` and ``content`` columns of a QR Code whose content fields are ``values``."""
    kind = TYPES[type_name]
    payload = values.get(kind.field)
    content = None if kind.field == "url" else payload
    if isinstance(content, BaseModel):
        content = content.model_dump(mode="json")
    return {"url": lookup_text(type_name, values.get("url"), payload), "content": content}


@cache
def _reader(field: str) -> TypeAdapter:
    # Read with strict=False: JSON keeps dates and decimals as text.
    return TypeAdapter(PAYLOADS[field])


def stored_payloads(type_name: str, url: str, content: Any) -> dict[str, Any]:
    """The ``url`` and payload fields of a row of ``type_name`` (each null but its type's)."""
    values: dict[str, Any] = {"url": url if type_name in WITH_URL else None} | dict.fromkeys(PAYLOADS)
    field = TYPES[type_name].field
    if field != "url":
        values[field] = payload_of(type_name, content)
    return values


def payload_of(type_name: str, content: Any) -> Any:
    """The payload kept as ``content`` in a row of ``type_name`` (not url: that is the url)."""
    return _reader(TYPES[type_name].field).validate_python(content, strict=False)


def gs1_key(gtin: str, batch: str | None, serial: str | None) -> str:
    """The key of the gs1 QR Code answering a GTIN (with a batch, a serial): made of them, so
    the resolver finds the code by the unique (domain, key) index and no two codes of one
    domain answer the same Digital Link."""
    identity = "\n".join((gtin.zfill(14), batch or "", serial or ""))
    return "gs1-" + hashlib.sha256(identity.encode()).hexdigest()[:24]


def product_key(product: "gs1.Gs1") -> str:
    """The key of the gs1 QR Code of ``product`` (``gs1_key`` of its GTIN, batch and serial)."""
    return gs1_key(product.gtin, product.batch, product.serial)
