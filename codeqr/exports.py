"""Export QR Codes as a ZIP of images plus a CSV manifest, streamed as it is written."""

import csv
import io
import zipfile
from collections.abc import Iterable, Iterator

from .schemas import QRCodeOut
from .state import app_state

MANIFEST_COLUMNS = ["id", "key", "domain", "shortLink", "url", "title", "externalId", "scans", "files"]


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
    manifest = io.StringIO()
    writer = csv.writer(manifest)
    writer.writerow(MANIFEST_COLUMNS)
    used: set[str] = set()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for qr in qrs:
            design = qr.design()
            stem = qr.key if qr.key not in used else f"{qr.key}-{qr.id}"
            used.add(stem)
            files = []
            for fmt in formats:
                data = images.get(design, fmt, images.etag(design, fmt))
                # PNG is compressed already; deflating it again only costs time.
                method = zipfile.ZIP_STORED if fmt == "png" else zipfile.ZIP_DEFLATED
                archive.writestr(f"{stem}.{fmt}", data, compress_type=method)
                files.append(f"{stem}.{fmt}")
                yield from sink.drain()
            writer.writerow([qr.id, qr.key, qr.domain, qr.short_link, qr.url, qr.title or "", qr.external_id or "",
                             qr.scans, " ".join(files)])
        archive.writestr("manifest.csv", manifest.getvalue())
    yield from sink.drain()
