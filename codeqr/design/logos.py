"""A QR Code's own logo, taken in: a ``data:`` URI, an https URL (fetched once, safely),
uploaded bytes, or the value an answer gave -> the name of a PNG in image storage.

The type is read from the bytes: PNG, JPEG or WebP (an animation: its first frame), or
SVG, sanitised then rasterised (never kept as SVG). A file whose declared type (a
``data:`` URI's media type, a file name's or URL path's extension, an image/* type the
server sent) names another image type than its bytes is refused: a mismatch is a mistake
or a file made to be read two ways, and saying so is clearer than guessing. Every logo is
kept as an RGBA PNG of at most ``MAX_SIDE`` pixels on its longer side, named by its hash
(``logo-<hash>.png``): that name is what ``logo`` holds and answers, and the route
``/logos/<name>`` serves it. Nothing is stored when a logo is refused.

Each logo kept is recorded in ``kept_logos`` with when it was last kept; the sweep
(``design.logo_sweep``) removes those no QR Code names once that is older than a grace.
"""

import base64
import binascii
import hashlib
import io
import re
import warnings
from datetime import datetime
from typing import NamedTuple
from urllib.parse import urlsplit

import resvg_py
from PIL import Image, ImageOps

from ..domain.models import KeptLogo
from ..errors import InvalidInput, StorageUnavailable
from ..operations import safe_fetch
from ..persistence.database import begin_write, insert_on_conflict
from ..persistence.extensions import db
from . import svg_check

#: The longest side of a kept logo, in pixels: a logo covers at most 30 % of a 4096 px code.
MAX_SIDE = 1024
#: The most pixels an image given may have: width × height is read before decoding, so a
#: small file that decodes to gigabytes (a decompression bomb) is refused unread.
MAX_PIXELS = 25_000_000
#: The largest file taken in, as for a fetch.
MAX_BYTES = safe_fetch.MAX_BYTES
#: How a kept logo is named: its PNG's SHA-256, shortened.
NAME = re.compile(r"logo-[0-9a-f]{32}\.png")
#: The path a stored logo is served at (``scans.public``).
ROUTE = "/logos/"

_KINDS = {"PNG": "png", "JPEG": "jpeg", "WEBP": "webp"}
_DECLARED = {"image/png": "png", "image/jpeg": "jpeg", "image/jpg": "jpeg", "image/webp": "webp",
             "image/svg+xml": "svg", ".png": "png", ".jpg": "jpeg", ".jpeg": "jpeg", ".webp": "webp", ".svg": "svg"}
_ACCEPTED = "a PNG, JPEG, WebP or SVG image"


class Logo(NamedTuple):
    """A logo taken in: its name and, when not stored yet, the PNG to store under it."""

    name: str
    png: bytes | None


def refused(sentence: str) -> InvalidInput:
    """The 422 beside ``logo``."""
    return InvalidInput(sentence[:1].lower() + sentence[1:].rstrip("."), "logo", sentence=sentence)


def intake(value: str, ctx, storage) -> Logo:
    """Take in what a caller gave as ``logo``; raise ``InvalidInput`` on ``logo`` if it is
    no logo CodeQR keeps. ``ctx`` gives the settings and served hosts; ``storage`` is
    asked whether a name given back is stored. Nothing is stored here (``keep`` does)."""
    if value.startswith("data:"):
        declared, data = _data_uri(value)
        return prepared(data, declared)
    name = _own_name(value, ctx)
    if name is not None:
        if not _stored(storage, name):
            raise refused(f"No logo is kept under the name {name}: send the image itself.")
        return Logo(name, None)
    if urlsplit(value).scheme.lower() in ("https", "http"):
        try:
            fetched = safe_fetch.fetch(value, allow_http=bool(ctx.config.get("CODEQR_FETCH_ALLOW_HTTP")))
        except safe_fetch.FetchRefused as error:
            reason = str(error)
            raise refused(f"The logo could not be fetched: {reason[:1].lower()}{reason[1:]}") from None
        claims = [_DECLARED.get(fetched.content_type.split(";")[0].strip().lower()),
                  _DECLARED.get(_extension(urlsplit(fetched.url).path))]
        return prepared(fetched.body, *claims)
    raise refused(f"Give the logo as a data: URI or an https:// address of {_ACCEPTED}.")


def intake_bytes(data: bytes, filename: str | None = None) -> Logo:
    """Take in an uploaded file (the web form's drop zone); its name's extension is its
    declared type."""
    return prepared(data, _DECLARED.get(_extension(filename or "")))


def keep(logo: Logo, storage, now: datetime) -> str:
    """Record ``logo`` as kept ``now``, then store its PNG (a name given back: check it is
    still stored, else refuse it as ``intake`` does); return its name. Call it once the QR
    Code is checked, before its write transaction (never inside: a put may be slow).

    The record comes first, in a transaction of its own, and the PNG is put every time:
    a sweep removing this logo meanwhile either committed before the record (its file
    deleted before that commit, so before this put) or finds it kept too recently."""
    if db.session.info.get("codeqr_writing"):
        raise RuntimeError("logos.keep runs before the QR Code's write transaction, never inside it")
    with begin_write():
        record = insert_on_conflict(KeptLogo, db.engine.dialect).values(name=logo.name, kept_at=now)
        db.session.execute(record.on_conflict_do_update(index_elements=["name"],
                                                        set_={"kept_at": record.excluded.kept_at}))
    if logo.png is None:
        if not _stored(storage, logo.name):
            raise refused(f"No logo is kept under the name {logo.name}: send the image itself.")
        return logo.name
    try:
        storage.put(logo.name, logo.png)
    except StorageUnavailable:
        raise
    except Exception as error:
        raise StorageUnavailable(f"image storage {storage.name!r} failed: {error}") from error
    return logo.name


def is_kept(value: str, storage) -> bool:
    """Whether ``value`` names a stored logo."""
    return bool(NAME.fullmatch(value)) and _stored(storage, value)


def prepared(data: bytes, *declared: str | None) -> Logo:
    """Check ``data`` and normalise it to the PNG kept; ``declared``: the types it claims."""
    if len(data) > MAX_BYTES:
        raise refused(f"The logo is larger than {MAX_BYTES // 1024:,} KB.")
    kind = _sniffed(data)
    if kind is None:
        raise refused(f"The logo is not {_ACCEPTED}.")
    claimed = {claim for claim in declared if claim}
    if claimed - {kind}:
        raise refused(f"The logo says it is {_label(min(claimed - {kind}))} but its bytes are {_label(kind)}: "
                      "send the file as it is.")
    png = _normalised(_svg_raster(data) if kind == "svg" else data)
    return Logo(f"logo-{hashlib.sha256(png).hexdigest()[:32]}.png", png)


def _sniffed(data: bytes) -> str | None:
    """The image type the bytes are (their first bytes say), or None."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    if data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        return "svg"  # if XML at all: svg_check reads it and wants an <svg> root
    return None


def _normalised(data: bytes) -> bytes:
    """The RGBA PNG kept of a PNG, JPEG or WebP: its first frame, turned upright, at
    most ``MAX_SIDE`` px. Its size is checked before its pixels are decoded."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=list(_KINDS)) as image:
                check_pixels(image.width, image.height)
                image.seek(0)
                image.load()
                upright = ImageOps.exif_transpose(image).convert("RGBA")
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise refused(_too_many_pixels()) from None
    except InvalidInput:
        raise
    except Exception:
        raise refused(f"The logo's image is damaged or not {_ACCEPTED}.") from None
    upright.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    upright.save(out, format="PNG", optimize=True)
    return out.getvalue()


def check_pixels(width: int, height: int) -> None:
    """Refuse an image of more than ``MAX_PIXELS`` pixels (or none)."""
    if width * height > MAX_PIXELS or width < 1 or height < 1:
        raise refused(_too_many_pixels())


def _too_many_pixels() -> str:
    return f"The logo has too many pixels (at most {MAX_PIXELS // 1_000_000} million): send a smaller image."


def _svg_raster(data: bytes) -> bytes:
    """A sanitised SVG rasterised to fit ``MAX_SIDE`` px square (its own size could be a
    bomb), without system fonts nor any file but inline images."""
    try:
        problem = svg_check.problem(data, check_pixels)
    except Image.DecompressionBombError:
        raise refused(_too_many_pixels()) from None
    if problem:
        raise refused(f"The SVG logo {problem}: only drawings and inline PNG, JPEG or WebP images are taken.")
    try:
        return bytes(resvg_py.svg_to_bytes(svg_string=data.decode("utf-8"), skip_system_fonts=True,
                                           width=MAX_SIDE, height=MAX_SIDE))
    except (ValueError, UnicodeDecodeError):
        raise refused("The SVG logo cannot be drawn: its size or content is not valid SVG.") from None


def _data_uri(value: str) -> tuple[str | None, bytes]:
    """The declared type and the bytes of a ``data:image/…;base64,…`` URI."""
    head, comma, body = value.partition(",")
    params = head[5:].lower().split(";")
    if not comma or "base64" not in params[1:]:
        raise refused("A data: URI logo must be base64: data:image/png;base64,….")
    media_type = params[0].strip()
    if media_type not in _DECLARED or not media_type.startswith("image/"):
        raise refused(f"The data: URI must hold {_ACCEPTED} (image/png, image/jpeg, image/webp or image/svg+xml).")
    if len(body) > (MAX_BYTES * 4) // 3 + 4:
        raise refused(f"The logo is larger than {MAX_BYTES // 1024:,} KB.")
    try:
        data = base64.b64decode(re.sub(r"\s+", "", body), validate=True)
    except (binascii.Error, ValueError):
        raise refused("The data: URI's base64 is damaged.") from None
    return _DECLARED[media_type], data


def _own_name(value: str, ctx) -> str | None:
    """The stored logo's name ``value`` gives back: the name itself, or the URL of this
    instance serving it; None for anything else."""
    if NAME.fullmatch(value):
        return value
    parts = urlsplit(value)
    if parts.scheme in ("http", "https") and parts.netloc.lower() in ctx.state.hosts and \
            parts.path.startswith(ROUTE) and NAME.fullmatch(parts.path[len(ROUTE):]) and not parts.query:
        return parts.path[len(ROUTE):]
    return None


def _stored(storage, name: str) -> bool:
    try:
        return bool(storage.exists(name))
    except StorageUnavailable:
        raise
    except Exception as error:
        raise StorageUnavailable(f"image storage {storage.name!r} failed: {error}") from error


def _extension(path: str) -> str:
    dot = path.rfind(".")
    return path[dot:].lower() if dot > path.rfind("/") else ""


def _label(kind: str | None) -> str:
    return {"png": "a PNG", "jpeg": "a JPEG", "webp": "a WebP", "svg": "an SVG"}.get(kind or "", "no image")
