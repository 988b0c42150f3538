"""codeqr-webhooks: POST a signed JSON event to configured URLs on every QR Code event.

Settings (``CODEQR_WEBHOOKS_*``): ``URLS`` (comma-separated in the environment), ``SECRET``
(HMAC key), ``EVENTS`` (default all of them), ``MAX_ATTEMPTS``, ``BACKOFF_SECONDS``,
``TIMEOUT_SECONDS``. See README.md for the payload and how to check signatures.
"""

from importlib.resources import files

import click
from sqlalchemy import select

import codeqr
from codeqr import db

from .models import Delivery
from .sender import Sender, sign

__all__ = ["sender_for", "sign"]
__version__ = "0.1.0"
EVENTS = ["qrcode.created", "qrcode.updated", "qrcode.deleted", "qrcode.scanned", "destination.broken",
          "destination.fixed"]


def sender_for(app) -> Sender:
    """The app's sender, made on first use (one queue and thread per app)."""
    sender = app.extensions.get("codeqr_webhooks")
    if sender is None:
        sender = app.extensions.setdefault("codeqr_webhooks", Sender(app))
    return sender


def _publish(app, event_type: str, data: dict) -> None:
    sender = sender_for(app)
    if sender.wants(event_type):
        sender.publish(event_type, data)


@codeqr.hookimpl
def codeqr_config_defaults():
    return {
        "CODEQR_WEBHOOKS_URLS": [],
        "CODEQR_WEBHOOKS_SECRET": "",
        "CODEQR_WEBHOOKS_EVENTS": list(EVENTS),
        "CODEQR_WEBHOOKS_MAX_ATTEMPTS": 5,
        "CODEQR_WEBHOOKS_BACKOFF_SECONDS": 2.0,  # numbers: fractions allowed
        "CODEQR_WEBHOOKS_TIMEOUT_SECONDS": 5.0,
    }


@codeqr.hookimpl
def codeqr_migration_locations():
    return [str(files(__name__) / "migrations")]


@codeqr.hookimpl
def codeqr_qrcode_created(app, qrcode):
    _publish(app, "qrcode.created", {"qrcode": qrcode})


@codeqr.hookimpl
def codeqr_qrcode_updated(app, qrcode, changes):
    _publish(app, "qrcode.updated", {"qrcode": qrcode, "changes": changes})


@codeqr.hookimpl
def codeqr_qrcode_deleted(app, qrcode):
    _publish(app, "qrcode.deleted", {"qrcode": qrcode})


@codeqr.hookimpl
def codeqr_qrcode_scanned(app, event):
    qrcode = {"id": event["qrcodeId"], "domain": event["domain"], "key": event["key"], "url": event["url"]}
    _publish(app, "qrcode.scanned", {"qrcode": qrcode, "interaction": event})


@codeqr.hookimpl
def codeqr_destination_broken(app, qrcode, url, status, since):
    _publish(app, "destination.broken", {"qrcode": qrcode, "url": url, "status": status, "since": since})


@codeqr.hookimpl
def codeqr_destination_fixed(app, qrcode, url, status):
    _publish(app, "destination.fixed", {"qrcode": qrcode, "url": url, "status": status})


@click.command("webhook-deliveries", short_help="List recent webhook deliveries.")
@click.option("--failed", is_flag=True, help="only the deliveries that failed")
@click.option("--limit", default=50, show_default=True)
def webhook_deliveries(failed: bool, limit: int):
    """List recent webhook deliveries: status, attempts, last answer."""
    query = select(Delivery).order_by(Delivery.id.desc()).limit(limit)
    if failed:
        query = query.where(Delivery.status == "failed")
    for delivery in db.session.scalars(query):
        answer = delivery.response_status or delivery.error or ""
        click.echo(f"{delivery.created_at:%Y-%m-%d %H:%M:%S}\t{delivery.event_type}\t{delivery.status}\t"
                   f"{delivery.attempts} attempt(s)\t{answer}\t{delivery.url}")


@codeqr.hookimpl
def codeqr_cli_commands():
    return [webhook_deliveries]
