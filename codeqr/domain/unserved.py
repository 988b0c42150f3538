"""Stored QR Codes this instance does not serve: made on a development default, or before
the domain changed, or restored from another instance. Their short links answer 404."""

from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from ..persistence.extensions import db
from .models import QRCode


def unserved_domains(served: list[str]) -> dict[str, int]:
    """Each stored domain not in ``served``, with how many QR Codes use it (most first); empty
    when the database cannot say (unreachable, no schema yet: the command reports that itself)."""
    count = func.count()
    query = (select(QRCode.domain, count).where(QRCode.domain.not_in(served))
             .group_by(QRCode.domain).order_by(count.desc(), QRCode.domain))
    try:
        return {domain: number for domain, number in db.session.execute(query)}
    except SQLAlchemyError:
        db.session.rollback()
        return {}


def warnings(served: list[str]) -> list[str]:
    """One line per domain not served, saying which setting serves it."""
    return [f"{number} QR Code{'s use' if number != 1 else ' uses'} the domain {domain}, which is not served: "
            f"add it to CODEQR_DOMAINS to serve {'them' if number != 1 else 'it'}"
            for domain, number in unserved_domains(served).items()]
