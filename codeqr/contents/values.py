"""Value types the content payloads share: strict models with the API's camelCase names,
text without control characters, E.164 phone numbers and e-mail addresses."""

import re
import unicodedata
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticCustomError


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


_E164 = re.compile(r"\+[1-9][0-9]{6,14}")


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
