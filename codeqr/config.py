"""Configuration: defaults -> plugin defaults -> instance/config.py -> CODEQR_* env -> test_config."""

import difflib
import importlib.util
import logging
import os
import secrets
from pathlib import Path
from urllib.parse import urlsplit

from flask import Config

from .errors import ConfigurationError

log = logging.getLogger(__name__)

#: Every setting of the core, with its default. README.md documents each one.
DEFAULTS = {
    "CODEQR_DATABASE_URL": None,  # None: SQLite file codeqr.db in the instance folder
    "CODEQR_SECRET_KEY": None,  # None: generated once into instance/secret_key
    "CODEQR_SCHEME": "http",
    "CODEQR_DEFAULT_DOMAIN": None,  # None: development default, localhost and the port served
    "CODEQR_DOMAINS": [],  # extra served domains beside the default one
    "CODEQR_STORAGE": "filesystem",
    "CODEQR_STORAGE_PATH": None,  # None: images/ in the instance folder
    "CODEQR_DEFAULT_FORMAT": "png",
    "CODEQR_OVERLAY": "logo",
    "CODEQR_DISABLED_PLUGINS": [],
    "CODEQR_AUTO_MIGRATE": True,
    "CODEQR_SQLITE_BUSY_TIMEOUT_MS": 10000,
    "CODEQR_DATABASE_TIMEOUT_SECONDS": 5.0,  # PostgreSQL: connect, statement and answer timeouts
    "CODEQR_SCAN_ASYNC_COMMIT": False,  # PostgreSQL: don't wait for the WAL flush on scans
    "CODEQR_ANALYTICS": "full",  # full, anonymous or off
    "CODEQR_SCAN_RETENTION_DAYS": 0,  # 0: keep scan events forever
    "CODEQR_GEOIP_DATABASE": None,  # a MaxMind-format city database: adds city and region
    "CODEQR_ANALYTICS_WORKER": True,  # enrich scans in a background thread of each process
    "CODEQR_ANALYTICS_MAX_SPAN_DAYS": 36525,  # longest time frame of an analytics answer (100 years)
    "CODEQR_ANALYTICS_MAX_BUCKETS": 1000,  # most points of an analytics time series
    "CODEQR_ANALYTICS_TIMEOUT_SECONDS": 2.0,  # an analytics or events statement running longer: 503
    "CODEQR_JOB_WORKER": True,  # run jobs (imports) in a background thread of each serving process
    "CODEQR_JOB_LEASE_SECONDS": 30.0,  # a job whose process stopped is taken up by another after this
    "CODEQR_EXPORT_TTL_HOURS": 24.0,  # a finished export's file is removed after this
    "CODEQR_PROXY_FIX": 0,  # number of trusted proxies in front of the app
    "CODEQR_MAX_BODY_BYTES": 8 * 1024 * 1024,  # room for a 5 MB CSV upload
    "CODEQR_RATE_LIMIT_ENABLED": True,
    "CODEQR_RATE_LIMIT_STORAGE_URL": "memory://",  # redis://host:6379/0 to share limits between processes
    "CODEQR_RATE_LIMIT_API": "600 per minute",  # per API key
    "CODEQR_RATE_LIMIT_API_PER_ADDRESS": "1200 per minute",
    "CODEQR_RATE_LIMIT_LOGIN_PER_ACCOUNT": "5 per minute; 20 per hour; 100 per day",  # failed sign-ins
    "CODEQR_RATE_LIMIT_LOGIN_PER_ADDRESS": "20 per minute; 200 per hour",  # all sign-in attempts
    "CODEQR_REQUEST_LOG": True,  # one JSON line per request on stdout (codeqr serve, wsgi:app)
    "CODEQR_METRICS_TOKEN": None,  # None: /metrics answers this machine only
    "CODEQR_SERVE_HOST": "127.0.0.1",  # codeqr serve: the address to listen on
    "CODEQR_SERVE_PORT": 8000,
    "CODEQR_SERVE_WORKERS": 0,  # 0: two per CPU core, plus one
    "CODEQR_SERVE_THREADS": 1,  # above 1: threaded workers
    "CODEQR_SERVE_TIMEOUT_SECONDS": 30,  # a worker silent this long is restarted
}

#: Where short links point when CODEQR_DEFAULT_DOMAIN is not set and no server command
#: says which port it serves (Flask's development server's default).
DEVELOPMENT_PORT = 5000
#: Host names of this machine itself: served alike, and trusted with more detail on errors.
LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "[::1]")
_LOOPBACK_NAMES = frozenset(host.strip("[]") for host in LOOPBACK_HOSTS)


class FrozenConfig(Config):
    """A Config that refuses changes once the factory has finished."""

    frozen = False
    #: Flask's own CLI sets these on a finished app (``--debug``).
    RUNTIME_KEYS = frozenset({"DEBUG"})

    def _check(self, key=None):
        if self.frozen and key not in self.RUNTIME_KEYS:
            raise RuntimeError("configuration is frozen after create_app(); pass test_config instead")

    def __setitem__(self, key, value):
        self._check(key)
        super().__setitem__(key, value)

    def __delitem__(self, key):
        self._check(key)
        super().__delitem__(key)

    def update(self, *args, **kwargs):
        self._check()
        super().update(*args, **kwargs)

    def setdefault(self, key, default=None):
        if key not in self:
            self._check(key)
        return super().setdefault(key, default)


def _coerce(raw: str, default):
    """Turn an environment string into the type of the setting's default."""
    if isinstance(default, bool):
        if raw.strip().lower() in {"1", "true", "yes", "on"}:
            return True
        if raw.strip().lower() in {"0", "false", "no", "off", ""}:
            return False
        raise ValueError("expected true or false")
    if isinstance(default, int):
        try:
            return int(raw)
        except ValueError:
            raise ValueError("expected a whole number") from None
    if isinstance(default, float):
        try:
            return float(raw)
        except ValueError:
            raise ValueError("expected a number") from None
    if isinstance(default, list):
        return [item.strip() for item in raw.split(",") if item.strip()]
    return raw


def build_config(instance_path: str, test_config: dict | None, defaults: dict) -> dict:
    """Merge every layer of configuration into one dict of settings."""
    merged = Config(instance_path)
    merged.update(defaults)
    merged.from_pyfile(os.path.join(instance_path, "config.py"), silent=True)
    for name, raw in os.environ.items():
        if name.startswith("CODEQR_") and name != "CODEQR_INSTANCE_PATH":
            try:
                merged[name] = _coerce(raw, defaults.get(name))
            except ValueError as error:
                raise ConfigurationError(f"{name}={raw!r}: {error}") from None
    merged.update(test_config or {})
    return dict(merged)


#: Names read elsewhere: the instance folder (before any setting) and the test suite's own.
_NOT_SETTINGS = ("CODEQR_INSTANCE_PATH", "CODEQR_TEST_")
#: Settings that must be above zero.
_POSITIVE = ("CODEQR_DATABASE_TIMEOUT_SECONDS", "CODEQR_JOB_LEASE_SECONDS", "CODEQR_EXPORT_TTL_HOURS",
             "CODEQR_SQLITE_BUSY_TIMEOUT_MS", "CODEQR_MAX_BODY_BYTES", "CODEQR_SERVE_THREADS",
             "CODEQR_SERVE_TIMEOUT_SECONDS", "CODEQR_ANALYTICS_MAX_SPAN_DAYS", "CODEQR_ANALYTICS_MAX_BUCKETS",
             "CODEQR_ANALYTICS_TIMEOUT_SECONDS")


def check_settings(config: dict, defaults: dict) -> None:
    """Refuse a value CodeQR cannot work with (one line naming the setting, the value and
    what is allowed); warn about a ``CODEQR_*`` name nobody reads, with the closest known."""
    if config["CODEQR_SCHEME"] not in ("http", "https"):
        raise ConfigurationError(f"CODEQR_SCHEME={config['CODEQR_SCHEME']!r}: must be http or https")
    for name in _POSITIVE:
        value = config[name]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
            raise ConfigurationError(f"{name}={value!r}: must be a number above zero")
    if not 0 < config["CODEQR_SERVE_PORT"] < 65536:
        raise ConfigurationError(f"CODEQR_SERVE_PORT={config['CODEQR_SERVE_PORT']!r}: must be a port, 1 to 65535")
    if config["CODEQR_SERVE_WORKERS"] < 0:
        raise ConfigurationError(f"CODEQR_SERVE_WORKERS={config['CODEQR_SERVE_WORKERS']!r}: must be 0 "
                                 "(two per CPU core, plus one) or more")
    url = config["CODEQR_DATABASE_URL"] or ""
    if url.startswith(("postgres://", "postgresql")) and importlib.util.find_spec("psycopg") is None:
        raise ConfigurationError("CODEQR_DATABASE_URL is a PostgreSQL URL, but its driver is not installed: "
                                 "pip install 'codeqr[postgres]'")
    for name in sorted(config):
        if name.startswith("CODEQR_") and name not in defaults and not name.startswith(_NOT_SETTINGS):
            close = difflib.get_close_matches(name, defaults, n=1, cutoff=0.6)
            hint = f"; did you mean {close[0]}?" if close else "; the settings are listed in README.md"
            log.warning("%s is not a setting of CodeQR or of its plugins%s", name, hint)


def host_aliases(domains: list[str]) -> dict[str, str]:
    """Each host a request may name, with the served domain it means: the domains
    themselves, and for one on this machine (``localhost:5000``) its other names
    (``127.0.0.1:5000``, ``[::1]:5000``), which browsers and server banners use alike."""
    aliases = {}
    for domain in reversed(domains):  # the first domain wins a name two would share
        try:
            parts = urlsplit(f"//{domain}")
            suffix = f":{parts.port}" if parts.port else ""
        except ValueError:  # not host[:port]: served as written, no other names
            continue
        if parts.hostname in _LOOPBACK_NAMES:
            aliases.update({name + suffix: domain for name in LOOPBACK_HOSTS})
    return aliases | {domain: domain for domain in domains}


def development_domain(served_at: str | None) -> str:
    """The domain of short links in development: the machine's name and the port served
    (``0.0.0.0:8000`` and ``127.0.0.1:8000`` give ``localhost:8000``)."""
    host, _, port = (served_at or f"localhost:{DEVELOPMENT_PORT}").rpartition(":")
    if host.strip("[]") in ("", "0.0.0.0", "::", *_LOOPBACK_NAMES):  # every address of this machine
        host = "localhost"
    return host if port == "80" else f"{host}:{port}"


def resolve_paths(config: dict, instance_path: str, served_at: str | None = None, create_secret: bool = True) -> None:
    """Fill in the settings whose defaults live in the instance folder or come from the
    address served."""
    instance = Path(instance_path)
    if not config["CODEQR_DATABASE_URL"]:
        config["CODEQR_DATABASE_URL"] = f"sqlite:///{instance / 'codeqr.db'}"
    if not config["CODEQR_STORAGE_PATH"]:
        config["CODEQR_STORAGE_PATH"] = str(instance / "images")
    if not config["CODEQR_SECRET_KEY"] and create_secret:
        try:
            config["CODEQR_SECRET_KEY"] = _instance_secret(instance / "secret_key")
        except OSError as error:
            raise ConfigurationError(f"the instance folder {str(instance)!r} cannot be written ({error.strerror}); "
                                     "choose another with CODEQR_INSTANCE_PATH") from None
    config["CODEQR_DEVELOPMENT_DOMAIN"] = not config["CODEQR_DEFAULT_DOMAIN"]
    config["CODEQR_DEFAULT_DOMAIN"] = (config["CODEQR_DEFAULT_DOMAIN"] or development_domain(served_at)).lower()
    served = [config["CODEQR_DEFAULT_DOMAIN"]]
    served += [d.lower() for d in config["CODEQR_DOMAINS"] if d.lower() not in served]
    config["CODEQR_DOMAINS"] = served
    config["SECRET_KEY"] = config["CODEQR_SECRET_KEY"]
    config["SQLALCHEMY_DATABASE_URI"] = config["CODEQR_DATABASE_URL"]
    config["MAX_CONTENT_LENGTH"] = config["CODEQR_MAX_BODY_BYTES"]


def _instance_secret(path: Path) -> str:
    """Read the instance's secret key, creating it on first start (mode 0600)."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        draft = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        draft.write_text(secrets.token_hex(32))
        draft.chmod(0o600)
        try:
            os.link(draft, path)  # atomic: concurrent workers all read the same winner
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    return path.read_text().strip()
