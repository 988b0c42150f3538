"""Whether an SVG given as a logo is safe to rasterise: a drawing with nothing that runs
or reaches outside it. Parsed with defusedxml (no DOCTYPE, no entities); then refused:
scripts, ``<foreignObject>``, event attributes (``on…``), any link (``href``,
``xlink:href``, CSS ``url()``, ``@import``) but to a fragment of the document itself or
an inline PNG, JPEG or WebP, whose size is checked as any image's."""

import base64
import binascii
import io
import re
from collections.abc import Callable

import defusedxml.ElementTree as SafeTree
from defusedxml import DefusedXmlException
from PIL import Image

SVG = "{http://www.w3.org/2000/svg}svg"
_FORBIDDEN = {"script", "foreignobject", "handler", "listener", "iframe", "embed", "object", "audio", "video"}
_INLINE = re.compile(r"data:image/(png|jpeg|webp);base64,([A-Za-z0-9+/=\s]*)", re.IGNORECASE)
_INLINE_FORMATS = {"png": "PNG", "jpeg": "JPEG", "webp": "WEBP"}
_CSS_LINK = re.compile(r"url\(\s*['\"]?\s*([^'\")\s]*)", re.IGNORECASE)


def problem(data: bytes, check_pixels: Callable[[int, int], None]) -> str | None:
    """What makes ``data`` no safe SVG, said after "The SVG logo …"; None when it is one.
    ``check_pixels(width, height)`` raises on an inline image with too many pixels."""
    try:
        root = SafeTree.fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException:
        return "has a DOCTYPE or entities"
    except Exception:
        return "is not well-formed XML"
    if root.tag != SVG:
        return "is not an SVG document (its root is not <svg>)"
    for element in root.iter():
        tag = _local(str(element.tag)).lower()
        if tag in _FORBIDDEN:
            return f"has a <{_local(str(element.tag))}> element"
        for name, value in element.attrib.items():
            attribute = _local(name).lower()
            if attribute.startswith("on"):
                return f"has an event attribute ({_local(name)})"
            if attribute == "href" and not _inside(value, check_pixels):
                return "links to something outside itself"
            if "url(" in value.lower() and not _css_inside(value):
                return "links to something outside itself"
        if tag == "style" and (not _css_inside(element.text or "") or "@import" in (element.text or "").lower()):
            return "has a style sheet that links outside itself"
    return None


def _local(name: str) -> str:
    return name.rsplit("}", 1)[-1]


def _inside(href: str, check_pixels: Callable[[int, int], None]) -> bool:
    """Whether a link points into the document, or is an inline image of a taken type
    (its pixels checked)."""
    href = href.strip()
    if href.startswith("#"):
        return True
    inline = _INLINE.fullmatch(href)
    if not inline:
        return False
    try:
        data = base64.b64decode(re.sub(r"\s+", "", inline.group(2)), validate=True)
        with Image.open(io.BytesIO(data), formats=[_INLINE_FORMATS[inline.group(1).lower()]]) as image:
            size = image.size
    except (binascii.Error, ValueError, OSError):  # a DecompressionBombError goes up: too many pixels
        return False
    check_pixels(*size)
    return True


def _css_inside(css: str) -> bool:
    """Whether every ``url()`` in ``css`` points into the document."""
    return all(target.startswith("#") for target in _CSS_LINK.findall(css))
