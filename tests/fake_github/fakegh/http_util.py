"""Small HTTP pieces shared by the REST API, git smart HTTP and the control
API: the Response value, JSON and GitHub-style error bodies, request ids,
and reading a request body (Content-Length or chunked) as a stream.
"""

import json
import secrets
from dataclasses import dataclass, field
from typing import Iterator

DOCS_ROOT = "https://docs.github.com/rest"
READ_SIZE = 64 * 1024


@dataclass
class Response:
    status: int
    body: bytes = b""
    headers: dict = field(default_factory=dict)  # lower-case names


class HttpError(Exception):
    """Raised by handlers to answer with `response` at once."""

    def __init__(self, response: Response):
        super().__init__(response.status)
        self.response = response


def json_response(status: int, document, headers=None) -> Response:
    # Compact, as GitHub sends it (the recorded fixtures' Content-Length
    # match this form).
    body = json.dumps(document, separators=(",", ":")).encode("utf-8")
    return Response(status, body, dict(headers or {}))


def github_error(status: int, message: str, documentation_url: str = DOCS_ROOT,
                 headers=None, **extra) -> Response:
    """GitHub's error body (components/schemas/basic-error): message,
    documentation_url, and the status as a string, as GitHub sends today."""
    document = {"message": message, **extra,
                "documentation_url": documentation_url, "status": str(status)}
    return json_response(status, document, headers)


def new_request_id() -> str:
    """In the form of GitHub's x-github-request-id: 'CB1A:2D8F:1C4E5F6:...'."""
    sizes = (2, 2, 4, 4, 4)
    return ":".join(secrets.token_hex(n).upper() for n in sizes)


class BadRequestBody(Exception):
    pass


def iter_request_body(rfile, headers) -> Iterator[bytes]:
    """The request body as it arrives: Content-Length bytes, or the chunks
    of Transfer-Encoding: chunked (git sends large fetch requests chunked).
    The whole body is consumed, so the connection can serve the next
    request (HTTP/1.1 keep-alive)."""
    if "chunked" in headers.get("Transfer-Encoding", "").lower():
        yield from _iter_chunked(rfile)
        return
    length_text = headers.get("Content-Length")
    remaining = int(length_text) if length_text and length_text.isdigit() else 0
    while remaining > 0:
        data = rfile.read(min(READ_SIZE, remaining))
        if not data:
            raise BadRequestBody("request body ended early")
        remaining -= len(data)
        yield data


def _iter_chunked(rfile) -> Iterator[bytes]:
    while True:
        size_line = rfile.readline(1024)
        if not size_line:
            raise BadRequestBody("chunked body ended early")
        try:
            size = int(size_line.split(b";", 1)[0].strip(), 16)
        except ValueError:
            raise BadRequestBody("bad chunk size") from None
        if size == 0:
            # Trailers (rare) end with an empty line.
            while rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                pass
            return
        remaining = size
        while remaining > 0:
            data = rfile.read(min(READ_SIZE, remaining))
            if not data:
                raise BadRequestBody("chunk ended early")
            remaining -= len(data)
            yield data
        rfile.readline(16)  # the CRLF after each chunk


def read_request_body(rfile, headers, limit: int = 1 << 20) -> bytes:
    """The whole body of a small (REST or control) request."""
    parts, size = [], 0
    for data in iter_request_body(rfile, headers):
        size += len(data)
        if size <= limit:
            parts.append(data)
    if size > limit:
        raise BadRequestBody(f"request body over {limit} bytes")
    return b"".join(parts)


def drain_request_body(rfile, headers) -> None:
    """Read and drop the body of a request answered without it."""
    for _ in iter_request_body(rfile, headers):
        pass
