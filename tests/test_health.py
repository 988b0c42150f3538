"""/healthz and /readyz: cheap, never scans, never limited, and /readyz says what is wrong."""

import pytest

from codeqr import StorageUnavailable, hookimpl
from codeqr_plugins.filesystem_storage import FilesystemStorage


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

    ready = make_app(plugins=[Plugin()], CODEQR_STORAGE="broken").test_client().get("/readyz")
    assert ready.status_code == 503
    assert ready.get_json()["checks"] == {"database": "ok", "storage": "unavailable: cannot read: input/output error"}


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
