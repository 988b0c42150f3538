"""A place on Earth: the geo: URI (RFC 5870)."""

from pydantic import Field

from .values import Payload


class LatLong(Payload):
    latitude: float = Field(ge=-90, le=90, allow_inf_nan=False)
    longitude: float = Field(ge=-180, le=180, allow_inf_nan=False)


def degrees(value: float) -> str:
    """Decimal degrees as people write them: at most 7 decimals (about 1 cm), no trailing
    zeros, no exponent, no float noise (0.1 + 0.2 is 0.3), and never -0."""
    text = f"{value:.7f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def encode_geo(place: LatLong) -> str:
    """geo:latitude,longitude (WGS-84). At a pole the longitude means nothing: RFC 5870
    (3.4.2) says to write 0."""
    latitude = degrees(place.latitude)
    longitude = "0" if latitude in {"90", "-90"} else degrees(place.longitude)
    return f"geo:{latitude},{longitude}"
