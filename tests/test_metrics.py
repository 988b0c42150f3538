"""/metrics (Prometheus text, read from this machine or with a token) and the request log
(one JSON line per request, its id in X-Request-ID)."""

import json
import logging

import pytest
from codeqr_plugins.filesystem_storage import FilesystemStorage
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from codeqr import StorageUnavailable, hookimpl
from codeqr.context import for_operator


def _samples(text: str) -> dict:
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples}


def _value(name: str, **labels) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_metrics_answer_this_machine_in_prometheus_text(app, client, api):
    qr = api.post("/api/qrcodes", json={"url": "https://example.com/m"}).get_json()
    redirect = {"route": "/<key>", "method": "GET", "status": "302"}
    before = (_value("codeqr_scans_total"), _value("codeqr_http_requests_total", **redirect),
              _value("codeqr_redirect_seconds_count"))
    for _ in range(3):
        assert client.get(f"/{qr['key']}").status_code == 302
    assert client.head(f"/{qr['key']}").status_code == 302  # answered, not a scan
    assert client.get("/unknown-key").status_code == 404
    after = (_value("codeqr_scans_total"), _value("codeqr_http_requests_total", **redirect),
             _value("codeqr_redirect_seconds_count"))
    assert [b - a for a, b in zip(before, after)] == [3, 3, 5]

    answer = client.get("/metrics")
    assert answer.status_code == 200 and answer.mimetype == "text/plain"
    samples = _samples(answer.get_data(as_text=True))
    assert samples[("codeqr_scans_total", ())] == after[0]
    assert samples[("codeqr_database_up", ())] == 1
    assert samples[("codeqr_jobs", (("kind", "import"), ("status", "queued")))] == 0


def test_jobs_are_counted_from_the_database(make_app):
    from codeqr.jobs import csv_import

    app = make_app(CODEQR_JOB_WORKER=False)
    with app.app_context():
        for _ in range(2):
            csv_import.start([{"url": "https://example.com/j"}], "rows.csv", for_operator())
    samples = _samples(app.test_client().get("/metrics").get_data(as_text=True))
    assert samples[("codeqr_jobs", (("kind", "import"), ("status", "queued")))] == 2
    assert samples[("codeqr_jobs", (("kind", "export"), ("status", "queued")))] == 0


def test_metrics_are_refused_to_other_machines_and_to_requests_through_a_proxy(client):
    for refused in (client.get("/metrics", environ_base={"REMOTE_ADDR": "203.0.113.9"}),
                    client.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"})):
        assert refused.status_code == 403
        assert refused.mimetype == "text/plain"  # a scraper reads text, not an HTML page
        assert refused.get_data(as_text=True) == "metrics are read from this machine, or with CODEQR_METRICS_TOKEN set\n"


def test_with_a_token_metrics_answer_whoever_sends_it(make_app):
    client = make_app(CODEQR_METRICS_TOKEN="m3trics-t0ken").test_client()
    remote = {"REMOTE_ADDR": "203.0.113.9"}
    for refused in (client.get("/metrics"),  # this machine too: the token is the rule (README)
                    client.get("/metrics", headers={"Authorization": "Bearer wrong"}, environ_base=remote)):
        assert refused.status_code == 401 and refused.mimetype == "text/plain"
        assert "Authorization: Bearer <CODEQR_METRICS_TOKEN>" in refused.get_data(as_text=True)
        assert refused.headers["WWW-Authenticate"].startswith("Bearer")
    answer = client.get("/metrics", headers={"Authorization": "Bearer m3trics-t0ken"}, environ_base=remote)
    assert answer.status_code == 200 and b"codeqr_http_requests_total" in answer.data


def test_invented_methods_and_paths_do_not_grow_new_series(client):
    client.open("/some/where/else", method="BREW")
    client.get("/no/such/page/at/all")
    families = _samples(client.get("/metrics").get_data(as_text=True))
    routes = {dict(labels).get("route") for name, labels in families if name == "codeqr_http_requests_total"}
    methods = {dict(labels).get("method") for name, labels in families if name == "codeqr_http_requests_total"}
    assert "BREW" not in methods and "other" in methods
    assert not any(route and "else" in route for route in routes) and "unmatched" in routes


def test_storage_failures_are_counted(make_app):
    class Broken(FilesystemStorage):
        name = "broken"

        def get(self, name):
            raise StorageUnavailable("cannot read: input/output error")

        def exists(self, name):
            raise StorageUnavailable("cannot read: input/output error")

    class Plugin:
        @hookimpl
        def codeqr_register_storages(self):
            return [Broken]

    app = make_app(plugins=[Plugin()], CODEQR_STORAGE="broken")
    from api_client import authorized_client
    from codeqr.accounts import apikeys

    with app.app_context():
        api = authorized_client(app, apikeys.create("t", ctx=for_operator())[1])
    qr = api.post("/api/qrcodes", json={"url": "https://example.com/s"}).get_json()
    before = _value("codeqr_storage_errors_total", storage="broken")
    assert app.test_client().get(f"/qr/{qr['id']}.png").status_code == 503
    assert _value("codeqr_storage_errors_total", storage="broken") == before + 1


def test_each_request_is_one_json_line_with_its_id(client, caplog):
    with caplog.at_level(logging.INFO, logger="codeqr.requests"):
        answer = client.get("/unknown-key", headers={"Host": "localhost"})
        kept = client.get("/healthz", headers={"X-Request-ID": "lb-7f3a.01"})
        forged = client.get("/healthz", headers={"X-Request-ID": 'x", "status": 200, "y": "'})
        endless = client.get("/healthz", headers={"X-Request-ID": "a" * 129})
        client.get('/a"b%0a{}\u00e9\\', headers={"Host": 'evil"\thost'})
    lines = [json.loads(record.getMessage()) for record in caplog.records if record.name == "codeqr.requests"]
    assert [line["path"] for line in lines][:4] == ["/unknown-key", "/healthz", "/healthz", "/healthz"]
    hostile = lines[4]  # one line, every field intact
    assert (hostile["path"], hostile["host"], hostile["status"]) == ('/a"b\n{}\u00e9\\', 'evil"\thost', 404)
    first = lines[0]
    assert first["requestId"] == answer.headers["X-Request-ID"] and len(first["requestId"]) == 32
    assert (first["method"], first["status"], first["route"], first["host"]) == ("GET", 404, "/<key>", "localhost")
    assert first["remote"] == "127.0.0.1" and first["ms"] >= 0 and first["time"].endswith("Z")
    assert kept.headers["X-Request-ID"] == lines[1]["requestId"] == "lb-7f3a.01"
    assert forged.headers["X-Request-ID"] == lines[2]["requestId"] != 'x", "status": 200, "y": "'
    assert endless.headers["X-Request-ID"] == lines[3]["requestId"] != "a" * 129


def test_the_request_log_can_be_switched_off(make_app, caplog):
    client = make_app(CODEQR_REQUEST_LOG=False).test_client()
    with caplog.at_level(logging.INFO, logger="codeqr.requests"):
        answer = client.get("/healthz")
    assert answer.headers["X-Request-ID"]  # the id is still given
    assert not [record for record in caplog.records if record.name == "codeqr.requests"]


@pytest.mark.parametrize("database_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True)
def test_metrics_answer_while_the_database_is_away(proxied_app, proxy):
    client = proxied_app.test_client()
    proxy.set_mode("refuse")
    answer = client.get("/metrics")
    assert answer.status_code == 200
    samples = _samples(answer.get_data(as_text=True))
    assert samples[("codeqr_database_up", ())] == 0
    assert not [key for key in samples if key[0] == "codeqr_jobs"]
