"""Decode produced images with a real QR decoder (zxing-cpp); SVG is rasterised by resvg."""

import io

import resvg_py
import zxingcpp
from PIL import Image


def to_image(data: bytes, media_type: str) -> Image.Image:
    if media_type.startswith("image/svg"):
        data = bytes(resvg_py.svg_to_bytes(svg_string=data.decode()))
    return Image.open(io.BytesIO(data))


def decode(data: bytes, media_type: str) -> list[str]:
    """Return the texts of the QR Codes found in an image."""
    image = to_image(data, media_type).convert("RGB")
    return [result.text for result in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode,
                                                             try_invert=True)]
