"""What the Python runtime does inside an execution environment.

Import the cell as module ``lambda_function``, find the handler, call it with the
JSON-decoded event and a fresh context, marshal the result, and turn exceptions
into Lambda's error documents.  Used by both isolations (process and inline).
"""

from __future__ import annotations

import io
import json
import linecache
import os
import sys
import time
import traceback
import types
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ..common import limits
from .function import CODE_FILENAME, MODULE_NAME

_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class InitError(Exception):
    """The init phase failed; ``error`` is the error document Lambda returns."""

    def __init__(self, error: dict[str, Any]):
        super().__init__(error["errorMessage"])
        self.error = error


@dataclass
class Outcome:
    """The result of one handler call: a marshalled body, or an error document."""

    body: bytes | None
    error: dict[str, Any] | None = None
    #: The error should also be logged as an ``[ERROR]`` event (runtime-detected errors are).
    log_error: bool = True


# --- log capture -------------------------------------------------------------------------


class LogBuffer:
    """Collects the log events of one phase: ``(epoch_ms, level, message)``.

    ``print`` output becomes one event per line (a ``\\r`` keeps lines together,
    as on Lambda); a logging record is one event even when it spans lines.  Nothing
    is capped per invocation, as on Lambda: only CloudWatch Logs' event size
    applies, and a longer message is split into consecutive events of at most
    ``max_event_bytes`` UTF-8 bytes (Lambda does the same with a long line).  Each
    event goes to ``emit`` at once (so nothing is lost if the environment is ended
    mid-invocation, and the buffer holds at most one unfinished line), or to
    ``events`` when no ``emit`` is given.
    """

    def __init__(
        self,
        emit: Callable[[tuple[float, str | None, str]], None] | None = None,
        max_event_bytes: int = limits.LOG_EVENT_MESSAGE_MAX_BYTES,
    ):
        self.max_event_bytes = max_event_bytes
        self.events: list[tuple[float, str | None, str]] = []
        #: Kept for the frames' shape: nothing is dropped any more.
        self.dropped_bytes = 0
        self._emit = emit or self.events.append
        self._partial: list[str] = []
        self._partial_len = 0

    def add(self, level: str | None, message: str) -> None:
        """One event (split into several when longer than an event may be)."""
        if len(message) <= self.max_event_bytes >> 2 or (message.isascii() and len(message) <= self.max_event_bytes):
            self._emit((time.time() * 1000, level, message))  # the common case: one event
            return
        now = time.time() * 1000
        for part in split_message(message, self.max_event_bytes):
            self._emit((now, level, part))

    def write(self, text: str) -> None:
        """Output as written by ``print``: one event per line, the last one possibly unfinished.

        Lines are scanned in place (no copy of a long ``text`` beyond one event's worth at a time)."""
        if "\n" not in text and self._partial_len + len(text) <= self.max_event_bytes:
            self._partial.append(text)  # the common case: part of a line (print writes args, then "\n")
            self._partial_len += len(text)
            return
        position, size = 0, len(text)
        while position < size:
            newline = text.find("\n", position)
            end = size if newline < 0 else newline
            self._append(text, position, end)
            if newline < 0:
                return
            self._end_line()
            position = newline + 1

    def _append(self, text: str, start: int, end: int) -> None:
        while end - start > self.max_event_bytes - self._partial_len:  # a whole event's worth: send it
            cut = start + self.max_event_bytes - self._partial_len
            self._partial.append(text[start:cut])
            self._end_line()
            start = cut
        if end > start:
            self._partial.append(text[start:end])
            self._partial_len += end - start

    def _end_line(self) -> None:
        line = "".join(self._partial) if len(self._partial) != 1 else self._partial[0]
        self._partial.clear()
        self._partial_len = 0
        self.add(None, line.replace("\r", "\n"))

    def drain(self) -> tuple[list[tuple[float, str | None, str]], int]:
        """End the phase: return the collected events (and 0, the bytes not kept)."""
        if self._partial:
            self._end_line()
        events = list(self.events)
        self.events.clear()
        return events, 0


def split_message(message: str, max_bytes: int) -> Iterator[str]:
    """``message`` as consecutive pieces of at most ``max_bytes`` UTF-8 bytes, cut between characters.

    A generator, so a long message costs one piece of memory at a time."""
    if message.isascii():
        if len(message) <= max_bytes:
            yield message
            return
        for start in range(0, len(message), max_bytes):
            yield message[start : start + max_bytes]
        return
    position = 0
    while True:
        window = message[position : position + max_bytes]
        data = window.encode(errors="surrogateescape")
        if len(data) <= max_bytes:
            if window or not position:
                yield window
            if position + len(window) >= len(message):
                return
            position += len(window)
            continue
        end = max_bytes
        while end > 0 and (data[end] & 0xC0) == 0x80:  # not inside a character
            end -= 1
        piece = data[:end].decode(errors="surrogateescape")
        yield piece
        position += len(piece)


class LogStream(io.TextIOBase):
    """``sys.stdout``/``sys.stderr`` inside the environment: unbuffered, into a LogBuffer."""

    def __init__(self, buffer: LogBuffer, fileno: int | None = None):
        self._buffer = buffer
        self._fileno = fileno

    def write(self, text: str) -> int:
        self._buffer.write(text)
        return len(text)

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return False

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return "utf-8"

    def fileno(self) -> int:
        if self._fileno is None:
            raise io.UnsupportedOperation("fileno")
        return self._fileno


# --- init ------------------------------------------------------------------------------------


def load_handler(code: str, handler_name: str, modules: dict[str, Any] | None = None) -> Callable[[Any, Any], Any]:
    """Import the code as ``lambda_function`` and return its handler, or raise InitError.

    The module is registered in ``modules`` (``sys.modules`` by default)."""
    linecache.cache[CODE_FILENAME] = (len(code), None, code.splitlines(True), CODE_FILENAME)
    try:
        compiled = compile(code, CODE_FILENAME, "exec")
    except SyntaxError as exc:
        raise InitError(
            {
                "errorMessage": f"Syntax error in module '{MODULE_NAME}': {exc}",
                "errorType": "Runtime.UserCodeSyntaxError",
                "requestId": "",
                "stackTrace": [f'  File "{CODE_FILENAME}" Line {exc.lineno}\n', f"    {(exc.text or '').strip()}\n"],
            }
        ) from None
    module = types.ModuleType(MODULE_NAME)
    module.__file__ = CODE_FILENAME
    (sys.modules if modules is None else modules)[MODULE_NAME] = module
    try:
        exec(compiled, module.__dict__)
    except ImportError as exc:
        raise InitError(
            {
                "errorMessage": f"Unable to import module '{MODULE_NAME}': {exc}",
                "errorType": "Runtime.ImportModuleError",
                "requestId": "",
                "stackTrace": [],
            }
        ) from None
    except MemoryError:
        raise
    except Exception as exc:
        raise InitError(make_error(exc, "")) from None
    handler = getattr(module, handler_name, None)
    if handler is None:
        raise InitError(
            {
                "errorMessage": f"Handler '{handler_name}' missing on module '{MODULE_NAME}'",
                "errorType": "Runtime.HandlerNotFound",
                "requestId": "",
                "stackTrace": [],
            }
        )
    return handler


def make_error(exc: BaseException, request_id: str) -> dict[str, Any]:
    """The runtime's error document, with the emulator's own frames removed."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if not f.filename.startswith(_PACKAGE_DIR)]
    return {
        "errorMessage": str(exc),
        "errorType": type(exc).__name__,
        "requestId": request_id,
        "stackTrace": traceback.format_list(frames),
    }


# --- invoke ----------------------------------------------------------------------------------


def call_handler(handler: Callable[[Any, Any], Any], event_bytes: bytes, context: Any, ensure_ascii: bool) -> Outcome:
    """Decode the event, call the handler, marshal the result.  MemoryError and
    BaseExceptions other than Exception propagate: the environment decides."""
    request_id = context.aws_request_id
    try:
        event = json.loads(event_bytes)
    except ValueError as exc:
        return Outcome(None, _fault("Runtime.UnmarshalError", f"Unable to unmarshal input: {exc}", request_id))
    try:
        result = handler(event, context)
    except MemoryError:
        raise
    except Exception as exc:
        return Outcome(None, make_error(exc, request_id))
    if isinstance(result, (bytes, bytearray)):
        body = bytes(result)
    else:
        try:
            body = _ENCODERS[ensure_ascii].encode(result).encode()
        except (TypeError, ValueError) as exc:
            return Outcome(None, _fault("Runtime.MarshalError", f"Unable to marshal response: {exc}", request_id))
    if len(body) > limits.RESPONSE_MAX_BYTES:
        return Outcome(
            None,
            {
                "errorMessage": "Response payload size exceeded maximum allowed payload size "
                f"({limits.RESPONSE_MAX_BYTES} bytes).",
                "errorType": "Function.ResponseSizeTooLarge",
            },
            log_error=False,
        )
    return Outcome(body)


def _fault(error_type: str, message: str, request_id: str) -> dict[str, Any]:
    return {"errorMessage": message, "errorType": error_type, "requestId": request_id, "stackTrace": []}


def _marshal_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


#: Result encoders (stateless), by ``ensure_ascii``: python3.12+ runtimes write UTF-8.
_ENCODERS = {flag: json.JSONEncoder(default=_marshal_default, ensure_ascii=flag) for flag in (False, True)}
