"""A Wi-Fi network: the WIFI: format phones' cameras read (ZXing's "Barcode Contents")."""

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, StrictBool, ValidationError, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from .values import Payload, check_line

#: An SSID is at most 32 octets (IEEE 802.11), whatever its characters.
SSID_OCTETS = 32
#: A WPA passphrase is 8 to 63 characters (IEEE 802.11i); the longest password of any kind.
WPA_SHORTEST, WPA_LONGEST = 8, 63
_HEX = re.compile(r"[0-9A-Fa-f]+")


def check_ssid(value: str) -> str:
    """The network's name fits in its 32 octets once written in UTF-8."""
    if len(value.encode()) > SSID_OCTETS:
        raise PydanticCustomError("ssid_octets", f"must be at most {SSID_OCTETS} bytes in UTF-8 (fewer characters when "
                                                 "they are accented letters or emoji)")
    return value


class Wifi(Payload):
    ssid: Annotated[str, Field(min_length=1, max_length=SSID_OCTETS), AfterValidator(check_line), AfterValidator(check_ssid)]
    password: Annotated[str, Field(max_length=WPA_LONGEST), AfterValidator(check_line)] | None = None
    encryption: Literal["WPA", "WEP", "nopass"] = "WPA"
    hidden: StrictBool = False

    @model_validator(mode="after")
    def _password_fits_encryption(self) -> "Wifi":
        problem = password_problem(self.encryption, self.password or "")
        if problem:
            # Said of the password field, which the encryption (validated after it) decides.
            detail = InitErrorDetails(type=PydanticCustomError("wifi_password", problem), loc=("password",),
                                      input=self.password)
            raise ValidationError.from_exception_data(type(self).__name__, [detail])
        return self


def password_problem(encryption: str, password: str) -> str | None:
    """What is wrong with a password for the encryption, or None: a WPA passphrase is 8 to 63
    characters; a WEP key 5 or 13 characters, or 10 or 26 hex digits; an open network none."""
    if encryption == "nopass" and password:
        return "must be empty for an open network (encryption nopass): remove it, or choose WPA or WEP"
    if encryption == "WPA" and len(password) < WPA_SHORTEST:  # the field's max_length says the most
        return f"must be {WPA_SHORTEST} to {WPA_LONGEST} characters for a WPA network"
    if encryption == "WEP" and not (len(password) in {5, 13} or (len(password) in {10, 26} and _HEX.fullmatch(password))):
        return "must be 5 or 13 characters, or 10 or 26 hex digits, for a WEP network"
    return None


def escape(value: str) -> str:
    r"""A value of the WIFI: format: \ ; , : and " each escaped by a backslash."""
    return re.sub(r'([\\;,:"])', r"\\\1", value)


def encode_wifi(wifi: Wifi) -> str:
    """WIFI:T:WPA;S:<ssid>;P:<password>;H:true;; (P only with a password, H only when hidden)."""
    fields = [f"T:{wifi.encryption}", f"S:{escape(wifi.ssid)}"]
    if wifi.password:
        fields.append(f"P:{escape(wifi.password)}")
    if wifi.hidden:
        fields.append("H:true")
    return "WIFI:" + "".join(field + ";" for field in fields) + ";"
