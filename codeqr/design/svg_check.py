"""Whether an SVG given as a logo is safe to rasterise: a drawing with nothing that runs
or reaches outside it. Parsed with defusedxml (no DOCTYPE, no entities); then refused:
scripts, ``<foreignObject>``, event attributes (``on…``), any link (``href``,
``xlink:href``, CSS ``url()``, ``@import``) but to a fragment of the document itself or
an inline PNG, JPEG or WebP, whose size is checked as any image's; and a drawing nested
deeper than ``MAX_DEPTH``, counting what it draws by reference (``<use>``, ``url(#…)``):
the rasteriser recurses into each level and overflows its stack (the process dies) a few
hundred levels down."""

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
#: The deepest drawing taken, references followed: real logos nest a dozen levels; resvg
#: crashed at 250 to 400 (groups nested, ``<use>`` or patterns chained).
MAX_DEPTH = 64
#: The most elements other than plain gradients a style sheet may refer to (each is
#: counted from every element).
_MAX_SHEET_TARGETS = 16


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
    if _depth(root) > MAX_DEPTH:
        return f"is nested more than {MAX_DEPTH} levels deep (its references followed)"
    return None


def _depth(root) -> int:
    """How deep the drawing goes, each reference to an element (``href="#id"``, ``url(#id)``)
    counted as that element drawn there; a style sheet's references are counted from every
    element (which it applies to is not worked out). Past ``MAX_DEPTH`` it stops counting."""
    by_id = {element.get("id"): element for element in root.iter() if element.get("id")}
    sheets = "".join(element.text or "" for element in root.iter() if _local(str(element.tag)).lower() == "style")
    sheet_targets = {id(element): element for element in
                     (by_id.get(name[1:]) for name in _CSS_LINK.findall(sheets)) if element is not None}
    # A gradient of stops alone draws nothing by reference: two levels wherever it is used.
    leaves = {key for key, element in sheet_targets.items() if not _refers(element)
              and all(_local(str(child.tag)) == "stop" and not len(child) for child in element)}
    everywhere = [element for key, element in sheet_targets.items() if key not in leaves]
    if len(everywhere) > _MAX_SHEET_TARGETS:  # each element would be counted through each: refuse, not wait
        return MAX_DEPTH + 1
    floor = 2 if leaves else 0
    known: dict[int, int] = {}
    drawing: set[int] = set()  # the elements being counted: a reference back to one is a loop, drawn once

    def depth(element, level: int) -> int:
        if id(element) in known or id(element) in drawing or level > MAX_DEPTH:
            return known.get(id(element), 0) if level <= MAX_DEPTH else MAX_DEPTH + 1
        drawing.add(id(element))
        targets = [by_id[name[1:]] for value in element.attrib.values()
                   for name in ([value.strip()] if value.strip().startswith("#") else _CSS_LINK.findall(value))
                   if name[1:] in by_id]
        deepest = max((depth(child, level + 1) for child in [*element, *targets, *everywhere]), default=floor)
        drawing.discard(id(element))
        known[id(element)] = 1 + deepest
        return 1 + deepest

    return depth(root, 1)


def _refers(element) -> bool:
    """Whether an attribute of ``element`` refers to another element."""
    return any(value.strip().startswith("#") or "url(" in value.lower() for value in element.attrib.values())


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
