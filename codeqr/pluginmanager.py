"""The per-app plugin manager and the name-keyed registries it fills."""

from dataclasses import dataclass, field
from importlib.metadata import version as dist_version

import pluggy
from flask import current_app

from . import hookspecs


class PluginError(RuntimeError):
    """A plugin or a plugin choice that stops the app from starting."""


class Registry(dict):
    """Classes keyed by their ``name``; refuses a name registered twice."""

    def __init__(self, kind: str):
        super().__init__()
        self.kind = kind

    def add(self, cls, plugin_name: str) -> None:
        name = getattr(cls, "name", "")
        if not name:
            raise PluginError(f"plugin {plugin_name!r} registered a {self.kind} without a name: {cls!r}")
        if name in self:
            raise PluginError(f"{self.kind} {name!r} is registered twice (again by plugin {plugin_name!r})")
        self[name] = cls

    def pick(self, name: str, setting: str):
        """Return the class registered as ``name``, or stop with the names available."""
        try:
            return self[name]
        except KeyError:
            available = ", ".join(sorted(self)) or "none"
            raise PluginError(f"{setting}={name!r}: no {self.kind} of that name; available: {available}") from None


@dataclass
class Plugins:
    """What ``app.extensions["codeqr"]`` holds: the manager, registries and chosen backends."""

    pm: pluggy.PluginManager
    renderers: Registry = field(default_factory=lambda: Registry("renderer"))
    storages: Registry = field(default_factory=lambda: Registry("storage"))
    overlays: Registry = field(default_factory=lambda: Registry("overlay"))
    storage: object = None
    overlay: object = None
    images: object = None
    scan_counter: object = None
    reserved_keys: frozenset = frozenset()
    scan_hook_used: bool = False
    redirect_hook_used: bool = False


def build_plugin_manager(extra_plugins, disabled) -> pluggy.PluginManager:
    """Create the manager: hookspecs, entry-point plugins, then plugins passed in."""
    pm = pluggy.PluginManager("codeqr")
    pm.add_hookspecs(hookspecs)
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


def collect(pm: pluggy.PluginManager) -> Plugins:
    """Fill the registries from every plugin's registration hooks."""
    plugins = Plugins(pm=pm)
    hooks = (
        (pm.hook.codeqr_register_renderers, plugins.renderers),
        (pm.hook.codeqr_register_storages, plugins.storages),
        (pm.hook.codeqr_register_overlays, plugins.overlays),
    )
    for hook, registry in hooks:
        for impl in hook.get_hookimpls():
            for cls in impl.function() or ():
                registry.add(cls, impl.plugin_name)
    # The redirect path skips these hooks entirely when no plugin implements them.
    plugins.scan_hook_used = bool(pm.hook.codeqr_qrcode_scanned.get_hookimpls())
    plugins.redirect_hook_used = bool(pm.hook.codeqr_redirect.get_hookimpls())
    return plugins


def plugin_defaults(pm: pluggy.PluginManager) -> dict:
    """Merge every plugin's config defaults; a key defined twice is an error."""
    merged: dict = {}
    for impl in pm.hook.codeqr_config_defaults.get_hookimpls():
        for key, value in (impl.function() or {}).items():
            if key in merged:
                raise PluginError(f"setting {key} is defined by two plugins (again by {impl.plugin_name!r})")
            merged[key] = value
    return merged


def describe(pm: pluggy.PluginManager) -> list[dict]:
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


def current_plugins() -> Plugins:
    """Return the plugin state of the current app."""
    return current_app.extensions["codeqr"]
