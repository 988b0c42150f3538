"""Export QR Codes as a ZIP of images plus a CSV manifest, streamed as it is written."""

import zipfile
from collections.abc import Iterable, Iterator

from .schemas import QRCodeOut
from .spreadsheets import csv_lines
from .state import app_state

#: API fields in the manifest, one column each, then the files of each QR Code.
MANIFEST_FIELDS = ["id", "key", "domain", "shortLink", "url", "title", "externalId", "scans"]
#: Formats whose bytes are compressed already: deflating them again only costs time.
_COMPRESSED = {"image/png", "image/jpeg", "image/webp", "image/gif", "application/pdf"}


class _Chunks:
    """A write-only, unseekable file: zipfile then streams with data descriptors."""

    def __init__(self):
        self.parts: list[bytes] = []

    def write(self, data: bytes) -> int:
        self.parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def drain(self) -> Iterator[bytes]:
        parts, self.parts = self.parts, []
        yield from parts


def export_zip(qrs: Iterable[QRCodeOut], formats: list[str]) -> Iterator[bytes]:
    """Yield a ZIP holding each QR Code's image in each format and ``manifest.csv``."""
    images = app_state().images
    sink = _Chunks()
    manifest = []
    used: set[str] = set()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for qr in qrs:
            design = qr.design()
            stem = qr.key if qr.key not in used else f"{qr.key}-{qr.id}"
            used.add(stem)
            files = []
            for fmt in formats:
                data = images.get(design, fmt, images.etag(design, fmt))
                compressed = images.renderers[fmt].media_type in _COMPRESSED
                method = zipfile.ZIP_STORED if compressed else zipfile.ZIP_DEFLATED
                archive.writestr(f"{stem}.{fmt}", data, compress_type=method)
                files.append(f"{stem}.{fmt}")
                yield from sink.drain()
            api = qr.api()
            manifest.append([*(api[name] for name in MANIFEST_FIELDS), " ".join(files)])
        archive.writestr("manifest.csv", "".join(csv_lines([*MANIFEST_FIELDS, "files"], manifest)))
    yield from sink.drain()
