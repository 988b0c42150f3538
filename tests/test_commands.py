"""The ``codeqr`` command as an operator meets it, run as the installed console script: a
database it cannot use said in one line, help whatever the settings, a command list in
CodeQR's words, a first start that prints what matters, and an instance only its owner reads."""

import re
import stat
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import pytest

import codeqr
from codeqr.commandline.cli import SERVERS
from servers import CODEQR, clean_env, free_port


def _codeqr(*args, cwd, **settings) -> subprocess.CompletedProcess:
    return subprocess.run([CODEQR, *args], env=clean_env(**settings), capture_output=True, text=True, cwd=cwd,
                          timeout=120, stdin=subprocess.DEVNULL, check=False)


def _listed(help_text: str) -> dict[str, str]:
    """The commands a help text lists, with their descriptions."""
    section = help_text.split("\nCommands:\n", 1)[1]
    return dict(re.findall(r"^  (\S+)\s+(.*)$", section, re.MULTILINE))


def _mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


#: What each command needs to run (paths under the test's folder). A command added without
#: an entry fails the enumeration below: say here how it is run.
ARGUMENTS = {
    "backup": ["backup.tar.gz"],
    "config-example": [],
    "create-api-key": ["ci"],
    "create-user": ["ops@example.com", "--password", "a long enough password"],
    "db current": [],
    "db upgrade": [],
    "list-api-keys": [],
    "plugins": [],
    "restore": ["old.tar.gz"],
    "revoke-api-key": ["ci"],
    "shell": [],
    "sweep-logos": [],
    "check-destinations": [],
    "webhook-deliveries": [],
}
#: Commands that work without the database (the rest must say in one line why they stop).
WITHOUT_DATABASE = {"config-example", "plugins", "shell"}


def _every_command(cwd) -> list[str]:
    """Every command ``codeqr --help`` lists (db's as ``db <command>``), servers aside."""
    names = []
    for name in _listed(_codeqr("--help", cwd=cwd).stdout):
        if name == "db":
            names += [f"db {sub}" for sub in _listed(_codeqr("db", "--help", cwd=cwd).stdout)]
        elif name not in SERVERS:
            names.append(name)
    return names


def _database_failures(tmp_path, postgres_url):
    """(CODEQR_DATABASE_URL, what the one line must end with) for each way to miss a database."""
    pg = urlsplit(postgres_url)
    server = f"{pg.hostname}:{pg.port or 5432}"
    port = free_port()
    (tmp_path / "a-folder").mkdir()
    folder, gone = tmp_path / "a-folder", tmp_path / "gone"
    return {
        "refused": (f"postgresql://codeqr:pw@127.0.0.1:{port}/codeqr", f"port {port} failed: Connection refused"),
        "missing database": (f"postgresql://{pg.username}@{server}/codeqr_missing_db",
                             ('database "codeqr_missing_db" does not exist; create it first: createdb '
                              f"-h {pg.hostname} -p {pg.port or 5432} -U {pg.username} codeqr_missing_db")),
        "unknown user": (f"postgresql://codeqr_no_such_role:s3cret-pw@{server}/postgres",
                         ('role "codeqr_no_such_role" does not exist; check the user and password in '
                          "CODEQR_DATABASE_URL")),
        "sqlite path is a folder": (f"sqlite:///{folder}",
                                    f"cannot open the SQLite database {folder}: it is a folder, not a file"),
        "sqlite folder missing": (f"sqlite:///{gone / 'codeqr.db'}",
                                  (f"cannot open the SQLite database {gone / 'codeqr.db'}: the folder {gone} "
                                   "does not exist")),
    }


def _assert_one_line(result: subprocess.CompletedProcess, expected: str) -> None:
    output = result.stdout + result.stderr
    assert "Traceback" not in output and "tries again" not in output and "s3cret-pw" not in output, output
    assert result.returncode == 1 and result.stdout == "", output
    instance_line, error = result.stderr.splitlines()
    assert instance_line.startswith("CodeQR: instance ")
    assert error.startswith("Error: cannot use the database: ") and error.endswith(expected), error


@pytest.mark.postgres
def test_every_command_says_in_one_line_that_it_cannot_reach_the_database(tmp_path, postgres_admin_url):
    url, expected = _database_failures(tmp_path, postgres_admin_url)["refused"]
    (tmp_path / "old.tar.gz").write_bytes(b"not read: the database comes first")
    commands = _every_command(tmp_path)
    assert set(commands) == set(ARGUMENTS), "say in ARGUMENTS how a new command is run"
    for command in commands:
        result = _codeqr("--instance", "instance", *command.split(), *ARGUMENTS[command], cwd=tmp_path,
                         CODEQR_DATABASE_URL=url)
        if command in WITHOUT_DATABASE:
            assert result.returncode == 0 and "Traceback" not in result.stderr, (command, result.stderr)
        else:
            _assert_one_line(result, expected)


@pytest.mark.parametrize("failure", [
    pytest.param("missing database", marks=pytest.mark.postgres),
    pytest.param("unknown user", marks=pytest.mark.postgres), "sqlite path is a folder", "sqlite folder missing"])
def test_commands_say_in_one_line_what_is_wrong_with_the_database(tmp_path, request, failure):
    # The server of the test run: the driver and the server say what is wrong, not a mock.
    postgres_url = request.getfixturevalue("postgres_admin_url") if failure[:6] != "sqlite" else "postgresql://x@y/z"
    url, expected = _database_failures(tmp_path, postgres_url)[failure]
    for command in ("db upgrade", "create-api-key", "create-user"):
        result = _codeqr("--instance", "instance", *command.split(), *ARGUMENTS[command], cwd=tmp_path,
                         CODEQR_DATABASE_URL=url)
        _assert_one_line(result, expected)


@pytest.mark.parametrize("setting", [{"CODEQR_STORAGE": "nope"}, {"CODEQR_SERVE_PORT": "abc"}])
def test_help_works_whatever_the_settings_and_the_commands_say_what_is_wrong(tmp_path, setting):
    name, value = next(iter(setting.items()))
    for args in (["--help"], ["create-user", "--help"], ["db", "upgrade", "--help"], ["serve", "--help"]):
        result = _codeqr(*args, cwd=tmp_path, **setting)
        assert result.returncode == 0, (args, result.stderr)
        assert result.stdout.startswith("Usage: codeqr") and "Traceback" not in result.stderr
        if args == ["--help"]:
            assert {"create-api-key", "create-user", "db", "serve", "backup"} <= set(_listed(result.stdout))
    for command in (["list-api-keys"], ["serve"]):
        result = _codeqr(*command, cwd=tmp_path, **setting)
        assert result.returncode == 2, (command, result.stderr)
        assert result.stderr.splitlines() == [result.stderr.splitlines()[0]]  # one line
        assert result.stderr.startswith(f"CodeQR cannot start: {name}={value!r}")
    assert list(tmp_path.iterdir()) == []  # neither help nor a refused command made anything


def test_the_command_list_is_in_codeqrs_words(tmp_path):
    from apiflask.commands import spec_command
    from flask.cli import routes_command, run_command, shell_command

    listing = _listed(_codeqr("--help", cwd=tmp_path).stdout)
    listing |= {f"db {name}": text for name, text in _listed(_codeqr("db", "--help", cwd=tmp_path).stdout).items()}
    frameworks = {command.get_short_help_str(limit=200)
                  for command in (spec_command, routes_command, run_command, shell_command)}
    for name, description in listing.items():
        assert not description.endswith(("...", "…")), (name, description)  # never cut
        assert description not in frameworks, (name, description)
    assert not {"routes", "spec", "db check"} & set(listing)
    for hidden in (["routes"], ["db", "check", "--help"]):  # unlisted, still there for developers
        assert _codeqr(*hidden, "--help", cwd=tmp_path).returncode == 0
    upgrade = " ".join(_codeqr("db", "upgrade", "--help", cwd=tmp_path).stdout.split())
    assert "Usage: codeqr db upgrade [OPTIONS] [TARGET]" in upgrade
    assert "TARGET is the revision to stop at: leave it out for the newest (heads)." in upgrade


def _listening_options(command: str, cwd) -> dict[str, tuple[str, str]]:
    text = " ".join(_codeqr(command, "--help", cwd=cwd).stdout.split())
    return {flags: (words, default) for flags, words, default in
            re.findall(r"(-\w, --\w+) \S+ (.*?) \[default: (.*?)[;\]]", text)}


def test_run_and_serve_take_the_same_options_said_the_same_way(tmp_path):
    run, serve = _listening_options("run", tmp_path), _listening_options("serve", tmp_path)
    assert set(run) == set(serve) == {"-h, --host", "-p, --port"}
    for flags in run:
        assert run[flags][0] == serve[flags][0], flags
    assert run["-h, --host"][1] == "127.0.0.1" and run["-p, --port"][1] == "5000"
    assert serve["-h, --host"][1] == "(CODEQR_SERVE_HOST, else 127.0.0.1)"
    assert serve["-p, --port"][1] == "(CODEQR_SERVE_PORT, else 8000)"


def test_a_first_command_makes_a_private_instance_and_prints_only_what_matters(tmp_path):
    result = _codeqr("--instance", "instance", "list-api-keys", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    instance = tmp_path / "instance"
    assert result.stderr.splitlines() == [f"CodeQR: instance {instance}, database sqlite:///{instance}/codeqr.db"]
    assert result.stdout == "No API keys. Make one with: codeqr create-api-key NAME\n"
    assert _mode(instance) == 0o700
    assert _mode(instance / "codeqr.db") == _mode(instance / "secret_key") == 0o600


def test_a_checkouts_instance_folder_is_made_private_on_first_use_and_keeps_its_files(tmp_path):
    """instance/ comes with the checkout (git's modes): the first command treats it as new."""
    checkout = Path(__file__).resolve().parent.parent / "instance"
    instance = tmp_path / "instance"
    instance.mkdir(mode=0o755)
    for name in ("README.md", ".gitignore"):
        (instance / name).write_bytes((checkout / name).read_bytes())
    instance.chmod(0o755)  # whatever the umask
    result = _codeqr("--instance", "instance", "list-api-keys", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert _mode(instance) == 0o700
    assert {"README.md", ".gitignore", "codeqr.db", "secret_key"} <= {path.name for path in instance.iterdir()}
    instance.chmod(0o750)  # an instance in use that its owner opened to a group keeps that
    assert _codeqr("--instance", "instance", "list-api-keys", cwd=tmp_path).returncode == 0
    assert _mode(instance) == 0o750


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_sqlite_files_are_their_owners_alone_while_in_use(make_app, tmp_path):
    from codeqr.accounts import apikeys
    from codeqr.context import for_operator

    app = make_app(INSTANCE_PATH=str(tmp_path / "new"), CODEQR_DATABASE_URL=None)
    with app.app_context():
        apikeys.create("kept open", ctx=for_operator())  # a write: the log and the shared memory exist while the pool holds on
        files = {name: _mode(tmp_path / "new" / name) for name in ("codeqr.db", "codeqr.db-wal", "codeqr.db-shm")}
    assert files == {"codeqr.db": 0o600, "codeqr.db-wal": 0o600, "codeqr.db-shm": 0o600}
    assert _mode(tmp_path / "new") == 0o700


def test_an_instance_path_that_is_a_file_is_named_as_it_was_chosen(tmp_path):
    (tmp_path / "a-file").write_text("")
    by_option = _codeqr("--instance", "a-file", "list-api-keys", cwd=tmp_path)
    by_setting = _codeqr("list-api-keys", cwd=tmp_path, CODEQR_INSTANCE_PATH=str(tmp_path / "a-file"))
    inside = _codeqr("--instance", "a-file/instance", "list-api-keys", cwd=tmp_path)
    problem = f"CodeQR cannot start: the instance path {tmp_path / 'a-file'} is a file, not a folder; choose another"
    assert by_option.stderr == f"{problem} with --instance PATH\n" and by_option.returncode == 2
    assert by_setting.stderr == f"{problem} with CODEQR_INSTANCE_PATH\n" and by_setting.returncode == 2
    assert inside.stderr == (f"CodeQR cannot start: the instance path {tmp_path / 'a-file' / 'instance'} is inside "
                             "a file, not a folder; choose another with --instance PATH\n")


def test_a_command_on_a_database_without_the_schema_says_how_to_make_it(tmp_path):
    result = _codeqr("--instance", "instance", "list-api-keys", cwd=tmp_path, CODEQR_AUTO_MIGRATE="false")
    _assert_one_line(result, "no such table: api_keys; create the schema: codeqr db upgrade")
    made = _codeqr("--instance", "instance", "db", "upgrade", cwd=tmp_path, CODEQR_AUTO_MIGRATE="false")
    assert made.returncode == 0, made.stderr
    assert len(made.stderr.splitlines()) == 1  # which instance: no line per migration
    revisions = re.fullmatch(r"The database schema is at (.+)\.\n", made.stdout).group(1).split(", ")
    newest = max(path.name[:4] for path in (Path(codeqr.__file__).parent / "migrations").glob("[0-9]*.py"))
    assert newest in revisions and len(revisions) == 3  # CodeQR's, and the two plugins' branches installed here
    assert _codeqr("--instance", "instance", "list-api-keys", cwd=tmp_path, CODEQR_AUTO_MIGRATE="false").returncode == 0


def test_a_server_on_a_new_instance_makes_it_private(tmp_path):
    from servers import wait_until_answering

    port, instance = free_port(), tmp_path / "instance"
    server = subprocess.Popen([CODEQR, "--instance", str(instance), "serve", "--port", str(port)],
                              env=clean_env(CODEQR_SERVE_WORKERS="1"), cwd=tmp_path, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        wait_until_answering(f"http://127.0.0.1:{port}/healthz", server)
        assert (instance / "metrics").is_dir()  # the workers' counters went in it first
        assert _mode(instance) == 0o700
        assert _mode(instance / "codeqr.db") == _mode(instance / "secret_key") == 0o600
    finally:
        server.terminate()
        server.wait(timeout=60)
