"""/healthz and /readyz: cheap, never scans, never limited, and /readyz says what is wrong."""

import pytest
from codeqr_plugins.filesystem_storage import FilesystemStorage

from codeqr import StorageUnavailable, hookimpl


def test_healthz_and_readyz_answer_ok_on_a_working_instance(make_app):
    client = make_app(CODEQR_RATE_LIMIT_ENABLED=True, CODEQR_RATE_LIMIT_API_PER_ADDRESS="1 per minute").test_client()
    for _ in range(3):  # never limited
        assert client.get("/healthz").get_json() == {"status": "ok"}
        ready = client.get("/readyz")
        assert ready.status_code == 200
        assert ready.get_json() == {"status": "ok", "checks": {"database": "ok", "storage": "ok"}}
        assert "RateLimit-Limit" not in ready.headers


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # a new file: no schema yet
def test_readyz_names_the_revisions_a_database_lacks(make_app):
    app = make_app(CODEQR_AUTO_MIGRATE=False)
    ready = app.test_client().get("/readyz")
    assert ready.status_code == 503
    assert ready.get_json()["checks"]["database"].startswith("schema not current: revisions ")


def test_readyz_reports_a_storage_that_fails(make_app):
    class Broken(FilesystemStorage):
        name = "broken"

        def exists(self, name):
            raise StorageUnavailable("cannot read: input/output error")

    class Plugin:
        @hookimpl
        def codeqr_register_storages(self):
            return [Broken]

    client = make_app(plugins=[Plugin()], CODEQR_STORAGE="broken").test_client()
    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert ready.get_json()["checks"] == {"database": "ok", "storage": "unavailable: cannot read: input/output error"}
    remote = client.get("/readyz", environ_base={"REMOTE_ADDR": "203.0.113.9"})  # what, not where
    assert remote.get_json()["checks"]["storage"] == "unavailable: the image storage cannot be reached"


@pytest.mark.parametrize("database_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True)
def test_with_the_database_away_healthz_stays_ok_and_readyz_says_why(proxied_app, proxy):
    client = proxied_app.test_client()
    assert client.get("/readyz").status_code == 200
    proxy.set_mode("refuse")
    assert client.get("/healthz").status_code == 200
    ready = client.get("/readyz")
    assert ready.status_code == 503 and ready.get_json()["checks"]["database"].startswith("unavailable: ")
    proxy.set_mode("forward")
    client.get("/readyz")  # a broken pooled connection may fail once
    assert client.get("/readyz").status_code == 200


@pytest.mark.parametrize("database_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True)
@pytest.mark.parametrize("away, detail, public", [
    ("refused", "failed: Connection refused", "the database server refused the connection"),
    ("missing", 'database "codeqr_missing_db" does not exist; create it first: createdb -h ',
     "the database does not exist"),
])
def test_readyz_says_why_and_where_only_to_this_machine_or_the_metrics_token(make_app, database_url, away, detail,
                                                                            public):
    """The rule of /metrics: with a token set, those that send it (this machine too);
    without, this machine through no proxy."""
    from servers import free_port

    port = free_port()
    url = (database_url.rsplit("/", 1)[0] + "/codeqr_missing_db" if away == "missing"
           else f"postgresql://codeqr:s3cret-pw@127.0.0.1:{port}/codeqr")
    open_ = make_app(CODEQR_DATABASE_URL=url).test_client()
    tokened = make_app(CODEQR_DATABASE_URL=url, CODEQR_METRICS_TOKEN="t0ken-for-monitoring").test_client()
    remote, token = {"REMOTE_ADDR": "203.0.113.9"}, {"Authorization": "Bearer t0ken-for-monitoring"}
    told = [open_.get("/readyz"), tokened.get("/readyz", environ_base=remote, headers=token),
            tokened.get("/readyz", headers=token)]
    not_told = [open_.get("/readyz", environ_base=remote), open_.get("/readyz", headers={"X-Forwarded-For": "203.0.113.9"}),
                open_.get("/readyz", environ_base=remote, headers=token), tokened.get("/readyz"),
                tokened.get("/readyz", environ_base=remote, headers={"Authorization": "Bearer guess"})]
    for answer in told + not_told:
        assert answer.status_code == 503
        assert "s3cret-pw" not in answer.get_data(as_text=True)
    for n, answer in enumerate(told):
        said = answer.get_json()["checks"]["database"]
        assert said.startswith("unavailable: ") and detail in said, (n, said)
    for n, answer in enumerate(not_told):  # no host, port or database name
        assert answer.get_json()["checks"]["database"] == f"unavailable: {public}", n


def test_the_createdb_hint_carries_the_urls_host_port_and_user():
    from codeqr.persistence.database_errors import createdb_command, describe

    assert createdb_command("postgresql+psycopg://app:pw@db.internal:5433/codeqr") == \
        "createdb -h db.internal -p 5433 -U app codeqr"
    assert createdb_command("postgresql://localhost/qr") == "createdb -h localhost qr"
    said = describe('FATAL:  password authentication failed for user "app" (pw s3cret)',
                    "postgresql://app:s3cret@db.internal/codeqr")
    assert "s3cret" not in said and said.endswith("check the user and password in CODEQR_DATABASE_URL")
