"""Serving CodeQR: the app a server process runs, and gunicorn as ``codeqr serve`` runs it."""

import logging
import os
import shutil
import sys
from pathlib import Path

from gunicorn.app.base import BaseApplication
from gunicorn.glogging import Logger

from .serving_worker import worker_class

#: Where every line goes under ``codeqr serve``: standard output, one line per record;
#: request logs are JSON lines of their own (``codeqr.requests``).
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "line": {"format": "%(asctime)s %(levelname)s [%(process)d] %(name)s: %(message)s"},
        "bare": {"format": "%(message)s"},
    },
    "handlers": {
        "stdout": {"class": "logging.StreamHandler", "stream": "ext://sys.stdout", "formatter": "line"},
        "requests": {"class": "logging.StreamHandler", "stream": "ext://sys.stdout", "formatter": "bare"},
    },
    "root": {"level": "INFO", "handlers": ["stdout"]},
    "loggers": {
        "gunicorn.error": {"level": "INFO", "handlers": ["stdout"], "propagate": False},
        "gunicorn.access": {"level": "WARNING", "handlers": [], "propagate": False},
        "codeqr.requests": {"level": "INFO", "handlers": ["requests"], "propagate": False},
    },
}


def serving_app(served_at: str | None = None):
    """Build the app of a serving process and start its job thread with it, so a job left
    by a process that died goes on without waiting for someone to visit."""
    from ..app import create_app

    app = create_app(served_at=served_at)
    app.extensions["codeqr"].jobs.ensure_started()
    requests = logging.getLogger("codeqr.requests")
    if not requests.handlers:  # under a server of one's own: request lines still reach stdout
        handler = logging.StreamHandler(sys.stdout)
        handler.setFormatter(logging.Formatter("%(message)s"))
        requests.addHandler(handler)
        requests.setLevel(logging.INFO)
        requests.propagate = False
    return app


class _GunicornLogger(Logger):
    """Gunicorn's logger without its access log. CodeQR writes its own request lines; given
    a logging configuration, gunicorn would build each request's access fields only to drop
    them (a tenth of a redirect's CPU time, BENCHMARKS.md)."""

    def access(self, resp, req, environ, request_time):
        pass


def default_workers() -> int:
    """One worker per core available: its threads wait for the database and for clients
    (see BENCHMARKS.md, "codeqr serve")."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()  # Linux; others
    return cores or 1


def bind_address(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host and not host.startswith("[") else f"{host}:{port}"


def gunicorn_options(config, host: str, port: int) -> dict:
    """Gunicorn's settings from CodeQR's (``CODEQR_SERVE_*``)."""
    timeout = config["CODEQR_SERVE_TIMEOUT_SECONDS"]
    return {
        "bind": [bind_address(host, port)],
        "workers": config["CODEQR_SERVE_WORKERS"] or default_workers(),
        "threads": config["CODEQR_SERVE_THREADS"],
        # One thread answers, others stand in when it is slow; deadlines on reading a request: a slow client holds
        # no worker, and not a thread for long.
        "worker_class": worker_class(config["CODEQR_SERVE_HEADER_TIMEOUT_SECONDS"],
                                     config["CODEQR_SERVE_BODY_TIMEOUT_SECONDS"],
                                     config["CODEQR_SERVE_SEND_TIMEOUT_SECONDS"]),
        "timeout": timeout,
        "graceful_timeout": timeout,
        "accesslog": None,  # CodeQR writes its own request lines (with the request id)
        "logger_class": _GunicornLogger,
        "logconfig_dict": LOGGING,
        "forwarded_allow_ips": "127.0.0.1,::1",
        "proc_name": "codeqr",
        # Gunicorn's control socket is one path per user: two servers on a machine would share it.
        "control_socket_disable": True,
    }


class Gunicorn(BaseApplication):
    """Gunicorn, configured in code: each worker builds its own app after the fork."""

    def __init__(self, options: dict, served_at: str):
        self.options, self.served_at = options, served_at
        super().__init__()

    def load_config(self):
        for name, value in self.options.items():
            self.cfg.set(name, value)
        self.cfg.set("child_exit", _forget_worker_metrics)

    def load(self):
        return serving_app(self.served_at)


def _forget_worker_metrics(_server, worker) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


class MetricsFolder:
    """The folder the workers share their metrics in (prometheus-client's multiprocess
    mode): ``metrics/<pid of the server>`` in the instance folder — not under /tmp, where
    cleaners of old files remove it from long-running servers. Set before prometheus-client
    is imported; removed when the server stops; and a folder left by a server that was
    killed (``kill -9``) is removed when the next one starts."""

    def __init__(self, instance_path: str):
        self.root = Path(instance_path) / "metrics"

    def __enter__(self) -> str:
        self.own = not os.environ.get("PROMETHEUS_MULTIPROC_DIR")  # an operator's own folder is kept
        if self.own:
            self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
            for folder in self.root.iterdir():
                # Our own pid too: in a container, every start may be pid 1 again.
                if not folder.name.isdigit() or int(folder.name) == os.getpid() or not _running(int(folder.name)):
                    _remove(folder)
            folder = self.root / str(os.getpid())
            folder.mkdir(mode=0o700)
            os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(folder)
        return os.environ["PROMETHEUS_MULTIPROC_DIR"]

    def __exit__(self, *_exc):
        if self.own:
            shutil.rmtree(os.environ.pop("PROMETHEUS_MULTIPROC_DIR"), ignore_errors=True)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)
