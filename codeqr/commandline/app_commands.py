"""The commands each app's CLI has: CodeQR's own (the operator's and the database's) and
those of plugins. ``cli`` gives CodeQR's own to the ``codeqr`` group as well."""

import copy

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_alembic.cli import cli as alembic_commands

from .commands import OPERATOR_COMMANDS

#: Of Flask-Alembic's ``db`` commands, those an operator uses, in CodeQR's words; the rest
#: (check, revision, merge, downgrade, …) are for developers of CodeQR and plugins, and
#: still work, unlisted.
OPERATOR_DB_COMMANDS = {
    "upgrade": (("Bring the database schema up to date: every migration of CodeQR and of its plugins "
                 "(every command does this first, unless CODEQR_AUTO_MIGRATE is off). TARGET is the "
                 "revision to stop at: leave it out for the newest (heads)."), "Bring the schema up to date."),
    "current": (("Show the revisions the database schema is at (one per branch: CodeQR's and "
                 "plugins')."), "Show the schema's revisions."),
}


def _db_command(command: click.Command) -> click.Command:
    """Flask-Alembic's ``command`` run in the app's context, in CodeQR's words when an
    operator uses it, unlisted when not: its group does not load the app, so ``codeqr db
    --help`` works whatever the settings."""
    command = copy.copy(command)
    alembic_callback = command.callback

    @click.pass_context
    def callback(ctx, /, *args, **kwargs):
        ctx.obj = alembic = current_app.extensions["alembic"]  # what Flask-Alembic's group gives its commands
        ctx.invoke(alembic_callback, *args, **kwargs)
        if command.name == "upgrade":  # Alembic's own lines are quiet: say where it stands
            revisions = sorted(script.revision for script in alembic.current() if script is not None)
            click.echo(f"The database schema is at {', '.join(revisions) or 'no revision'}.")

    command.callback = with_appcontext(callback)
    command.help, command.short_help = OPERATOR_DB_COMMANDS.get(command.name or "", (command.help, None))
    command.hidden = command.name not in OPERATOR_DB_COMMANDS
    return command


database_commands = click.Group(
    "db", help="The database schema: bring it up to date, or show its revisions.",
    short_help="Upgrade the database schema, show its revisions.",
    commands=[_db_command(command) for command in alembic_commands.commands.values()])


def register(app, pm) -> None:
    """Add CodeQR's commands, and those of plugins, to the app's CLI (CodeQR's own are the
    ``codeqr`` command's too: listed and helped without building an app)."""
    for command in COMMANDS:
        app.cli.add_command(command)
    for extra in pm.hook.codeqr_cli_commands():
        for command in extra:
            if command.callback is not None:
                # A copy per app: the plugin's command object lives as long as the process, and
                # wrapping it again for each app built would nest the wrappers without end.
                command = copy.copy(command)
                command.callback = with_appcontext(command.callback)
            app.cli.add_command(command)


#: CodeQR's commands that use the app (the ``codeqr`` group has them, and so has each app's CLI).
COMMANDS = (*OPERATOR_COMMANDS, database_commands)
