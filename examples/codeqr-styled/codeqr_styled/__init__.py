"""codeqr_styled: styled QR Codes for CodeQR, served as ``/qr/{id}.styled-png`` and ``.styled-svg``.

The look is a setting of the instance (CodeQR's QR Code model has no style fields):
``CODEQR_STYLED_MODULES``, ``CODEQR_STYLED_EYES`` and ``CODEQR_STYLED_EYE_COLOR``.
"""

from codeqr import hookimpl

from .png import StyledPngRenderer
from .style import EYE_SHAPES, MODULE_SHAPES, Style
from .svg import StyledSvgRenderer

__all__ = ["EYE_SHAPES", "MODULE_SHAPES", "Style", "StyledPngRenderer", "StyledSvgRenderer"]


@hookimpl
def codeqr_config_defaults():
    return {
        "CODEQR_STYLED_MODULES": "rounded",  # square, rounded or dots
        "CODEQR_STYLED_EYES": "rounded",  # square, rounded or circle
        "CODEQR_STYLED_EYE_COLOR": None,  # "#rrggbb"; None draws the eyes in the QR Code's fgColor
    }


@hookimpl
def codeqr_register_renderers():
    return [StyledPngRenderer, StyledSvgRenderer]
