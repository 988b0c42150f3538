"""Errors raised by services, each mapped to one API error code, and the error of a bad setting."""

from collections.abc import Iterable
from itertools import islice

#: An error message lists at most this many problems, then says how many more there are:
#: a body with 200,000 unknown fields gets a short answer, not an 8 MB one.
MAX_LISTED = 20


def listed(items: Iterable[str], separator: str = "; ", noun: str = "problem") -> str:
    """Join the first ``MAX_LISTED`` of ``items``, then "… and 1,234 more problems"
    (``items`` may be a generator: those past the limit are only counted)."""
    items = iter(items)
    shown = list(islice(items, MAX_LISTED))
    more = sum(1 for _ in items)
    if more:
        shown.append(f"… and {more:,} more {noun}{'s' if more > 1 else ''}")
    return separator.join(shown)


class ConfigurationError(RuntimeError):
    """A setting that stops the app from starting; the message names the setting,
    its value and what is allowed."""


class CodeQRError(Exception):
    """Base error: carries the API error `code`, the HTTP `status` and a message."""

    code = "internal_server_error"
    status = 500

    field: str | None = None
    #: other fields the error concerns besides ``field`` (shown beside each in a form)
    also: tuple[str, ...] = ()

    def __init__(self, message: str, detail: str | None = None, *, sentence: str | None = None):
        super().__init__(message)
        self.message = message
        #: the message without its field's name (what ``errors`` says of the field)
        self.detail = detail or message
        #: what a person reads in a form: a sentence in their words (the API keeps ``message``);
        #: by default ``detail``, the message without its field name, as a sentence
        self.sentence = sentence or as_sentence(detail or message)

    def field_errors(self) -> list[dict]:
        """Each field the error concerns with what is wrong with it (API names):
        ``[{"field": "size", "message": "…"}]``; empty for an error of no field."""
        if not self.field:
            return []
        return [{"field": field, "message": self.detail} for field in (self.field, *self.also)]

    def body(self) -> dict:
        """Return the ``error`` object of the API's error shape, with ``errors`` (every
        field's problem) when the error concerns fields."""
        errors = self.field_errors()
        return {"code": self.code, "message": self.message, **({"errors": errors} if errors else {})}


class InvalidInput(CodeQRError):
    code, status = "unprocessable_entity", 422

    def __init__(self, message: str, field: str | None = None, *, sentence: str | None = None,
                 also: tuple[str, ...] = ()):
        super().__init__(f"{field}: {message}" if field else message, detail=message, sentence=sentence)
        self.field, self.also = field, also

    @classmethod
    def from_validation(cls, error) -> "InvalidInput":
        """Turn a pydantic ``ValidationError`` into one readable line: ``field: message; …``."""
        def parts():
            for item in error.errors():
                where = ".".join(str(loc) for loc in item["loc"])
                yield f"{where}: {plain(item['msg'])}" if where else plain(item["msg"])
        return cls(listed(parts()))


class InvalidInputs(InvalidInput):
    """Several problems at once (invalid fields, a taken key among them), so a form and
    the API's 422 can give every problem in one go."""

    def __init__(self, problems: "list[CodeQRError]"):
        super().__init__(listed(problem.message for problem in problems))
        self.problems = problems

    def field_errors(self) -> list[dict]:
        return [item for problem in self.problems for item in problem.field_errors()]

    @staticmethod
    def of(problems: "list[CodeQRError]") -> "CodeQRError":
        """One error for ``problems`` (one alone is itself)."""
        return problems[0] if len(problems) == 1 else InvalidInputs(problems)

    @staticmethod
    def raise_any(*found: "CodeQRError | None") -> None:
        """Raise the problems found (None: no problem), one alone as itself (a taken key
        alone stays a 409 conflict; with other problems it is one of the 422's)."""
        problems = [problem for problem in found if problem is not None]
        if problems:
            raise InvalidInputs.of(problems)


def as_sentence(text: str) -> str:
    """``text`` begun with a capital and ended with a full stop."""
    text = text.strip()
    return text[:1].upper() + text[1:] + ("" if text.endswith((".", "?", "!")) else ".")


def plain(message: str) -> str:
    """A validation message without pydantic's "Value error, " (our validators' own words follow)."""
    return message.removeprefix("Value error, ")


class Forbidden(CodeQRError):
    code, status = "forbidden", 403


class NotFound(CodeQRError):
    code, status = "not_found", 404


class Conflict(CodeQRError):
    code, status = "conflict", 409

    def __init__(self, message: str, field: str | None = None, *, sentence: str | None = None):
        super().__init__(message, sentence=sentence)
        self.field = field


class StorageUnavailable(CodeQRError):
    code, status = "service_unavailable", 503


class DatabaseUnavailable(CodeQRError):
    code, status = "service_unavailable", 503


ERROR_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "unprocessable_entity",
    429: "rate_limit_exceeded",
    500: "internal_server_error",
    503: "service_unavailable",
}


def code_for_status(status: int) -> str:
    """Return the error code for an HTTP status (4xx/5xx without a name fall back by class)."""
    return ERROR_CODES.get(status) or ("bad_request" if status < 500 else "internal_server_error")
