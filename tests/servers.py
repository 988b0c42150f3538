"""Helpers for tests that start real servers in subprocesses."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests


def free_port() -> int:
    """A loopback port nobody listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def port_setting(setting: str) -> int:
    """The port a ``CODEQR_TEST_*`` setting names, else a free one: two suites on one machine
    never meet on a port."""
    return int(os.environ.get(setting) or 0) or free_port()


def wait_until_answering(url: str, server: subprocess.Popen, seconds: float = 120) -> requests.Response:
    """Poll ``url`` until the server answers (any status); fail if it exits or takes too long."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(f"the server stopped:\n{server.stdout.read() if server.stdout else ''}")
        try:
            return requests.get(url, timeout=10)
        except (requests.ConnectionError, requests.Timeout):
            time.sleep(0.2)
    raise AssertionError(f"nothing answered at {url} within {seconds:g} s")


#: The ``codeqr`` command of the environment the tests run in.
CODEQR = str(Path(sys.executable).with_name("codeqr"))


def clean_env(**settings) -> dict:
    """This process's environment as a fresh shell has it (no CODEQR_*, PYTHONPATH, VIRTUAL_ENV),
    plus ``settings``; the destination checks off unless ``settings`` turn them on (tests reach no
    site on the internet)."""
    env = {name: value for name, value in os.environ.items()
           if not name.startswith(("CODEQR_", "PYTHONPATH", "VIRTUAL_ENV"))}
    return env | {"CODEQR_DESTINATION_CHECKS": "0"} | settings
