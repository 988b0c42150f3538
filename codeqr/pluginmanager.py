"""The per-app plugin manager and the name-keyed registries it fills."""

import inspect
import json
import re
from importlib.metadata import version as dist_version
from typing import Any, Generic, TypeVar, cast

import pluggy
from pydantic import PydanticUserError, TypeAdapter, ValidationError
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticSerializationError

from . import hookspecs
from .domain.schemas import QRCodeCreate, QRCodeOut, ui_of
from .jobs import kinds as core_job_kinds
from .jobs.runner import JOB_COLUMNS, JobKind
from .plugin_api import Overlay, PluginError, Renderer, Storage, _Component

T = TypeVar("T", bound=_Component)


class Registry(dict[str, type[T]], Generic[T]):
    """Subclasses of one base, keyed by their ``name``; refuses a name registered twice,
    a class of the wrong kind, and a class that leaves an abstract method unwritten."""

    def __init__(self, kind: str, base: type[T]):
        super().__init__()
        self.kind = kind
        self.base = base

    def add(self, cls, plugin_name: str) -> None:
        where = f"plugin {plugin_name!r} registered"
        if not (inspect.isclass(cls) and issubclass(cls, self.base)):
            raise PluginError(f"{where} {cls!r} as a {self.kind}, but it is not a subclass of codeqr.{self.base.__name__}")
        if inspect.isabstract(cls):
            missing = ", ".join(sorted(getattr(cls, "__abstractmethods__", ())))
            raise PluginError(f"{where} the {self.kind} {cls.__name__} without implementing: {missing}")
        name = cls.name
        if not name:
            raise PluginError(f"{where} a {self.kind} without a name: {cls!r}")
        if name in self:
            raise PluginError(f"{self.kind} {name!r} is registered twice (again by plugin {plugin_name!r})")
        self[name] = cls

    def pick(self, name: str, setting: str) -> type[T]:
        """Return the class registered as ``name``, or stop with the names available."""
        try:
            return self[name]
        except KeyError:
            available = ", ".join(sorted(self)) or "none"
            raise PluginError(f"{setting}={name!r}: no {self.kind} of that name; available: {available}") from None


def build_plugin_manager(extra_plugins, disabled) -> pluggy.PluginManager:
    """Create the manager: hookspecs, entry-point plugins, then plugins passed in."""
    pm = pluggy.PluginManager("codeqr")
    pm.add_hookspecs(hookspecs)
    pm.register(core_job_kinds, name="codeqr.jobs")
    for name in disabled:
        pm.set_blocked(name)
    pm.load_setuptools_entrypoints("codeqr")
    for plugin in extra_plugins:
        name = getattr(plugin, "__name__", None) or type(plugin).__name__
        if not pm.is_blocked(name):
            pm.register(plugin, name=name)
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as error:
        raise PluginError(str(error)) from None
    return pm


def _collect(pm: pluggy.PluginManager, hook, registry: Registry) -> Registry:
    for impl in hook.get_hookimpls():
        for cls in impl.function() or ():
            registry.add(cls, impl.plugin_name)
    return registry


def renderers(pm: pluggy.PluginManager) -> Registry[Renderer]:
    return _collect(pm, pm.hook.codeqr_register_renderers, Registry("renderer", Renderer))


def storages(pm: pluggy.PluginManager) -> Registry[Storage]:
    return _collect(pm, pm.hook.codeqr_register_storages, Registry("storage", Storage))


def overlays(pm: pluggy.PluginManager) -> Registry[Overlay]:
    return _collect(pm, pm.hook.codeqr_register_overlays, Registry("overlay", Overlay))


def job_kinds(pm: pluggy.PluginManager) -> list[JobKind]:
    """Every kind of job registered (the core's first); refuses a table that lacks a
    job's columns or is registered twice, and a ``run`` that cannot be called."""
    kinds: list[JobKind] = []
    for impl in pm.hook.codeqr_register_job_kinds.get_hookimpls():
        entries = cast(list, impl.function() or [])
        for entry in entries:
            where = f"plugin {impl.plugin_name!r} registered the job kind {entry!r}"
            if not isinstance(entry, tuple) or len(entry) not in (2, 3):
                raise PluginError(f"{where}: not a (model, run) or (model, run, tidy) tuple")
            kind = JobKind(*entry)
            missing = [name for name in JOB_COLUMNS if not hasattr(kind.model, name)]
            if missing:
                raise PluginError(f"{where}: its table has no {', '.join(missing)}")
            if not callable(kind.run) or not (kind.tidy is None or callable(kind.tidy)):
                raise PluginError(f"{where}: run and tidy must be functions")
            if any(known.model is kind.model for known in kinds):
                raise PluginError(f"{where}: that table is registered twice")
            kinds.append(kind)
    return kinds


#: A design field's name: snake_case, as the core's are.
_FIELD_NAME = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")


def design_fields(pm: pluggy.PluginManager) -> dict[str, tuple[Any, Any]]:
    """Every plugin's design fields, ``{name: (type, default)}``. Refuses a name that is not
    snake_case, one the core's QR Code (a field, an API name, a method or pydantic's) or
    another plugin uses, and a default its type refuses or that JSON cannot carry."""
    merged: dict[str, tuple[Any, Any]] = {}
    for impl in pm.hook.codeqr_design_fields.get_hookimpls():
        fields = impl.function() or {}
        if not isinstance(fields, dict):
            raise PluginError(f"plugin {impl.plugin_name!r} gave design fields that are not a dict: {fields!r}")
        for name, entry in fields.items():
            where = f"plugin {impl.plugin_name!r} added the design field {name!r}"
            if not isinstance(name, str) or not _FIELD_NAME.match(name):
                raise PluginError(f"{where}: a field's name is snake_case letters and digits, like frame_text")
            taken_by = _taken_by(name, merged)
            if taken_by:
                raise PluginError(f"{where}: that name is taken {taken_by}")
            if not isinstance(entry, tuple) or len(entry) != 2:
                raise PluginError(f"{where}: give it as (type, default)")
            _check_default(where, *entry)
            merged[name] = entry
    return merged


#: Names a design field may not take beyond the QR Code's own: what the stored design, the
#: refused rows' CSV and the export manifest use (the form checks its own: ``qrcode_form``).
_RESERVED = {"version", "design", "problem", "files"}


def _taken_by(name: str, plugins: dict) -> str | None:
    """Who uses ``name`` already, in any of the spellings a field goes by (attribute, API
    name, CSV header), or None."""
    def spellings(field: str) -> set[str]:
        return {field, to_camel(field), re.sub(r"[^a-z0-9]", "", field.lower())}

    aliases = {alias for info in QRCodeCreate.model_fields.values() for alias in ui_of(info).csv_aliases}
    core = {*QRCodeCreate.model_fields, *QRCodeOut.model_fields, *QRCodeOut.model_computed_fields, *aliases, *_RESERVED}
    if (spellings(name) & {spelling for field in core for spelling in spellings(field)}
            or hasattr(QRCodeOut, name) or name.startswith("model_")):
        return "by CodeQR (a field, an API or CSV name, or a method of a QR Code)"
    if spellings(name) & {spelling for field in plugins for spelling in spellings(field)}:
        return "by another plugin (or spelt as theirs in the API or a CSV header)"
    return None


def _check_default(where: str, kind: Any, default: Any) -> None:
    """The default must be a value of ``kind`` that comes back as itself through JSON, read
    strictly as the API reads it (so the API, the stored design and the CSV can carry it)."""
    try:
        adapter = TypeAdapter(kind)
        adapter.validate_python(default, strict=True)
        carried = json.loads(json.dumps(adapter.dump_python(default, mode="json"), allow_nan=False))
        if adapter.validate_python(carried, strict=True) != default:
            raise ValueError("it does not come back as itself through JSON")
    except (ValidationError, PydanticUserError, TypeError, ValueError, PydanticSerializationError) as error:
        raise PluginError(f"{where}: its default {default!r} is not a value of its type that JSON carries "
                          f"({error}); use str, int, float, bool or a Literal of them") from None


def plugin_defaults(pm: pluggy.PluginManager) -> dict:
    """Merge every plugin's config defaults; a key defined twice is an error."""
    merged: dict = {}
    for impl in pm.hook.codeqr_config_defaults.get_hookimpls():
        defaults = impl.function() or {}
        if not isinstance(defaults, dict):
            raise PluginError(f"plugin {impl.plugin_name!r} gave config defaults that are not a dict: {defaults!r}")
        for key, value in defaults.items():
            if key in merged:
                raise PluginError(f"setting {key} is defined by two plugins (again by {impl.plugin_name!r})")
            merged[key] = value
    return merged


def loaded_plugins(pm: pluggy.PluginManager) -> list[dict]:
    """Return name, version and implemented hooks of every loaded plugin."""
    dists = {id(plugin): dist for plugin, dist in pm.list_plugin_distinfo()}
    rows = []
    for name, plugin in sorted(pm.list_name_plugin(), key=lambda item: item[0]):
        if plugin is None:  # blocked
            continue
        dist = dists.get(id(plugin))
        version = dist.version if dist else _module_version(plugin)
        hooks = sorted(caller.name for caller in pm.get_hookcallers(plugin) or ())
        rows.append({"name": name, "version": version, "hooks": hooks})
    return rows


def _module_version(plugin) -> str:
    version = getattr(plugin, "__version__", None)
    if version:
        return version
    try:
        return dist_version((getattr(plugin, "__name__", "") or "").split(".")[0])
    except Exception:
        return "unknown"
