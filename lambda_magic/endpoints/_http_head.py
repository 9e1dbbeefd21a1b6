"""Reading an HTTP/1.x request head without the ``email`` package.

``http.server`` parses every request's headers with ``email.parser`` (a feed parser built for
mail messages), which is most of what a keep-alive request costs it in Python.  The servers
on loopback read the request line and the header lines themselves for the common case
(``METHOD TARGET HTTP/1.0`` or ``HTTP/1.1``) and leave everything else (HTTP/0.9, HTTP/2.0,
a malformed request line) to ``http.server``, so its errors stay what they are.  The limits
are ``http.client``'s: lines of at most 65,536 bytes, at most 100 header lines.
"""

from __future__ import annotations

from collections.abc import Iterator
from http import HTTPStatus
from http.client import _MAXHEADERS, _MAXLINE  # type: ignore[attr-defined]
from typing import Any


class RequestHeaders:
    """The request's header lines in order, looked up case-insensitively (first one wins)."""

    __slots__ = ("_first", "_lines")

    def __init__(self, lines: list[tuple[str, str]]):
        self._lines = lines
        self._first: dict[str, str] = {}
        for name, value in lines:
            self._first.setdefault(name.lower(), value)

    def get(self, name: str, default: Any = None) -> Any:
        return self._first.get(name.lower(), default)

    def __getitem__(self, name: str) -> str | None:
        return self._first.get(name.lower())

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._first

    def items(self) -> list[tuple[str, str]]:
        return list(self._lines)

    def keys(self) -> list[str]:
        return [name for name, _ in self._lines]

    def __iter__(self) -> Iterator[str]:
        return iter(self.keys())

    def __len__(self) -> int:
        return len(self._lines)


def read_headers(handler: Any) -> RequestHeaders | None:
    """The header lines of ``handler.rfile`` up to the empty line; None after answering 431."""
    lines: list[tuple[str, str]] = []
    readline = handler.rfile.readline
    while True:
        raw = readline(_MAXLINE + 1)
        if len(raw) > _MAXLINE:
            handler.send_error(HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "Line too long", "header line")
            return None
        if raw in (b"\r\n", b"\n", b""):
            return RequestHeaders(lines)
        if len(lines) >= _MAXHEADERS:
            handler.send_error(HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "Too many headers", "got more than 100")
            return None
        text = raw.decode("iso-8859-1")
        if text[0] in " \t" and lines:  # an obsolete folded line continues the previous value
            name, value = lines[-1]
            lines[-1] = (name, f"{value} {text.strip()}")
            continue
        name, colon, value = text.partition(":")
        if not colon:
            continue  # not a header line: ignored, as the email parser treats it as a defect
        lines.append((name.rstrip(), value.strip()))


def parse_request_head(handler: Any) -> bool | None:
    """Parse ``handler.raw_requestline`` and the headers into ``command``, ``path``,
    ``request_version``, ``headers`` and ``close_connection`` as ``http.server`` does; True
    when the request may be served, False when answered already, None to let ``http.server``
    parse a request line this reader does not take."""
    line = handler.raw_requestline.decode("iso-8859-1").rstrip("\r\n")
    words = line.split()
    if len(words) != 3 or words[2] not in ("HTTP/1.1", "HTTP/1.0"):
        return None
    command, path, version = words
    handler.requestline = line
    handler.command, handler.request_version = command, version
    handler.path = "/" + path.lstrip("/") if path.startswith("//") else path
    keep_alive = version == "HTTP/1.1" and handler.protocol_version >= "HTTP/1.1"
    headers = read_headers(handler)
    if headers is None:
        handler.close_connection = True
        return False
    handler.headers = headers
    connection = (headers.get("Connection") or "").lower()
    if connection == "close":
        keep_alive = False
    elif connection == "keep-alive" and handler.protocol_version >= "HTTP/1.1":
        keep_alive = True
    handler.close_connection = not keep_alive
    expect = (headers.get("Expect") or "").lower()
    if expect == "100-continue" and version == "HTTP/1.1" and handler.protocol_version >= "HTTP/1.1":
        return bool(handler.handle_expect_100())
    return True
