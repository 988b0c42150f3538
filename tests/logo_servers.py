"""A real HTTPS (or HTTP) server on loopback for the logo tests: each path answers what the
test set (bytes, a redirect, a body too large or too slow), and every request is counted."""

import ssl
import subprocess
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and localhost, its own authority (openssl's command)."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
                    "-keyout", str(key), "-out", str(cert),
                    "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
                    "-addext", "basicConstraints=critical,CA:TRUE",
                    "-addext", "keyUsage=critical,digitalSignature,keyCertSign"],
                   check=True, capture_output=True)
    return cert, key


class Answer:
    """What a path answers: a status, headers and a body (bytes, or a callable writing it)."""

    def __init__(self, body: bytes | Callable = b"", status: int = 200, headers: dict | None = None):
        self.body, self.status, self.headers = body, status, headers or {}


def trickle(seconds: float) -> Callable:
    """A body written a byte every 0.2 s, for ``seconds`` (a slow server)."""
    def write(stream):
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            stream.write(b"\x89")
            stream.flush()
            time.sleep(0.2)
    return write


def slow_headers(seconds: float) -> Callable:
    """A whole answer whose headers come a byte every 0.2 s (with ``Answer(status=0)``)."""
    def write(stream):
        stream.write(b"HTTP/1.0 200 OK\r\nX-Slow: ")
        trickle(seconds)(stream)
    return write


def huge(size: int) -> Callable:
    """A body of ``size`` bytes written without a Content-Length (read until the close)."""
    def write(stream):
        block = b"\0" * 65536
        for _ in range(size // len(block)):
            stream.write(block)
    return write


class ImageServer:
    """A threaded HTTP server on 127.0.0.1, TLS when given a certificate."""

    def __init__(self, cert: tuple[Path, Path] | None = None):
        self.answers: dict[str, Answer] = {}
        self.requests: list[tuple[str, dict]] = []
        #: paths whose answer the client cut off before it was whole
        self.hung_up: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def do_GET(self):
                server.requests.append((self.path, dict(self.headers)))
                answer = server.answers.get(self.path, Answer(b"not here", 404))
                if answer.status == 0:  # the body writes the whole answer, status line and headers too
                    try:
                        answer.body(self.wfile)
                    except OSError:
                        server.hung_up.append(self.path)
                    return
                self.send_response(answer.status)
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                if isinstance(answer.body, bytes):
                    self.send_header("Content-Length", str(len(answer.body)))
                self.end_headers()
                try:
                    if isinstance(answer.body, bytes):
                        self.wfile.write(answer.body)
                    else:
                        answer.body(self.wfile)
                except OSError:
                    server.hung_up.append(self.path)  # what a refused fetch does

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_port
        self.scheme = "https" if cert else "http"
        if cert:
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(*cert)
            self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def hangs_up(self, path: str, seconds: float = 20) -> bool:
        """Whether the client cut the answer of ``path`` off (waiting up to ``seconds`` for
        the server's next write to find out)."""
        end = time.monotonic() + seconds
        while path not in self.hung_up and time.monotonic() < end:
            time.sleep(0.05)
        return path in self.hung_up

    def url(self, path: str) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}{path}"

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
