"""Request bodies without a declared length (``Transfer-Encoding: chunked``) held to
``CODEQR_MAX_BODY_BYTES`` like the others: 413, never a body cut short."""

from typing import IO

from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.utils import cached_property
from werkzeug.wsgi import LimitedStream


class _CappedStream(LimitedStream):
    """Werkzeug's stream for a body of unknown length stops reading at the limit and hands
    over what it read, so a body over the limit arrives cut short (a 400 for bad JSON, or a
    form missing its end). This one reads one byte more: if there is one, the body is too large."""

    def readall(self) -> bytes:
        data = super().readall()
        if self.is_exhausted and self._stream.read(1):
            raise RequestEntityTooLarge()
        return data


class CappedBodies:
    """A ``Request`` mixin: bodies without a ``Content-Length`` over the limit are a 413."""

    environ: dict
    content_length: int | None
    max_content_length: int | None

    @cached_property
    def stream(self) -> IO[bytes]:
        limit = self.max_content_length
        if self.content_length is None and limit is not None and self.environ.get("wsgi.input_terminated"):
            return _CappedStream(self.environ["wsgi.input"], limit, is_max=True)  # type: ignore[return-value]
        return super().stream  # type: ignore[misc]
