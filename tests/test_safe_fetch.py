"""The SSRF-safe fetch on its own: it connects to the address it checked, with the URL's name
as Host and as the TLS name the certificate must carry."""

import ipaddress

import pytest

from codeqr.operations import safe_fetch
from logo_servers import Answer, ImageServer, self_signed


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    return self_signed(tmp_path_factory.mktemp("tls"))


def test_the_connection_goes_to_the_address_checked_with_the_name_as_host(monkeypatch):
    plain = ImageServer()
    try:
        plain.answers["/a.png"] = Answer(b"image bytes")
        looked_up = []

        def lookup(host, port):  # a rebinding resolver: a second lookup would lead elsewhere
            looked_up.append(host)
            return ["127.0.0.1"] if len(looked_up) == 1 else ["10.9.9.9"]
        monkeypatch.setattr(safe_fetch, "lookup", lookup)
        monkeypatch.setattr(safe_fetch, "TEST_FIRST_HOPS", frozenset({("logos.test", plain.port)}))
        fetched = safe_fetch.fetch(f"http://logos.test:{plain.port}/a.png", allow_http=True)
        assert fetched.body == b"image bytes" and looked_up == ["logos.test"]
        assert plain.requests[0][1]["Host"] == f"logos.test:{plain.port}"
        with pytest.raises(safe_fetch.FetchRefused, match="Only https"):
            safe_fetch.fetch(f"http://logos.test:{plain.port}/a.png")
    finally:
        plain.stop()


def test_tls_is_checked_against_the_urls_name_not_the_address(certificate, monkeypatch):
    server = ImageServer(certificate)
    try:
        server.answers["/a.png"] = Answer(b"image bytes")
        monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))
        monkeypatch.setattr(safe_fetch, "lookup", lambda host, port: ["127.0.0.1"])
        monkeypatch.setattr(safe_fetch, "TEST_FIRST_HOPS", frozenset({("localhost", server.port),
                                                                      ("other.test", server.port)}))
        assert safe_fetch.fetch(f"https://localhost:{server.port}/a.png").body == b"image bytes"
        with pytest.raises(safe_fetch.FetchRefused, match="no valid certificate"):
            safe_fetch.fetch(f"https://other.test:{server.port}/a.png")
    finally:
        server.stop()


@pytest.mark.parametrize(("address", "public"), [
    ("93.184.216.34", True), ("8.8.8.8", True), ("2606:4700:4700::1111", True), ("2002:5db8:d822::", True),
    ("127.0.0.1", False), ("10.0.0.1", False), ("172.16.0.1", False), ("192.168.1.1", False), ("169.254.169.254", False),
    ("100.64.0.1", False), ("0.0.0.0", False), ("224.0.0.1", False), ("239.255.255.250", False), ("240.0.0.1", False),
    ("255.255.255.255", False), ("::", False), ("::1", False), ("fe80::1", False), ("fd00:ec2::254", False),
    ("ff02::1", False), ("::ffff:127.0.0.1", False), ("::ffff:10.0.0.1", False), ("::127.0.0.1", False),
    ("2002:7f00:1::", False), ("2002:a00:1::", False), ("64:ff9b::a00:1", False), ("64:ff9b::7f00:1", False),
    ("2001:0:4136:e378:8000:63bf:f5ff:fffe", False),  # Teredo, its client 10.0.0.1
])
def test_public_addresses(address, public):
    assert safe_fetch.public_address(ipaddress.ip_address(address)) is public
