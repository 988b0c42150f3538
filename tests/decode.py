"""Decode produced images with a real QR decoder (zxing-cpp). Vector formats are rasterised
by tools independent of the code that writes them: SVG by resvg, PDF by PDFium
(pypdfium2), EPS by Ghostscript; each at 72 dpi, so one point is one pixel."""

import io
import subprocess

import pypdfium2
import resvg_py
import zxingcpp
from PIL import Image


def pdf_pages(data: bytes, scale: float = 1.0) -> list[Image.Image]:
    """Every page of a PDF as an RGB image, ``scale`` pixels per point."""
    document = pypdfium2.PdfDocument(data)
    try:
        return [page.render(scale=scale).to_pil().convert("RGB") for page in document]
    finally:
        document.close()


def eps_image(data: bytes, dpi: int = 72) -> Image.Image:
    """An EPS rasterised by Ghostscript, cropped to its bounding box."""
    done = subprocess.run(["gs", "-q", "-dSAFER", "-dBATCH", "-dNOPAUSE", "-dEPSCrop", "-sDEVICE=png16m",
                           f"-r{dpi}", "-sOutputFile=-", "-"], input=data, capture_output=True, check=True)
    return Image.open(io.BytesIO(done.stdout))


def to_image(data: bytes, media_type: str) -> Image.Image:
    if media_type.startswith("image/svg"):
        data = bytes(resvg_py.svg_to_bytes(svg_string=data.decode()))
    elif media_type == "application/pdf":
        (page,) = pdf_pages(data)
        return page
    elif media_type == "application/postscript":
        return eps_image(data)
    return Image.open(io.BytesIO(data))


def read(image: Image.Image) -> list[str]:
    """The texts of the QR Codes found in a Pillow image."""
    return [result.text for result in zxingcpp.read_barcodes(image.convert("RGB"), formats=zxingcpp.BarcodeFormat.QRCode,
                                                             try_invert=True)]


def decode(data: bytes, media_type: str) -> list[str]:
    """Return the texts of the QR Codes found in an image."""
    return read(to_image(data, media_type))
