"""Files the views hand over: one way to make an attachment of lines read as they are sent."""

from collections.abc import Iterator

from flask import Response, stream_with_context


def streamed_attachment(lines: Iterator[str], filename: str, mimetype: str = "text/csv") -> Response:
    """``lines`` sent as they come (inside the request's context) as the file ``filename``."""
    return Response(stream_with_context(lines), mimetype=mimetype,
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})
