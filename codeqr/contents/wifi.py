"""A Wi-Fi network: the WIFI: format phones' cameras read."""

from typing import Annotated, Literal

from pydantic import Field, StrictBool

from .values import Payload


class Wifi(Payload):
    ssid: Annotated[str, Field(min_length=1, max_length=32)]
    password: Annotated[str, Field(max_length=63)] | None = None
    encryption: Literal["WPA", "WEP", "nopass"] = "WPA"
    hidden: StrictBool = False


def encode_wifi(wifi: Wifi) -> str:
    raise NotImplementedError
