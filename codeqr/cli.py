"""The ``codeqr`` command: Flask's CLI plus CodeQR's own commands."""

import copy
import sys

import click
from flask.cli import FlaskGroup, with_appcontext

from . import apikeys, users
from .errors import CodeQRError, ConfigurationError
from .permissions import ROLES, SCOPES
from .pluginmanager import loaded_plugins
from .state import app_state


def _create_app():
    from .app import create_app

    try:
        return create_app()
    except ConfigurationError as error:
        # One line, and a status that says "usage": not a traceback, not a help text
        # without CodeQR's own commands.
        click.echo(f"CodeQR cannot start: {error}", err=True)
        sys.exit(2)


class _Group(FlaskGroup):
    #: Commands other packages add through Flask's entry points that an operator of CodeQR
    #: does not use (Flask-Limiter's maintenance commands): not listed, still callable.
    UNLISTED = {"limiter"}

    def list_commands(self, ctx):
        return [name for name in super().list_commands(ctx) if name not in self.UNLISTED]


@click.group(cls=_Group, create_app=_create_app, add_version_option=False)
def main():
    """CodeQR: create, update and manage QR Codes."""


def _hidden(param: click.Parameter) -> click.Parameter:
    param = copy.copy(param)  # Flask's own options are shared objects: change a copy
    param.hidden = True
    return param


# Flask's -e/--env-file and -A/--app mean nothing to an operator of CodeQR (they still work).
main.params = [_hidden(param) if param.name in ("env_file", "app") else param for param in main.params]
#: Of Flask-Alembic's ``db`` commands, those an operator uses; the rest (revision, merge,
#: downgrade, …) are for developers of CodeQR and plugins, and still work, unlisted.
OPERATOR_DB_COMMANDS = {"upgrade", "current", "check"}


def register(app, pm) -> None:
    """Add CodeQR's commands, and those of plugins, to the app's CLI."""
    for command in (create_api_key, revoke_api_key, list_api_keys, create_user, plugins):
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
              help="at least 10 characters; asked for when not given")
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


@click.command("plugins")
@with_appcontext
def plugins():
    """List loaded plugins with their versions and hooks."""
    for row in loaded_plugins(app_state().pm):
        click.echo(f"{row['name']} {row['version']}: {', '.join(row['hooks'])}")
