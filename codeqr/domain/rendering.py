"""Rendering: a QR Code's picture (short link + design) -> RenderSpec -> image bytes,
cached in storage by hash."""

import hashlib
import json
import logging
from collections.abc import Mapping
from functools import lru_cache
from typing import Any, NamedTuple

import qrcode
from qrcode.constants import ERROR_CORRECT_H, ERROR_CORRECT_L, ERROR_CORRECT_M, ERROR_CORRECT_Q

from ..errors import StorageUnavailable
from ..operations.instruments import count_storage_error
from ..plugin_api import RenderSpec

log = logging.getLogger(__name__)

_LEVELS = {"L": ERROR_CORRECT_L, "M": ERROR_CORRECT_M, "Q": ERROR_CORRECT_Q, "H": ERROR_CORRECT_H}


@lru_cache(maxsize=4096)
def encode(text: str, level: str, margin: int) -> tuple[tuple[bool, ...], ...]:
    """Return the module matrix (quiet zone included) that encodes ``text``."""
    code = qrcode.QRCode(error_correction=_LEVELS[level], border=margin)
    code.add_data(text)
    code.make(fit=True)
    return tuple(tuple(row) for row in code.get_matrix())


def short_link(config: Mapping[str, Any], domain: str, key: str) -> str:
    """Return the URL a QR Code encodes: ``{scheme}://{domain}/{key}``."""
    return f"{config['CODEQR_SCHEME']}://{domain}/{key}"


class Picture(NamedTuple):
    """What an image shows: the text it encodes (the short link) drawn in a ``Design``."""

    text: str
    design: Any  # schemas.Design (schemas builds on this module)

    def resized(self, size: int) -> "Picture":
        """The same picture at another size in pixels (previews, downloads)."""
        return Picture(self.text, self.design.model_copy(update={"size": size}))


def render_spec(picture: Picture, overlay, logo: bytes | None = None) -> RenderSpec:
    """Build the renderer input of a picture (``logo``: the PNG of its own logo)."""
    design = picture.design
    return RenderSpec(
        text=picture.text,
        modules=encode(picture.text, design.level, design.margin),
        design=design,
        overlay=overlay if design.show_logo else None,
        logo=logo if design.show_logo else None,
    )


def design_hash(picture: Picture, renderer, overlay) -> str:
    """Return the hash naming a render: same hash, same bytes. Also the ETag.

    It covers the renderer, the encoded text and the whole canonical design, so no field
    of the design can change without changing the name of its image.
    """
    parts = [
        renderer.name,
        renderer.version,
        picture.text,
        picture.design.canonical(),
        overlay.fingerprint if picture.design.show_logo and overlay else None,
    ]
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()[:32]


class Images:
    """Serves rendered images: looks in storage by hash, renders and stores on a miss."""

    def __init__(self, config: dict, renderers: dict, storage, overlay):
        self.config = config
        self.renderers = renderers
        self.storage = storage
        self.overlay = overlay

    def etag(self, picture: Picture, fmt: str) -> str:
        """Return the hash naming the image of ``picture`` in ``fmt`` (its strong ETag)."""
        return design_hash(picture, self.renderers[fmt], self.overlay)

    def get(self, picture: Picture, fmt: str, etag: str) -> bytes:
        """Return the image named ``etag``: from storage, or rendered and stored on a miss."""
        name = f"{etag}.{fmt}"
        data = self._storage_call("get", name)
        if data is None:
            data = self.render(picture, fmt)
            self._storage_call("put", name, data)
        return data

    def location(self, picture: Picture, fmt: str, etag: str) -> str | None:
        """Return the storage's URL for the image named ``etag``, or None to serve bytes.

        Before answering with a URL, make sure the image is stored (render and put
        on a miss), so the URL never points at nothing.
        """
        name = f"{etag}.{fmt}"
        url = self._storage_call("url", name)
        if url is not None and not self._storage_call("exists", name):
            self._storage_call("put", name, self.render(picture, fmt))
        return url

    def render(self, picture: Picture, fmt: str) -> bytes:
        """Render without storing (previews, one-off sizes)."""
        return self.renderers[fmt].render(self.spec(picture))

    def spec(self, picture: Picture, logo: bytes | None = None) -> RenderSpec:
        """The renderer input of ``picture``, its own logo read from storage (or ``logo``:
        its PNG, taken in and not stored yet)."""
        name = picture.design.logo
        if logo is None and name and picture.design.show_logo:
            logo = self._storage_call("get", name)
        if name and picture.design.show_logo and logo is None:
            raise StorageUnavailable(f"the logo {name} is missing from image storage {self.storage.name!r}")
        return render_spec(picture, self.overlay, logo)

    def forget(self, picture: Picture) -> None:
        """Delete the stored images of a picture no QR Code shows any longer."""
        for fmt in self.renderers:
            name = f"{self.etag(picture, fmt)}.{fmt}"
            try:
                self._storage_call("delete", name)
            except StorageUnavailable as error:
                # The row change is committed already; a stale image costs only space.
                log.error("could not delete stored image %s: %s", name, error)

    def _storage_call(self, method: str, *args):
        try:
            return getattr(self.storage, method)(*args)
        except Exception as error:
            count_storage_error(self.storage.name)
            if isinstance(error, StorageUnavailable):
                raise
            raise StorageUnavailable(f"image storage {self.storage.name!r} failed: {error}") from error
