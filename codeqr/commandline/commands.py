"""CodeQR's commands for operators: API keys, users, backups, plugins (``codeqr --help``
lists them; ``app_commands`` adds them to each app's CLI, ``cli`` to the ``codeqr`` group). They act
as the operator (``for_operator()``), said at each call: services take no default."""

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from ..accounts import apikeys, users
from ..accounts.permissions import DEFAULT_ROLE, ROLES, SCOPES, Role
from ..context import for_operator
from ..domain import qrcodes
from ..errors import CodeQRError
from ..pluginmanager import loaded_plugins
from ..state import app_state


def counted(number: int, noun: str) -> str:
    """``1 QR Code``, ``2 QR Codes``, ``0 images``."""
    return f"{number} {noun}{'' if number == 1 else 's'}"


@click.command("create-api-key", short_help="Create an API key (shown once).")
@click.argument("name")
@click.option("--scope", type=click.Choice(SCOPES), default="all", show_default=True,
              help="read_only keys get 403 on any change")
@click.option("--user", "email", help="the owner's email (default: the first admin; no one if there are no users)")
@with_appcontext
def create_api_key(name: str, scope: str, email: str | None):
    """Create an API key; it is printed once, on the last line."""
    try:
        owner = users.by_email(email) if email else users.first_admin()
        key, secret = apikeys.create(name, owner=owner, scope=scope, ctx=for_operator())
    except CodeQRError as error:
        raise click.ClickException(error.message) from None
    whose = f"of {owner.email} ({owner.role})" if owner else "of no user (an admin's rights)"
    click.echo(f"Created API key {key.name!r} ({key.prefix}…), scope {key.scope}, {whose}. "
               "Store it now; it cannot be shown again:")
    click.echo(secret)


@click.command("revoke-api-key", short_help="Revoke API keys by name or prefix.")
@click.argument("name_or_prefix")
@with_appcontext
def revoke_api_key(name_or_prefix: str):
    """Revoke the API keys with this name (or prefix)."""
    try:
        revoked = apikeys.revoke(name_or_prefix, for_operator())
    except CodeQRError as error:
        raise click.ClickException(error.message) from None
    click.echo(f"Revoked {counted(revoked, 'API key')}.")


@click.command("list-api-keys", short_help="List API keys.")
@with_appcontext
def list_api_keys():
    """List API keys: name, prefix, scope, owner, created, last used, state."""
    keys = apikeys.list_keys(for_operator())
    if not keys:
        click.echo("No API keys. Make one with: codeqr create-api-key NAME")
        return
    rows = [("NAME", "PREFIX", "SCOPE", "OWNER", "CREATED", "LAST USED", "STATE")]
    for key in keys:
        rows.append((key.name, f"{key.prefix}…", key.scope, key.owner.email if key.owner else "-",
                     f"{key.created_at:%Y-%m-%d}", f"{key.last_used_at:%Y-%m-%d %H:%M}" if key.last_used_at else "never",
                     f"revoked {key.revoked_at:%Y-%m-%d}" if key.revoked_at else "active"))
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    for row in rows:
        click.echo("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())


@click.command("create-user", short_help="Create a user of the web UI.")
@click.argument("email")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True,
              help=f"at least {users.MIN_PASSWORD} characters; asked for when not given")
@click.option("--role", type=click.Choice(ROLES), default=DEFAULT_ROLE.value, show_default=True,
              help="admin: users and every key; member: QR Codes and own keys; viewer: reads")
@with_appcontext
def create_user(email: str, password: str, role: str):
    """Create a user of the web UI (the first one is always an admin)."""
    try:
        user = users.create(email, password, role=Role.ADMIN if not users.has_users() else role, ctx=for_operator())
    except CodeQRError as error:
        raise click.ClickException(error.message) from None
    click.echo(f"Created {user.role} {user.email}.")


@click.command("backup", short_help="Back up the database, images and secret key.")
@click.argument("destination", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--without-images", is_flag=True, help="leave the images out (they are rendered again when asked for)")
@with_appcontext
def backup(destination: Path, without_images: bool):
    """Write the database (SQLite), images and secret key to one archive (.tar.gz)."""
    from ..operations import backups

    url = current_app.config["SQLALCHEMY_DATABASE_URI"]
    try:
        with click.progressbar(length=backups.count()["qrcodes"], label="QR Codes", show_pos=True,
                               file=sys.stderr) as bar:
            manifest = backups.backup(destination, for_operator(), images=not without_images, progress=bar.update)
    except CodeQRError as error:
        raise click.ClickException(error.message) from None
    click.echo(f"Backed up {counted(manifest['qrcodes'], 'QR Code')} ({counted(manifest['scans'], 'scan')}), "
               f"{counted(manifest['images'], 'image')}"
               f"{', the secret key' if manifest['secretKey'] else ''} to {destination}.")
    if manifest["database"] is None:
        click.echo("The PostgreSQL database is not in the archive: copy it with pg_dump (a consistent snapshot "
                   f"while CodeQR runs; use the pg_dump of the server's version):\n  {backups.pg_dump_command(url)}")


@click.command("restore", short_help="Restore a backup into this instance.")
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="replace an instance that has QR Codes already")
@with_appcontext
def restore(source: Path, force: bool):
    """Restore a backup into this instance (stop its servers first)."""
    from ..operations import backups

    url = current_app.config["SQLALCHEMY_DATABASE_URI"]
    try:
        with click.progressbar(length=backups.read_manifest(source)["images"], label="Images", show_pos=True,
                               file=sys.stderr) as bar:
            manifest = backups.restore(source, for_operator(), force=force, progress=bar.update)
    except CodeQRError as error:
        raise click.ClickException(error.message) from None
    click.echo(f"Restored {source} (made {manifest['createdAt']}): {counted(manifest['qrcodes'], 'QR Code')}, "
               f"{counted(manifest['scans'], 'scan')}, {counted(manifest['images'], 'image')}.")
    if manifest["database"] is None:
        click.echo("This backup was made on PostgreSQL: restore its pg_dump file into the database with:\n  "
                   f"{backups.pg_restore_command(url)}")


@click.command("sweep-logos", short_help="Remove the logos no QR Code names.")
@with_appcontext
def sweep_logos():
    """Remove the logos no QR Code names, last kept longer ago than CODEQR_LOGO_GRACE_HOURS
    (the job runner does it hourly in each process too)."""
    from ..design import logo_sweep

    click.echo(f"Removed {counted(logo_sweep.sweep(for_operator()), 'logo')}.")


@click.command("check-destinations", short_help="Check the destinations of QR Codes now.")
@click.option("--id", "qrcode_id", default=None, help="check this QR Code's destinations, due or not")
@with_appcontext
def check_destinations(qrcode_id: str | None):
    """Check the destinations that are due now (those of one QR Code with --id, due or not), as
    the job runner does in the background (CODEQR_DESTINATION_CHECKS), and say what was found."""
    from ..links import health

    ctx = for_operator()
    if not ctx.config["CODEQR_DESTINATION_CHECKS"]:
        raise click.ClickException("the destination checks are off (CODEQR_DESTINATION_CHECKS)")
    try:
        ref = qrcodes.get(qrcode_id, ctx).id if qrcode_id else None
        checked = health.sweep(ctx, qrcode_id=ref)
        click.echo(f"Checked {counted(checked, 'destination')}.")
        if ref is not None:
            for destination in health.of_qrcode(ref, ctx).destinations:
                click.echo(f"{destination.url}\t{destination.state}\t{destination.sentence}")
    except CodeQRError as error:
        raise click.ClickException(error.message) from None


@click.command("plugins", short_help="List plugins, their versions and hooks.")
@with_appcontext
def plugins():
    """List loaded plugins with their versions and hooks."""
    for row in loaded_plugins(app_state().pm):
        click.echo(f"{row['name']} {row['version']}: {', '.join(row['hooks'])}")


OPERATOR_COMMANDS = (create_api_key, revoke_api_key, list_api_keys, create_user, backup, restore, sweep_logos,
                     check_destinations, plugins)
