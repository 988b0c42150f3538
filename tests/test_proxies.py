"""CODEQR_PROXY_FIX: the client address from the proxies' headers, and a warning when
requests come past them."""

import logging

import pytest


def _warnings(caplog) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.name == "codeqr.operations.proxies"]


@pytest.mark.parametrize("hops, forwarded", [(1, None), (2, "198.51.100.7")])
def test_a_request_past_the_proxies_is_warned_about_once(make_app, caplog, hops, forwarded):
    client = make_app(CODEQR_PROXY_FIX=hops).test_client()
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    with caplog.at_level(logging.WARNING, logger="codeqr.operations.proxies"):
        for _ in range(3):
            assert client.get("/healthz", headers=headers).status_code == 200
    said = _warnings(caplog)
    assert len(said) == 1
    assert f"CODEQR_PROXY_FIX={hops}" in said[0] and "/healthz" in said[0] and "127.0.0.1" in said[0]


def test_requests_through_the_proxies_are_not_warned_about(make_app, caplog):
    client = make_app(CODEQR_PROXY_FIX=2).test_client()
    with caplog.at_level(logging.WARNING, logger="codeqr.operations.proxies"):
        answer = client.get("/unknown-key", headers={"X-Forwarded-For": "203.0.113.9, 198.51.100.7"})
    assert answer.status_code == 404 and not _warnings(caplog)
