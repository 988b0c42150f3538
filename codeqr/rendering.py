"""Rendering: a QR Code's design -> RenderSpec -> image bytes, cached in storage by hash."""

import hashlib
import json
import logging
from functools import lru_cache

import qrcode
from qrcode.constants import ERROR_CORRECT_H, ERROR_CORRECT_L, ERROR_CORRECT_M, ERROR_CORRECT_Q

from .errors import StorageUnavailable
from .metrics import count_storage_error
from .plugin_api import RenderSpec

log = logging.getLogger(__name__)

_LEVELS = {"L": ERROR_CORRECT_L, "M": ERROR_CORRECT_M, "Q": ERROR_CORRECT_Q, "H": ERROR_CORRECT_H}


@lru_cache(maxsize=4096)
def encode(text: str, level: str, margin: int) -> tuple[tuple[bool, ...], ...]:
    """Return the module matrix (quiet zone included) that encodes ``text``."""
    code = qrcode.QRCode(error_correction=_LEVELS[level], border=margin)
    code.add_data(text)
    code.make(fit=True)
    return tuple(tuple(row) for row in code.get_matrix())


def short_link(config: dict, domain: str, key: str) -> str:
    """Return the URL a QR Code encodes: ``{scheme}://{domain}/{key}``."""
    return f"{config['CODEQR_SCHEME']}://{domain}/{key}"


def render_spec(design: dict, config: dict, overlay) -> RenderSpec:
    """Build the renderer input from a design (``QRCodeOut.design()``)."""
    text = short_link(config, design["domain"], design["key"])
    return RenderSpec(
        text=text,
        modules=encode(text, design["level"], design["margin"]),
        bg_color=design["bg_color"],
        fg_color=design["fg_color"],
        size=design["size"],
        level=design["level"],
        margin=design["margin"],
        overlay=overlay if design["show_logo"] else None,
    )


def design_hash(design: dict, config: dict, renderer, overlay) -> str:
    """Return the hash naming a render: same hash, same bytes. Also the ETag."""
    parts = [
        renderer.name,
        renderer.version,
        short_link(config, design["domain"], design["key"]),
        design["bg_color"],
        design["fg_color"],
        design["size"],
        design["level"],
        design["margin"],
        overlay.fingerprint if design["show_logo"] and overlay else None,
    ]
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()[:32]


class Images:
    """Serves rendered images: looks in storage by hash, renders and stores on a miss."""

    def __init__(self, config: dict, renderers: dict, storage, overlay):
        self.config = config
        self.renderers = renderers
        self.storage = storage
        self.overlay = overlay

    def etag(self, design: dict, fmt: str) -> str:
        """Return the hash naming the image of ``design`` in ``fmt`` (its strong ETag)."""
        return design_hash(design, self.config, self.renderers[fmt], self.overlay)

    def get(self, design: dict, fmt: str, etag: str) -> bytes:
        """Return the image named ``etag``: from storage, or rendered and stored on a miss."""
        name = f"{etag}.{fmt}"
        data = self._storage_call("get", name)
        if data is None:
            data = self.render(design, fmt)
            self._storage_call("put", name, data)
        return data

    def location(self, design: dict, fmt: str, etag: str) -> str | None:
        """Return the storage's URL for the image named ``etag``, or None to serve bytes.

        Before answering with a URL, make sure the image is stored (render and put
        on a miss), so the URL never points at nothing.
        """
        name = f"{etag}.{fmt}"
        url = self._storage_call("url", name)
        if url is not None and not self._storage_call("exists", name):
            self._storage_call("put", name, self.render(design, fmt))
        return url

    def render(self, design: dict, fmt: str) -> bytes:
        """Render without storing (previews, one-off sizes)."""
        return self.renderers[fmt].render(render_spec(design, self.config, self.overlay))

    def forget(self, design: dict) -> None:
        """Delete the stored images of a design that no longer exists."""
        for fmt in self.renderers:
            name = f"{self.etag(design, fmt)}.{fmt}"
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
