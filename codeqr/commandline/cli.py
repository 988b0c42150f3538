"""The ``codeqr`` command: Flask's CLI plus CodeQR's own commands."""

import copy
import os
import sys
from importlib.resources import files

import click
from flask.cli import FlaskGroup, NoAppException, run_command, shell_command
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from ..accounts import users
from ..config import DEFAULTS, DEVELOPMENT_PORT, EVERY_INTERFACE
from ..domain import unserved
from ..errors import ConfigurationError
from ..instance import InstanceFolderError, prepare_instance_folder
from ..operations.outages import UNAVAILABLE, first_line
from ..persistence.database_errors import describe, lacks_schema
from ..persistence.extensions import db
from .app_commands import COMMANDS

#: Kept in the context's ``meta`` (shared by the command and its group): whether it only asks
#: for help (the app built then writes nothing), the command's name, whether ``--instance``
#: chose the instance, and the database URL (for errors of the database).
_HELP_ONLY, _COMMAND, _INSTANCE_OPTION, _DATABASE_URL = (
    "codeqr.help_only", "codeqr.command", "codeqr.instance_option", "codeqr.database_url")
#: Servers start while the database is away, answer 503 and keep trying (and say so).
SERVERS = frozenset({"run", "serve"})
#: Commands that run without bringing the schema up to date first: they do not use the
#: database, or manage its schema themselves (db). Every other command upgrades it first,
#: and ends in one line, at once, when the database cannot be used.
WITHOUT_UPGRADE = frozenset({"config-example", "plugins", "shell", "routes", "spec", "db"})


def load_app(served_at: str | None = None, listing_only: bool = False, upgrade: bool = True):
    """Build the app for a command; a bad setting ends the command in one line (status 2).

    A server (``served_at``) starts while the database is away and waits for it; another
    command brings the schema up to date first (``upgrade``), and a database it cannot use
    ends it in one line (``_Group.invoke``)."""
    from ..app import create_app

    ctx = click.get_current_context(silent=True)
    meta = ctx.meta if ctx is not None else {}
    try:
        app = create_app(served_at=served_at, listing_only=listing_only, wait_for_database=served_at is not None)
    except ConfigurationError as error:
        if meta.get(_HELP_ONLY):  # help lists what it can; Flask's CLI prints this line above it
            raise NoAppException(f"CodeQR cannot start: {_worded(error, meta)}") from None
        # One line, and a status that says "usage": not a traceback, not a help text
        # without CodeQR's own commands.
        click.echo(f"CodeQR cannot start: {_worded(error, meta)}", err=True)
        sys.exit(2)
    if listing_only:
        return app
    meta[_DATABASE_URL] = app.config["SQLALCHEMY_DATABASE_URI"]
    click.echo(f"CodeQR: instance {app.instance_path}, database {_shown_url(app)}", err=True)
    if served_at is None and upgrade:
        app.extensions["codeqr"].database.start(retry=False)
    with app.app_context():  # after the upgrade: a new database has its tables
        for line in unserved.warnings(app.config["CODEQR_DOMAINS"]):
            click.echo(f"CodeQR: {line}", err=True)
    return app


def _worded(error: ConfigurationError, meta: dict) -> str:
    """The error, naming what the user used to choose the instance folder."""
    if isinstance(error, InstanceFolderError) and meta.get(_INSTANCE_OPTION):
        return f"{error.problem}; choose another with --instance PATH"
    return str(error)


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
    meta = ctx.meta if ctx is not None else {}
    if meta.get(_HELP_ONLY):
        return load_app(listing_only=True)
    if ctx is not None and meta.get(_COMMAND) == "run":  # the development server: links follow its port
        from ..operations.serving import bind_address

        served_at = bind_address(ctx.params["host"], ctx.params["port"])
        app = load_app(served_at=served_at)
        announce_domain(app, served_at)
        announce_setup(app)
        return app
    return load_app(upgrade=meta.get(_COMMAND) not in WITHOUT_UPGRADE)


def _use_instance(ctx, _param, path: str | None):
    if path:
        os.environ["CODEQR_INSTANCE_PATH"] = os.path.abspath(path)  # server workers inherit it
        ctx.meta[_INSTANCE_OPTION] = True
    return path


class _Group(FlaskGroup):
    #: Commands of Flask, APIFlask and other packages' Flask entry points that an operator
    #: of CodeQR does not use (routes, the spec, Flask-Limiter's maintenance): not listed,
    #: still callable.
    UNLISTED = frozenset({"limiter", "routes", "spec"})

    def list_commands(self, ctx):
        return [name for name in super().list_commands(ctx) if name not in self.UNLISTED]

    def get_command(self, ctx, name):
        ctx.meta.setdefault(_COMMAND, name)  # the first is the command run; help asks for each
        return super().get_command(ctx, name)

    def parse_args(self, ctx, args):
        # Help (of CodeQR or of one command) builds the app to list commands: it must not
        # create an instance folder or a database where the reader happens to stand.
        ctx.meta[_HELP_ONLY] = not args or "--help" in args
        return super().parse_args(ctx, args)

    def invoke(self, ctx):
        """Run the command; a database it cannot use ends it in one line, status 1."""
        try:
            return super().invoke(ctx)
        except (*UNAVAILABLE, DBAPIError) as error:
            if not isinstance(error, UNAVAILABLE) and not lacks_schema(first_line(error)):
                raise  # a mistake of CodeQR's: its traceback helps whoever reports it
            url = ctx.meta.get(_DATABASE_URL)
            reason = describe(first_line(error), url) if url else first_line(error)
            raise click.ClickException(f"cannot use the database: {reason}") from None


@click.group(cls=_Group, create_app=_create_app, add_version_option=False)
@click.option("--instance", metavar="PATH", callback=_use_instance, is_eager=True, expose_value=False,
              help="The instance folder: config.py, the SQLite database, images, secret key "
                   "(default: CODEQR_INSTANCE_PATH, else the folder every command prints).")
def main():
    """CodeQR: create, update and manage QR Codes."""


def _hidden(option: click.Option) -> click.Option:
    option = copy.copy(option)  # Flask's own options are shared objects: change a copy
    option.hidden = True
    return option


#: ``run`` and ``serve`` take the same options, said the same way.
_HOST_HELP, _PORT_HELP = "The address to listen on.", "The port to listen on."
_PORT = click.IntRange(1, 65535)


@main.command("serve", with_appcontext=False, short_help="Serve CodeQR in production (gunicorn).")
@click.option("-h", "--host", help=_HOST_HELP,
              show_default=f"CODEQR_SERVE_HOST, else {DEFAULTS['CODEQR_SERVE_HOST']}")
@click.option("-p", "--port", type=_PORT, help=_PORT_HELP,
              show_default=f"CODEQR_SERVE_PORT, else {DEFAULTS['CODEQR_SERVE_PORT']}")
def serve(host: str | None, port: int | None):
    """Serve CodeQR in production with gunicorn: workers, threads and timeout from the
    CODEQR_SERVE_* settings."""
    from ..operations.serving import Gunicorn, MetricsFolder, bind_address, gunicorn_options

    listed = load_app(listing_only=True)  # the address first: links follow it
    try:
        prepare_instance_folder(listed.instance_path)  # private, before the metrics folder goes in it
    except ConfigurationError as error:
        click.echo(f"CodeQR cannot start: {_worded(error, click.get_current_context().meta)}", err=True)
        sys.exit(2)
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


@main.command("config-example", with_appcontext=False, short_help="Print an example config.py.")
def config_example():
    """Print an example config.py with every setting, commented out."""
    click.echo((files("codeqr") / "config.example.py").read_text(), nl=False)


def _reworded(command: click.Command, help: str, short_help: str, **options: click.Option) -> click.Command:
    """A copy of Flask's ``command`` in CodeQR's words, with ``options`` replaced by name."""
    command = copy.copy(command)  # Flask's commands are shared objects: change a copy
    command.help, command.short_help = help, short_help
    command.params = [options.get(param.name or "", param) for param in command.params]
    return command


main.add_command(_reworded(
    run_command, "Run the development server, which reloads on changes with --debug. "
    "For production: codeqr serve.", "Run the development server.",
    host=click.Option(["-h", "--host"], default="127.0.0.1", show_default=True, help=_HOST_HELP),
    port=click.Option(["-p", "--port"], type=_PORT, default=DEVELOPMENT_PORT, show_default=True, help=_PORT_HELP)))
main.add_command(_reworded(
    shell_command, "Open a Python shell with this instance's app: its config, database and plugins "
    "(for debugging).", "Open a Python shell on this instance."))
# Flask's -e/--env-file and -A/--app mean nothing to an operator of CodeQR (they still work).
main.params = [_hidden(param) if isinstance(param, click.Option) and param.name in ("env_file", "app") else param
               for param in main.params]
for _command in COMMANDS:
    main.add_command(_command)
