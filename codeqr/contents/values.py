"""Value types the content payloads share: strict models with the API's camelCase names,
text without control characters, E.164 phone numbers and e-mail addresses."""

import re
import unicodedata
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticCustomError

MAX_URL_LENGTH = 8192


class Payload(BaseModel):
    """A content type's payload: camelCase keys, no key CodeQR does not know, strict types."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid", strict=True,
                              frozen=True)


def check_text(value: str) -> str:
    """Free text may hold tabs and line breaks, but no other control characters."""
    if any(unicodedata.category(char) == "Cc" and char not in "\t\n\r" for char in value):
        raise PydanticCustomError("control_characters", "must not contain control characters")
    return value


def check_line(value: str) -> str:
    """One line of text: no control characters at all (no line breaks either)."""
    if any(unicodedata.category(char) in {"Cc", "Zl", "Zp"} for char in value):
        raise PydanticCustomError("line_breaks", "must be one line, without control characters")
    return value


def check_url(value: str) -> str:
    """Accept only absolute http(s) URLs without spaces or invisible characters. Each
    refusal has its own error type, so the web forms can say it in their own words."""
    for char in value:
        if unicodedata.category(char) in {"Cc", "Cf", "Cs", "Zs", "Zl", "Zp"}:
            raise PydanticCustomError("url_spaces", "must not contain spaces or control characters")
    try:
        parts = urlsplit(value)
        _ = parts.port  # raises on a malformed port
    except ValueError as error:
        raise PydanticCustomError("url_unreadable", "is not a valid URL ({reason})", {"reason": str(error)}) from None
    if parts.scheme.lower() not in {"http", "https"} or not parts.netloc:
        raise PydanticCustomError("url_scheme", "must be an absolute http:// or https:// URL")
    # https://google.com@evil.example/ leads to evil.example: no credentials, nor a host a
    # browser reads otherwise (it takes \ for / and decodes %40 to @).
    if "@" in parts.netloc:
        raise PydanticCustomError("url_userinfo", "must not contain a user name or password (user@ before the host)")
    if "\\" in parts.netloc or "%" in parts.netloc:
        raise PydanticCustomError("url_host_characters", "must not contain \\ or % before the path")
    if not parts.hostname:
        raise PydanticCustomError("url_host", "must name a host")
    return value


_E164 = re.compile(r"\+[1-9][0-9]{6,14}")


Url = Annotated[
    str,
    Field(
        min_length=1,
        max_length=MAX_URL_LENGTH,
        description="absolute http(s) URL without a user name or password, stored as given",
        # For the spec only: check_url gives clearer messages than a pattern would.
        json_schema_extra={"pattern": r"^[Hh][Tt][Tt][Pp][Ss]?://[^\s/?#@\\%]+([/?#]|$)"},
    ),
    AfterValidator(check_url),
]


def check_phone(value: str) -> str:
    """A phone number in E.164 form (+ and up to 15 digits); spaces, dots, dashes and
    brackets people type are dropped first."""
    compact = re.sub(r"[\s().-]", "", value)
    if not _E164.fullmatch(compact):
        raise PydanticCustomError("phone", "must be a phone number in international form: + then the country code "
                                           "and number, 7 to 15 digits (+33 6 12 34 56 78)")
    return compact


_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
_EMAIL = re.compile(rf"[^@\s\"(),:;<>\[\\\]]+@{_LABEL}(?:\.{_LABEL})+")


def check_email(value: str) -> str:
    """An e-mail address: a local part without spaces or quotes, @, a domain with a dot."""
    if not _EMAIL.fullmatch(value):
        raise PydanticCustomError("email", "must be an e-mail address such as name@example.com")
    return value


Text = Annotated[str, Field(min_length=1, max_length=4000), AfterValidator(check_text)]
Line = Annotated[str, Field(min_length=1, max_length=500), AfterValidator(check_line)]
Phone = Annotated[str, Field(min_length=1, max_length=40), AfterValidator(check_phone)]
Email = Annotated[str, Field(min_length=3, max_length=254), AfterValidator(check_email)]
#: A web address a phone follows (a contact's website, a product's link).
WebAddress = Annotated[str, Field(min_length=1, max_length=2000), AfterValidator(check_url)]

