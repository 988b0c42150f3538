"""Serving CodeQR: the app a server process runs, and gunicorn as ``codeqr serve`` runs it."""

import logging
import os
import shutil
import sys
import tempfile

from gunicorn.app.base import BaseApplication

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
    from .app import create_app

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


def default_workers() -> int:
    """Gunicorn's rule of thumb: two workers per core available, plus one."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()  # Linux; others
    return 2 * (cores or 1) + 1


def bind_address(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host and not host.startswith("[") else f"{host}:{port}"


def gunicorn_options(config, host: str, port: int) -> dict:
    """Gunicorn's settings from CodeQR's (``CODEQR_SERVE_*``)."""
    timeout = config["CODEQR_SERVE_TIMEOUT_SECONDS"]
    return {
        "bind": [bind_address(host, port)],
        "workers": config["CODEQR_SERVE_WORKERS"] or default_workers(),
        "threads": config["CODEQR_SERVE_THREADS"],
        "timeout": timeout,
        "graceful_timeout": timeout,
        "accesslog": None,  # CodeQR writes its own request lines (with the request id)
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
    """A fresh folder shared by the workers' metrics (prometheus-client's multiprocess
    mode); set before prometheus-client is imported, removed when the server stops."""

    def __enter__(self):
        self.own = not os.environ.get("PROMETHEUS_MULTIPROC_DIR")  # an operator's own folder is kept
        if self.own:
            os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="codeqr-metrics-")
        return os.environ["PROMETHEUS_MULTIPROC_DIR"]

    def __exit__(self, *_exc):
        if self.own:
            shutil.rmtree(os.environ.pop("PROMETHEUS_MULTIPROC_DIR"), ignore_errors=True)
