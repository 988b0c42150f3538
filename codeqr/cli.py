"""The ``codeqr`` command: Flask's CLI plus CodeQR's own commands."""

import copy
import os
import sys
from importlib.resources import files
from pathlib import Path

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from . import apikeys, unserved, users
from .config import EVERY_INTERFACE
from .errors import CodeQRError, ConfigurationError
from .extensions import db
from .permissions import ROLES, SCOPES
from .pluginmanager import loaded_plugins
from .state import app_state


#: Set in the command's context when it only asks for help: the app built then writes nothing.
_HELP_ONLY = "codeqr.help_only"


def load_app(served_at: str | None = None, listing_only: bool = False):
    """Build the app for a command; a bad setting ends the command in one line (status 2)."""
    from .app import create_app

    try:
        app = create_app(served_at=served_at, listing_only=listing_only)
    except ConfigurationError as error:
        # One line, and a status that says "usage": not a traceback, not a help text
        # without CodeQR's own commands.
        click.echo(f"CodeQR cannot start: {error}", err=True)
        sys.exit(2)
    if not listing_only:
        click.echo(f"CodeQR: instance {app.instance_path}, database {_shown_url(app)}", err=True)
        with app.app_context():
            for line in unserved.warnings(app.config["CODEQR_DOMAINS"]):
                click.echo(f"CodeQR: {line}", err=True)
    return app


def _shown_url(app) -> str:
    return make_url(app.config["SQLALCHEMY_DATABASE_URI"]).render_as_string(hide_password=True)


def announce_domain(app, served_at: str) -> None:
    """Say where short links point, and warn when it is only a development default."""
    config = app.config
    line = f"CodeQR: short links use {config['CODEQR_SCHEME']}://{config['CODEQR_DEFAULT_DOMAIN']}/"
    if config["CODEQR_DEVELOPMENT_DOMAIN"]:
        why = "a development default, from the address served"
        if served_at.rpartition(":")[0].strip("[]") in EVERY_INTERFACE:
            why = ("no network address found, so only this machine opens them; " + why
                   if config["CODEQR_DEFAULT_DOMAIN"].startswith("localhost") else
                   "this machine's address on its network, as it listens on every interface: a phone on the same "
                   "network can scan them; " + why)
        line += f" ({why}: set CODEQR_DEFAULT_DOMAIN to the domain people will scan before printing QR Codes)"
    click.echo(line, err=True)


def announce_setup(app) -> None:
    """While there is no account, say how to make the first one: ``/setup`` answers this
    machine only, or whoever brings ``CODEQR_SETUP_TOKEN`` (printed then: it opens nothing
    once an account exists)."""
    try:
        with app.app_context():
            if users.has_users():
                return
    except SQLAlchemyError:  # the database is away: the server says so, and this can wait
        return
    config = app.config
    page = f"{config['CODEQR_SCHEME']}://{config['CODEQR_DEFAULT_DOMAIN']}/setup"
    if config["CODEQR_SETUP_TOKEN"]:
        where = f"at {page}?token={config['CODEQR_SETUP_TOKEN']}"
    else:
        where = (f"at {page} in a browser on this machine (set CODEQR_SETUP_TOKEN to open it from "
                 "elsewhere)")
    click.echo(f"CodeQR: no account yet: make the first (admin) one with 'codeqr create-user EMAIL', or {where}",
               err=True)


def _create_app():
    """The app of the command being run (Flask's CLI calls this when a command needs it)."""
    ctx = click.get_current_context(silent=True)
    if ctx is not None and ctx.meta.get(_HELP_ONLY):
        return load_app(listing_only=True)
    if ctx is not None and ctx.command.name == "run":  # the development server: links follow its port
        from .serving import bind_address

        served_at = bind_address(ctx.params["host"], ctx.params["port"])
        app = load_app(served_at=served_at)
        announce_domain(app, served_at)
        announce_setup(app)
        return app
    return load_app()


def _use_instance(ctx, _param, path: str | None):
    if path:
        os.environ["CODEQR_INSTANCE_PATH"] = os.path.abspath(path)  # server workers inherit it
    return path


class _Group(FlaskGroup):
    #: Commands other packages add through Flask's entry points that an operator of CodeQR
    #: does not use (Flask-Limiter's maintenance commands): not listed, still callable.
    UNLISTED = {"limiter"}

    def list_commands(self, ctx):
        return [name for name in super().list_commands(ctx) if name not in self.UNLISTED]

    def parse_args(self, ctx, args):
        # Help (of CodeQR or of one command) builds the app to list commands: it must not
        # create an instance folder or a database where the reader happens to stand.
        ctx.meta[_HELP_ONLY] = not args or "--help" in args
        return super().parse_args(ctx, args)


@click.group(cls=_Group, create_app=_create_app, add_version_option=False)
@click.option("--instance", metavar="PATH", callback=_use_instance, is_eager=True, expose_value=False,
              help="The instance folder: config.py, the SQLite database, images, secret key "
                   "(default: CODEQR_INSTANCE_PATH, else the folder every command prints).")
def main():
    """CodeQR: create, update and manage QR Codes."""


def _hidden(param: click.Parameter) -> click.Parameter:
    param = copy.copy(param)  # Flask's own options are shared objects: change a copy
    param.hidden = True
    return param


@main.command("serve", with_appcontext=False)
@click.option("--host", help="address to listen on [default: CODEQR_SERVE_HOST, 127.0.0.1]")
@click.option("--port", type=click.IntRange(1, 65535), help="port [default: CODEQR_SERVE_PORT, 8000]")
def serve(host: str | None, port: int | None):
    """Serve CodeQR in production (gunicorn; workers, threads, timeout from CODEQR_SERVE_*)."""
    from .serving import Gunicorn, MetricsFolder, bind_address, gunicorn_options

    listed = load_app(listing_only=True)  # the address first: links follow it
    with MetricsFolder(listed.instance_path):  # before the metrics are first imported: the workers inherit it
        settings = listed.config
        host, port = host or settings["CODEQR_SERVE_HOST"], port or settings["CODEQR_SERVE_PORT"]
        served_at = bind_address(host, port)
        app = load_app(served_at=served_at)  # migrates once, here, before the workers start
        announce_domain(app, served_at)
        announce_setup(app)
        options = gunicorn_options(app.config, host, port)
        app.extensions["codeqr"].database.stop()
        with app.app_context():
            db.engine.dispose()  # the workers build their own: no connection crosses the fork
        Gunicorn(options, served_at).run()


@main.command("config-example", with_appcontext=False)
def config_example():
    """Print an example config.py with every setting, commented out."""
    click.echo((files("codeqr") / "config.example.py").read_text(), nl=False)


# Flask's -e/--env-file and -A/--app mean nothing to an operator of CodeQR (they still work).
main.params = [_hidden(param) if param.name in ("env_file", "app") else param for param in main.params]
#: Of Flask-Alembic's ``db`` commands, those an operator uses; the rest (revision, merge,
#: downgrade, …) are for developers of CodeQR and plugins, and still work, unlisted.
OPERATOR_DB_COMMANDS = {"upgrade", "current", "check"}


def register(app, pm) -> None:
    """Add CodeQR's commands, and those of plugins, to the app's CLI."""
    for command in (create_api_key, revoke_api_key, list_api_keys, create_user, backup, restore, plugins):
        app.cli.add_command(command)
    migrations = app.cli.commands.get("db")
    for name, command in getattr(migrations, "commands", {}).items():
        command.hidden = name not in OPERATOR_DB_COMMANDS
    for extra in pm.hook.codeqr_cli_commands():
        for command in extra:
            if command.callback is not None:
                # A copy per app: the plugin's command object lives as long as the process, and
                # wrapping it again for each app built would nest the wrappers without end.
                command = copy.copy(command)
                command.callback = with_appcontext(command.callback)
            app.cli.add_command(command)


@click.command("create-api-key")
@click.argument("name")
@click.option("--scope", type=click.Choice(SCOPES), default="all", show_default=True,
              help="read_only keys get 403 on any change")
@click.option("--user", "email", help="the owner's email (default: the first admin; no one if there are no users)")
@with_appcontext
def create_api_key(name: str, scope: str, email: str | None):
    """Create an API key; it is printed once, on the last line."""
    try:
        owner = users.by_email(email) if email else users.first_admin()
        key, secret = apikeys.create(name, owner=owner, scope=scope)
    except CodeQRError as error:
        raise click.ClickException(error.message) from None
    whose = f"of {owner.email} ({owner.role})" if owner else "of no user (an admin's rights)"
    click.echo(f"Created API key {key.name!r} ({key.prefix}…), scope {key.scope}, {whose}. "
               "Store it now; it cannot be shown again:")
    click.echo(secret)


@click.command("revoke-api-key")
@click.argument("name_or_prefix")
@with_appcontext
def revoke_api_key(name_or_prefix: str):
    """Revoke the API keys with this name (or prefix)."""
    try:
        revoked = apikeys.revoke(name_or_prefix)
    except CodeQRError as error:
        raise click.ClickException(error.message) from None
    click.echo(f"Revoked {revoked} API key{'s' if revoked != 1 else ''}.")


@click.command("list-api-keys")
@with_appcontext
def list_api_keys():
    """List API keys: name, prefix, scope, owner, created, last used, revoked."""
    keys = apikeys.list_keys()
    if not keys:
        click.echo("No API keys. Make one with: codeqr create-api-key NAME")
    for key in keys:
        state = f"revoked {key.revoked_at:%Y-%m-%d}" if key.revoked_at else "active"
        used = f"{key.last_used_at:%Y-%m-%d %H:%M}" if key.last_used_at else "never"
        owner = key.owner.email if key.owner else "-"
        click.echo(f"{key.name}\t{key.prefix}…\t{key.scope}\t{owner}\tcreated {key.created_at:%Y-%m-%d}\t"
                   f"last used {used}\t{state}")


@click.command("create-user")
@click.argument("email")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True,
              help=f"at least {users.MIN_PASSWORD} characters; asked for when not given")
@click.option("--role", type=click.Choice(ROLES), default="member", show_default=True,
              help="admin: users and every key; member: QR Codes and own keys; viewer: reads")
@with_appcontext
def create_user(email: str, password: str, role: str):
    """Create a user of the web UI (the first one is always an admin)."""
    try:
        user = users.create(email, password, role="admin" if not users.has_users() else role)
    except CodeQRError as error:
        raise click.ClickException(error.message) from None
    click.echo(f"Created {user.role} {user.email}.")


@click.command("backup")
@click.argument("destination", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--without-images", is_flag=True, help="leave the images out (they are rendered again when asked for)")
@with_appcontext
def backup(destination: Path, without_images: bool):
    """Write the database (SQLite), images and secret key to one archive (.tar.gz)."""
    from . import backups

    url = current_app.config["SQLALCHEMY_DATABASE_URI"]
    try:
        with click.progressbar(length=backups.count()["qrcodes"], label="QR Codes", show_pos=True,
                               file=sys.stderr) as bar:
            manifest = backups.backup(destination, images=not without_images, progress=bar.update)
    except CodeQRError as error:
        raise click.ClickException(error.message) from None
    click.echo(f"Backed up {manifest['qrcodes']} QR Codes ({manifest['scans']} scans), {manifest['images']} images"
               f"{', the secret key' if manifest['secretKey'] else ''} to {destination}.")
    if manifest["database"] is None:
        click.echo("The PostgreSQL database is not in the archive: copy it with pg_dump (a consistent snapshot "
                   f"while CodeQR runs; use the pg_dump of the server's version):\n  {backups.pg_dump_command(url)}")


@click.command("restore")
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="replace an instance that has QR Codes already")
@with_appcontext
def restore(source: Path, force: bool):
    """Restore a backup into this instance (stop its servers first)."""
    from . import backups

    url = current_app.config["SQLALCHEMY_DATABASE_URI"]
    try:
        with click.progressbar(length=backups.read_manifest(source)["images"], label="Images", show_pos=True,
                               file=sys.stderr) as bar:
            manifest = backups.restore(source, force=force, progress=bar.update)
    except CodeQRError as error:
        raise click.ClickException(error.message) from None
    click.echo(f"Restored {source} (made {manifest['createdAt']}): {manifest['qrcodes']} QR Codes, "
               f"{manifest['scans']} scans, {manifest['images']} images.")
    if manifest["database"] is None:
        click.echo("This backup was made on PostgreSQL: restore its pg_dump file into the database with:\n  "
                   f"{backups.pg_restore_command(url)}")


@click.command("plugins")
@with_appcontext
def plugins():
    """List loaded plugins with their versions and hooks."""
    for row in loaded_plugins(app_state().pm):
        click.echo(f"{row['name']} {row['version']}: {', '.join(row['hooks'])}")
