"""Decode images with a real QR decoder: zxing-cpp, after resvg rasterises SVG."""

import io

import resvg_py
import zxingcpp
from PIL import Image


def to_image(data: bytes, media_type: str) -> Image.Image:
    """Open PNG bytes, or rasterise SVG bytes at their own width and height."""
    if media_type.startswith("image/svg"):
        data = bytes(resvg_py.svg_to_bytes(svg_string=data.decode()))
    return Image.open(io.BytesIO(data))


def decode(data: bytes, media_type: str) -> list[str]:
    """Return the texts of every QR Code found in the image."""
    image = to_image(data, media_type).convert("RGB")
    # try_invert: light-on-dark designs are valid QR Codes too.
    return [found.text for found in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode,
                                                            try_invert=True)]
