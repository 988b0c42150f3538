"""What plugins build on: the abstract bases of renderers, storages and overlays.

Each is built once per app with the app's (frozen) configuration:
``cls(config)``. This module imports nothing of the app, so
``from codeqr import hookimpl`` stays cheap.
"""

import io
import mimetypes
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, BinaryIO

import pluggy

from .errors import ConfigurationError

hookimpl = pluggy.HookimplMarker("codeqr")


class PluginError(ConfigurationError):
    """A plugin, a plugin's setting or a plugin choice that stops the app from starting.

    Raise it from a plugin's constructor for a bad setting; the message should name
    the setting, the value and what is allowed.
    """


@dataclass(frozen=True)
class RenderSpec:
    """Everything a renderer needs; a render is a pure function of it.

    ``design`` is the QR Code's ``Design`` (every design field, those plugins add
    included); the core fields are also attributes of the spec itself.
    """

    text: str  # what the code encodes: the short link
    modules: tuple[tuple[bool, ...], ...]  # dark modules, quiet zone included
    design: Any  # codeqr.domain.schemas.Design: bg_color, fg_color ("#rrggbb"), size (pixels), level, margin, …
    overlay: "Overlay | None" = field(default=None, compare=False)
    #: the PNG of the QR Code's own logo (``design.logo``), read from storage; drawn in
    #: place of the overlay
    logo: bytes | None = field(default=None, compare=False, repr=False)

    @property
    def bg_color(self) -> str:
        return self.design.bg_color

    @property
    def fg_color(self) -> str:
        return self.design.fg_color

    @property
    def size(self) -> int:
        """Output width = height, in pixels."""
        return self.design.size

    @property
    def level(self) -> str:
        return self.design.level

    @property
    def margin(self) -> int:
        return self.design.margin

    @property
    def logo_box(self) -> tuple[int, int, int]:
        """Return ``(x, y, side)`` in pixels of the centred square kept for an overlay.

        The side is a fraction of the symbol (quiet zone excluded) that error
        correction can recover: about 5% of the area at level H, less at Q.
        """
        count = len(self.modules)
        symbol = self.size * (count - 2 * self.margin) / count
        side = round(symbol * (0.22 if self.level == "H" else 0.17))
        start = (self.size - side) // 2
        return start, start, side


class _Component(ABC):
    """Something a plugin registers by ``name`` and the core builds with the config."""

    #: the name configuration chooses it by (for a renderer, its format in URLs: ``/qr/{id}.{name}``)
    name: str = ""

    def __init__(self, config: Mapping):
        self.config = config


class Renderer(_Component):
    """Turns a :class:`RenderSpec` into image bytes of one format."""

    media_type: str = "application/octet-stream"
    #: how people name the format in menus ("JPEG", "WebP"); empty: its file type, upper case
    label: str = ""
    #: whether it draws shapes rather than pixels: one file serves every printed size
    vector: bool = False
    #: bump when the same spec renders differently: it is part of the image hash
    version: str = "1"

    @property
    def file_suffix(self) -> str:
        """How files of this format end: ``.png``; ``.styled-png.png`` for a format named
        otherwise than its type's extension, so the file opens in the programs of its type
        and two formats of one type never share a file name."""
        extensions = [extension.lstrip(".") for extension in mimetypes.guess_all_extensions(self.media_type)]
        if not extensions or self.name in extensions:
            return f".{self.name}"
        return f".{self.name}.{extensions[0]}"

    @abstractmethod
    def render(self, spec: RenderSpec) -> bytes:
        """Return the image bytes of ``spec``."""


class Storage(_Component):
    """Keeps rendered images by name. Raise ``StorageUnavailable`` when the backend fails."""

    @abstractmethod
    def get(self, name: str) -> bytes | None:
        """Return the bytes stored as ``name``, or None."""

    @abstractmethod
    def put(self, name: str, data: bytes) -> None:
        """Store ``data`` as ``name`` (names are content hashes: same name, same bytes)."""

    @abstractmethod
    def delete(self, name: str) -> None:
        """Remove ``name``; removing a missing name is not an error."""

    def exists(self, name: str) -> bool:
        """Return whether ``name`` is stored. Override when a cheaper check than ``get`` exists."""
        return self.get(name) is not None

    def put_file(self, name: str, path: str) -> None:
        """Store the file at ``path`` as ``name`` (exports, which can be large). The default
        reads it whole and calls ``put``; override to copy or stream it."""
        with open(path, "rb") as handle:
            self.put(name, handle.read())

    def open(self, name: str) -> BinaryIO | None:
        """Return ``name`` as a binary file to read (seekable, for ranged downloads), or
        None. The default wraps ``get``; override to open it in place."""
        data = self.get(name)
        return io.BytesIO(data) if data is not None else None

    def url(self, name: str) -> str | None:
        """Return a URL where clients fetch ``name`` directly, or None to serve the bytes.

        Optional: the default (None) makes ``/qr/{id}.{ext}`` answer with the bytes
        from ``get``. A URL (e.g. a presigned one) makes it answer 302 to that URL,
        once the image is known to be stored. Called on every request; the URL must
        stay valid long enough for a client to follow the redirect.
        """
        return None


class Overlay(_Component):
    """Draws over the centre of a QR Code (the ``showLogo`` option)."""

    @property
    @abstractmethod
    def fingerprint(self) -> str:
        """A string that changes whenever the overlay's look changes (part of the image hash)."""

    @abstractmethod
    def paint_raster(self, image, spec: RenderSpec) -> None:
        """Draw onto the Pillow ``image`` (RGB, ``spec.size`` square) inside ``spec.logo_box``."""

    @abstractmethod
    def svg_element(self, spec: RenderSpec) -> str:
        """Return SVG markup drawn inside ``spec.logo_box`` (user units are pixels)."""
