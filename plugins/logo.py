"""Logo overlay: the instance logo at the centre of QR Codes with ``showLogo``.

Settings: ``CODEQR_LOGO_PATH`` (an image file Pillow reads; default: the CodeQR logo).
The logo fills ``RenderSpec.logo_box``, a square small enough for level Q or H
error correction to restore the modules it hides, on a background-coloured pad.
"""

import base64
import hashlib
import io
from functools import lru_cache
from importlib.resources import files
from pathlib import Path

from PIL import Image, ImageDraw

from codeqr import Overlay, PluginError, hookimpl


class LogoOverlay(Overlay):
    name = "logo"

    def __init__(self, config):
        super().__init__(config)
        path = config.get("CODEQR_LOGO_PATH")
        try:
            source = Path(path).read_bytes() if path else (files("codeqr_plugins") / "logo.png").read_bytes()
        except OSError as error:
            raise PluginError(f"CODEQR_LOGO_PATH={path!r}: cannot read the file ({error.strerror})") from None
        try:
            logo = Image.open(io.BytesIO(source))
            logo.load()
        except Exception as error:
            raise PluginError(f"CODEQR_LOGO_PATH={path!r} is not an image Pillow can read: {error}") from None
        self.logo = logo.convert("RGBA")
        self._fingerprint = hashlib.sha256(source).hexdigest()[:16]
        self._scaled = lru_cache(maxsize=32)(self._scale)

    @property
    def fingerprint(self) -> str:
        return self._fingerprint

    def _scale(self, side: int) -> Image.Image:
        logo = self.logo.copy()
        logo.thumbnail((side, side), Image.Resampling.LANCZOS)
        return logo

    @staticmethod
    def _inner(spec) -> tuple[int, int, int, int]:
        """Return the pad ``(x, y, side, radius)`` and leave room around the logo."""
        x, y, side = spec.logo_box
        return x, y, side, max(2, side // 8)

    def paint_raster(self, image, spec) -> None:
        x, y, side, radius = self._inner(spec)
        ImageDraw.Draw(image).rounded_rectangle((x, y, x + side - 1, y + side - 1), radius, fill=spec.bg_color)
        inset = max(1, side // 12)
        logo = self._scaled(side - 2 * inset)
        offset = (x + (side - logo.width) // 2, y + (side - logo.height) // 2)
        image.paste(logo, offset, logo)

    def svg_element(self, spec) -> str:
        x, y, side, radius = self._inner(spec)
        inset = max(1, side // 12)
        png = io.BytesIO()
        self._scaled(min(512, side - 2 * inset)).save(png, format="PNG")
        data = base64.b64encode(png.getvalue()).decode()
        return (
            f'<rect x="{x}" y="{y}" width="{side}" height="{side}" rx="{radius}" fill="{spec.bg_color}"/>'
            f'<image x="{x + inset}" y="{y + inset}" width="{side - 2 * inset}" height="{side - 2 * inset}" '
            f'preserveAspectRatio="xMidYMid meet" href="data:image/png;base64,{data}"/>'
        )


@hookimpl
def codeqr_config_defaults():
    return {"CODEQR_LOGO_PATH": None}


@hookimpl
def codeqr_register_overlays():
    return [LogoOverlay]
