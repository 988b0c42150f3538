"""Configuration: defaults -> plugin defaults -> instance/config.py -> CODEQR_* env -> test_config."""

import difflib
import importlib.util
import logging
import os
import secrets
import socket
import traceback
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Config

from .domain.hostnames import normalise_domain
from .errors import ConfigurationError
from .setting_values import coerce

log = logging.getLogger(__name__)

#: Every setting of the core, with its default. README.md documents each one.
DEFAULTS: dict[str, Any] = {
    "CODEQR_DATABASE_URL": None,  # None: SQLite file codeqr.db in the instance folder
    "CODEQR_SECRET_KEY": None,  # None: generated once into instance/secret_key
    "CODEQR_SCHEME": "http",
    "CODEQR_DEFAULT_DOMAIN": None,  # None: development default, localhost and the port served
    "CODEQR_DOMAINS": [],  # extra served domains beside the default one
    "CODEQR_STORAGE": "filesystem",
    "CODEQR_STORAGE_PATH": None,  # None: images/ in the instance folder
    "CODEQR_DEFAULT_FORMAT": "png",
    "CODEQR_OVERLAY": "logo",
    "CODEQR_FETCH_ALLOW_HTTP": False,  # logos given as URLs: https only unless true
    "CODEQR_DISABLED_PLUGINS": [],
    "CODEQR_AUTO_MIGRATE": True,
    "CODEQR_SQLITE_BUSY_TIMEOUT_MS": 10000,
    "CODEQR_DATABASE_TIMEOUT_SECONDS": 5.0,  # PostgreSQL: connect, statement and answer timeouts
    "CODEQR_SCAN_ASYNC_COMMIT": False,  # PostgreSQL: don't wait for the WAL flush on scans
    "CODEQR_ROUTING_CACHE_SECONDS": 5.0,  # how long a process keeps a short link's link options
    "CODEQR_ANALYTICS": "full",  # full, anonymous or off
    "CODEQR_SCAN_RETENTION_DAYS": 0,  # 0: keep scan events forever
    "CODEQR_GEOIP_DATABASE": None,  # a MaxMind-format city database: adds city and region
    "CODEQR_ANALYTICS_WORKER": True,  # enrich scans in a background thread of each process
    "CODEQR_ANALYTICS_MAX_SPAN_DAYS": 36525,  # longest time frame of an analytics answer (100 years)
    "CODEQR_ANALYTICS_MAX_BUCKETS": 1000,  # most points of an analytics time series
    "CODEQR_ANALYTICS_TIMEOUT_SECONDS": 2.0,  # an analytics or events statement running longer: 503
    "CODEQR_JOB_WORKER": True,  # run jobs (bulk creates, imports) in a background thread of each serving process
    "CODEQR_JOB_LEASE_SECONDS": 30.0,  # a job whose process stopped is taken up by another after this
    "CODEQR_EXPORT_TTL_HOURS": 24.0,  # a finished export's file is removed after this
    "CODEQR_BULK_WAIT_SECONDS": 10.0,  # a bulk create's request waits this long for its job, then answers 202
    "CODEQR_LOGO_GRACE_HOURS": 24.0,  # a logo no QR Code names is removed this long after it was last kept
    "CODEQR_DESTINATION_CHECKS": True,  # check the destinations of dynamic QR Codes in the background
    "CODEQR_DESTINATION_CHECK_HOURS": 24.0,  # each destination is checked once in this period
    "CODEQR_DESTINATION_CHECKS_PER_HOST_PER_MINUTE": 30,  # most requests of the checks to one host in a minute
    "CODEQR_PROXY_FIX": 0,  # number of trusted proxies in front of the app
    "CODEQR_MAX_BODY_BYTES": 8 * 1024 * 1024,  # room for a 5 MB CSV upload
    "CODEQR_RATE_LIMIT_ENABLED": True,
    "CODEQR_RATE_LIMIT_STORAGE_URL": "memory://",  # redis://host:6379/0 to share limits between processes
    "CODEQR_RATE_LIMIT_API": "600 per minute",  # per API key
    "CODEQR_RATE_LIMIT_API_PER_ADDRESS": "1200 per minute",
    # Failed sign-ins to one account from new devices, whatever their address (the bound on guessing):
    "CODEQR_RATE_LIMIT_LOGIN_PER_ACCOUNT": "10 per minute; 40 per hour; 100 per day",
    # Failed sign-ins to one account from one address (or one known device):
    "CODEQR_RATE_LIMIT_LOGIN_PER_ACCOUNT_AND_ADDRESS": "5 per minute; 20 per hour; 50 per day",
    "CODEQR_RATE_LIMIT_LOGIN_PER_ADDRESS": "20 per minute; 200 per hour",  # all sign-in attempts
    "CODEQR_RATE_LIMIT_LINK_PASSWORD": "100 per hour",  # wrong passwords for one QR Code, all addresses
    "CODEQR_RATE_LIMIT_LINK_PASSWORD_PER_ADDRESS": "10 per minute",  # … from one address
    "CODEQR_LOGIN_KNOWN_DEVICE_DAYS": 90,  # a browser that signed in is known to the account this long
    "CODEQR_SETUP_TOKEN": None,  # None: /setup answers this machine only
    "CODEQR_REQUEST_LOG": True,  # one JSON line per request on stdout (codeqr serve, wsgi:app)
    "CODEQR_METRICS_TOKEN": None,  # None: /metrics answers this machine only
    "CODEQR_SERVE_HOST": "127.0.0.1",  # codeqr serve: the address to listen on
    "CODEQR_SERVE_PORT": 8000,
    "CODEQR_SERVE_WORKERS": 0,  # 0: one per CPU core
    "CODEQR_SERVE_THREADS": 16,  # threads per worker: requests answered at once, slow clients absorbed
    "CODEQR_SERVE_TIMEOUT_SECONDS": 30,  # a worker silent this long is restarted
    "CODEQR_SERVE_HEADER_TIMEOUT_SECONDS": 10,  # a request's headers must have arrived by then
    "CODEQR_SERVE_BODY_TIMEOUT_SECONDS": 60,  # and its body this long after its headers
    "CODEQR_SERVE_SEND_TIMEOUT_SECONDS": 60,  # a client that takes none of an answer this long is dropped
}

#: Settings whose values are secrets: an error names them without their value.
SECRET_SETTINGS = frozenset({"CODEQR_SECRET_KEY", "CODEQR_SETUP_TOKEN", "CODEQR_METRICS_TOKEN"})

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


#: Names read elsewhere: the instance folder (before any setting) and the test suite's own.
_NOT_SETTINGS = ("CODEQR_INSTANCE_PATH", "CODEQR_TEST_")


def build_config(instance_path: str, test_config: dict | None, defaults: dict) -> dict:
    """Merge every layer of configuration into one dict of settings, each value checked
    against its default's type whichever layer it came from (one line on a wrong one)."""
    merged = dict(defaults)
    merged.update(_instance_settings(os.path.join(instance_path, "config.py")))
    merged.update({name: raw for name, raw in os.environ.items()
                   if name.startswith("CODEQR_") and not name.startswith(_NOT_SETTINGS)})
    merged.update(test_config or {})
    for name, default in defaults.items():
        try:
            merged[name] = coerce(merged[name], default)
        except ValueError as error:
            shown = name if name in SECRET_SETTINGS else f"{name}={merged[name]!r}"  # a secret is never repeated
            raise ConfigurationError(f"{shown}: {error}") from None
    return merged


def _instance_settings(path: str) -> dict:
    """The upper-case names instance/config.py sets (none without the file); a file that
    cannot be read or run stops the app in one line naming the file and the line."""
    try:
        source = Path(path).read_bytes()
    except FileNotFoundError:
        return {}
    except OSError as error:
        raise ConfigurationError(f"{path} cannot be read ({error.strerror})") from None
    namespace: dict = {"__file__": path}
    try:
        exec(compile(source, path, "exec"), namespace)  # the operator's own file, as Flask's from_pyfile runs it
    except SyntaxError as error:
        raise ConfigurationError(f"{path}, line {error.lineno}: {error.msg}") from None
    except Exception as error:  # whatever the file raises: one line that says where
        lines = [frame.lineno for frame in traceback.extract_tb(error.__traceback__) if frame.filename == path]
        raise ConfigurationError(f"{path}, line {lines[-1] if lines else '?'}: "
                                 f"{type(error).__name__}: {error}") from None
    return {name: value for name, value in namespace.items() if name.isupper()}


#: Settings that must be above zero.
_POSITIVE = ("CODEQR_DATABASE_TIMEOUT_SECONDS", "CODEQR_JOB_LEASE_SECONDS", "CODEQR_EXPORT_TTL_HOURS",
             "CODEQR_LOGO_GRACE_HOURS", "CODEQR_ROUTING_CACHE_SECONDS",
             "CODEQR_SQLITE_BUSY_TIMEOUT_MS", "CODEQR_MAX_BODY_BYTES", "CODEQR_SERVE_THREADS",
             "CODEQR_SERVE_TIMEOUT_SECONDS", "CODEQR_SERVE_HEADER_TIMEOUT_SECONDS",
             "CODEQR_SERVE_BODY_TIMEOUT_SECONDS", "CODEQR_SERVE_SEND_TIMEOUT_SECONDS",
             "CODEQR_LOGIN_KNOWN_DEVICE_DAYS", "CODEQR_ANALYTICS_MAX_SPAN_DAYS",
             "CODEQR_ANALYTICS_MAX_BUCKETS", "CODEQR_ANALYTICS_TIMEOUT_SECONDS",
             "CODEQR_DESTINATION_CHECKS_PER_HOST_PER_MINUTE")


#: The unknown names warned about in this process (a forked worker inherits them).
_warned: set[str] = set()


def check_settings(config: dict, defaults: dict) -> None:
    """Refuse a value CodeQR cannot work with (one line naming the setting, the value and
    what is allowed); warn about a ``CODEQR_*`` name nobody reads, with the closest known."""
    if config["CODEQR_SCHEME"] not in ("http", "https"):
        raise ConfigurationError(f"CODEQR_SCHEME={config['CODEQR_SCHEME']!r}: must be http or https")
    for name in _POSITIVE:
        value = config[name]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
            raise ConfigurationError(f"{name}={value!r}: must be a number above zero")
    if config["CODEQR_LOGO_GRACE_HOURS"] < 1:
        # A logo is kept before the QR Code naming it is saved (a bulk job's insert comes last).
        raise ConfigurationError(f"CODEQR_LOGO_GRACE_HOURS={config['CODEQR_LOGO_GRACE_HOURS']!r}: must be 1 or more "
                                 "(a shorter grace could remove a logo before the QR Code naming it is saved)")
    hours = config["CODEQR_DESTINATION_CHECK_HOURS"]
    if not 1 <= hours <= 24 * 365:
        # The period's moment of each URL is a whole second of it; a check per year at least.
        raise ConfigurationError(f"CODEQR_DESTINATION_CHECK_HOURS={hours!r}: must be a number of hours from 1 to 8760")
    wait = config["CODEQR_BULK_WAIT_SECONDS"]
    if isinstance(wait, bool) or not isinstance(wait, (int, float)) or wait < 0:
        raise ConfigurationError(f"CODEQR_BULK_WAIT_SECONDS={wait!r}: must be a number of seconds, 0 or more")
    if not 0 < config["CODEQR_SERVE_PORT"] < 65536:
        raise ConfigurationError(f"CODEQR_SERVE_PORT={config['CODEQR_SERVE_PORT']!r}: must be a port, 1 to 65535")
    if config["CODEQR_SERVE_WORKERS"] < 0:
        raise ConfigurationError(f"CODEQR_SERVE_WORKERS={config['CODEQR_SERVE_WORKERS']!r}: must be 0 "
                                 "(one per CPU core) or more")
    token = config["CODEQR_SETUP_TOKEN"]
    if token is not None and (not isinstance(token, str) or len(token) < 16):
        # The value is a secret: not repeated.
        raise ConfigurationError("CODEQR_SETUP_TOKEN: must be at least 16 characters; make one with "
                                 "python3 -c 'import secrets; print(secrets.token_urlsafe())'")
    url = config["CODEQR_DATABASE_URL"] or ""
    if url.startswith(("postgres://", "postgresql")) and importlib.util.find_spec("psycopg") is None:
        raise ConfigurationError("CODEQR_DATABASE_URL is a PostgreSQL URL, but its driver is not installed: "
                                 "pip install 'codeqr[postgres]'")
    for name in sorted(config):
        if name.startswith("CODEQR_") and name not in defaults and not name.startswith(_NOT_SETTINGS):
            if name in _warned:  # a server builds its app more than once (checks, migration, workers)
                continue
            _warned.add(name)
            close = difflib.get_close_matches(name, defaults, n=1, cutoff=0.6)
            hint = f"; did you mean {close[0]}?" if close else "; the settings are listed in README.md"
            log.warning("%s is not a setting of CodeQR or of its plugins%s", name, hint)


def host_aliases(domains: list[str], this_machine: str | None = None) -> dict[str, str]:
    """Each host a request may name, with the served domain it means: the domains
    themselves, and for one on this machine (``localhost:5000``, or ``this_machine``: the
    development default, which may be its network address) its other names
    (``127.0.0.1:5000``, ``[::1]:5000``), which browsers and server banners use alike."""
    aliases = {}
    for domain in reversed(domains):  # the first domain wins a name two would share
        try:
            parts = urlsplit(f"//{domain}")
            suffix = f":{parts.port}" if parts.port else ""
        except ValueError:  # not host[:port]: served as written, no other names
            continue
        if parts.hostname in _LOOPBACK_NAMES or domain == this_machine:
            aliases.update({name + suffix: domain for name in LOOPBACK_HOSTS})
    return aliases | {domain: domain for domain in domains}


def development_domain(served_at: str | None) -> str:
    """The domain of short links in development: the machine's name and the port served
    (``127.0.0.1:8000`` gives ``localhost:8000``); served on every interface
    (``0.0.0.0:8000``), its address on the network, so that phones nearby can scan."""
    host, _, port = (served_at or f"localhost:{DEVELOPMENT_PORT}").rpartition(":")
    if host.strip("[]") in EVERY_INTERFACE:
        host = lan_address() or "localhost"
    elif host.strip("[]") in _LOOPBACK_NAMES:
        host = "localhost"
    return host if port == "80" else f"{host}:{port}"


#: Listening on these is listening on every address of this machine.
EVERY_INTERFACE = ("", "0.0.0.0", "::")
#: A documentation address (RFC 5737): "connecting" a UDP socket to it makes the system pick
#: the source address of its route, and sends nothing.
_ROUTE_PROBE = ("198.51.100.1", 9)


def lan_address() -> str | None:
    """This machine's IPv4 address on its network (that of the default route); None without one."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(_ROUTE_PROBE)
        except OSError:  # no route: no network
            return None
        address = probe.getsockname()[0]
    return None if address.startswith(("127.", "0.")) else address


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
    default = config["CODEQR_DEFAULT_DOMAIN"]
    served = [_domain(f"CODEQR_DEFAULT_DOMAIN={default!r}", default) if default else development_domain(served_at)]
    for domain in config["CODEQR_DOMAINS"]:
        domain = _domain(f"CODEQR_DOMAINS has {domain!r}", domain)
        if domain not in served:
            served.append(domain)
    config["CODEQR_DEFAULT_DOMAIN"], config["CODEQR_DOMAINS"] = served[0], served
    config["SECRET_KEY"] = config["CODEQR_SECRET_KEY"]
    config["SQLALCHEMY_DATABASE_URI"] = config["CODEQR_DATABASE_URL"]
    config["MAX_CONTENT_LENGTH"] = config["CODEQR_MAX_BODY_BYTES"]


def _domain(where: str, value: str) -> str:
    try:
        return normalise_domain(value)
    except ValueError as error:
        raise ConfigurationError(f"{where}: {error}") from None


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
