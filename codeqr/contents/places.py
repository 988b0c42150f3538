"""A place on Earth: the geo: URI (RFC 5870)."""

from pydantic import Field

from .values import Payload


class LatLong(Payload):
    latitude: float = Field(ge=-90, le=90)
    longitude: float = Field(ge=-180, le=180)


def encode_geo(place: LatLong) -> str:
    raise NotImplementedError
