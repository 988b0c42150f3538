"""GS1 Digital Link: a GTIN (and batch, serial, expiry) as a URI path on the instance's
domain, which CodeQR then answers as a resolver."""

from datetime import date

from pydantic import Field

from .values import Payload


class Gs1(Payload):
    gtin: str
    batch: str | None = None
    serial: str | None = None
    expiry: date | None = None
    link_types: dict[str, str] = Field(default_factory=dict)
