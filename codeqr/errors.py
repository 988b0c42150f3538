"""Errors raised by services, each mapped to one API error code, and the error of a bad setting."""


class ConfigurationError(RuntimeError):
    """A setting that stops the app from starting; the message names the setting,
    its value and what is allowed."""


class CodeQRError(Exception):
    """Base error: carries the API error `code`, the HTTP `status` and a message."""

    code = "internal_server_error"
    status = 500

    def __init__(self, message: str, detail: str | None = None):
        super().__init__(message)
        self.message = message
        #: the message without the field name, for a form that shows it beside the field
        self.detail = detail or message

    def body(self) -> dict:
        """Return the ``error`` object of the API's error shape."""
        return {"code": self.code, "message": self.message}


class InvalidInput(CodeQRError):
    code, status = "unprocessable_entity", 422

    def __init__(self, message: str, field: str | None = None):
        super().__init__(f"{field}: {message}" if field else message, detail=message)
        self.field = field

    @classmethod
    def from_validation(cls, error) -> "InvalidInput":
        """Turn a pydantic ``ValidationError`` into one readable line: ``field: message; …``."""
        parts = []
        for item in error.errors():
            where = ".".join(str(loc) for loc in item["loc"])
            parts.append(f"{where}: {plain(item['msg'])}" if where else plain(item["msg"]))
        return cls("; ".join(parts))


def plain(message: str) -> str:
    """A validation message without pydantic's "Value error, " (our validators' own words follow)."""
    return message.removeprefix("Value error, ")


class Forbidden(CodeQRError):
    code, status = "forbidden", 403


class NotFound(CodeQRError):
    code, status = "not_found", 404


class Conflict(CodeQRError):
    code, status = "conflict", 409

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
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
