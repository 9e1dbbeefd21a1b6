"""What the Python runtime does inside an execution environment.

Import the handler's module from the task folder (a cell is module
``lambda_function``), find the handler, call it with the JSON-decoded event and a
fresh context, marshal the result, and turn exceptions into Lambda's error documents.
Used by both isolations (process and inline).
"""

from __future__ import annotations

import contextlib
import importlib
import io
import json
import os
import sys
import time
import traceback
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ..common import limits

_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
#: The import machinery's own frames are left out of an init error's stack trace.
_IMPORTLIB = os.path.dirname(importlib.__file__ or "") + "/"


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
    #: The exception the handler raised (kept by inline environments for post-mortems).
    exception: BaseException | None = None


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


def code_paths(task_root: str, opt_root: str | None, python_version: str) -> list[str]:
    """What Lambda puts first on ``sys.path``: the task folder, then each layer's
    ``python/lib/pythonX.Y/site-packages`` and ``python/`` (extracted to ``/opt``)."""
    paths = [task_root]
    if opt_root:
        paths += [f"{opt_root}/python/lib/python{python_version}/site-packages", f"{opt_root}/python"]
    return paths


def load_handler(handler: str, shown: Mapping[str, str] | None = None) -> Callable[[Any, Any], Any]:
    """Import the handler's module (``module.function``; ``pkg.mod`` or ``pkg/mod``) from ``sys.path``
    as Lambda's runtime does and return the function, or raise InitError with Lambda's error.

    ``shown`` maps real folders to the paths Lambda would show (``/var/task``) in error documents."""
    module_name, _, function_name = handler.rpartition(".")
    if module_name.split("/")[0].split(".")[0] in sys.builtin_module_names:
        raise InitError(
            _fault("Runtime.BuiltInModuleConflict", f"Cannot use built-in module {module_name} as a handler module", "")
        )
    try:
        module = importlib.import_module(module_name.replace("/", "."))
    except ImportError as exc:
        raise InitError(
            _fault("Runtime.ImportModuleError", f"Unable to import module '{module_name}': {exc}", "")
        ) from None
    except SyntaxError as exc:
        filename = _shown_path(exc.filename or "", shown)
        raise InitError(
            {
                "errorMessage": f"Syntax error in module '{module_name}': {exc}",
                "errorType": "Runtime.UserCodeSyntaxError",
                "requestId": "",
                "stackTrace": [f'  File "{filename}" Line {exc.lineno}\n', f"    {(exc.text or '').strip()}\n"],
            }
        ) from None
    except MemoryError:
        raise
    except Exception as exc:
        raise InitError(make_error(exc, "", shown)) from None
    function = getattr(module, function_name, None)
    if function is None:
        raise InitError(
            _fault("Runtime.HandlerNotFound", f"Handler '{function_name}' missing on module '{module_name}'", "")
        )
    return function


def _shown_path(path: str, shown: Mapping[str, str] | None) -> str:
    for real, virtual in (shown or {}).items():
        if path == real or path.startswith(real + "/"):
            return virtual + path[len(real) :]
    return path


class CodeScope:
    """One inline environment's code, for the duration of a phase: the task folder and layers
    first on ``sys.path``, the working directory in the task folder, and the package's own
    modules in ``sys.modules`` (the kernel's modules of the same names are set aside and put back).

    Modules that are not the package's (the standard library, site-packages) are the kernel's,
    shared.  Changes the handler makes to ``sys.path`` last one phase.
    """

    def __init__(self, paths: list[str], cwd: str):
        self.paths = paths
        self.cwd = cwd
        self.modules: dict[str, Any] = {}
        self._tops = frozenset(_top_level_names(paths))
        self._saved: tuple[list[str], str | None, dict[str, Any]] | None = None
        self._before: set[str] = set()

    def _owns(self, name: str, module: Any) -> bool:
        if name.partition(".")[0] in self._tops:
            return True
        path = getattr(module, "__file__", None) or ""
        return any(path.startswith(root + "/") for root in self.paths)

    def __enter__(self) -> CodeScope:
        try:
            cwd: str | None = os.getcwd()
        except OSError:
            cwd = None
        # A submodule is imported after its package, so the kernel can only hold modules of the
        # package's names under a top-level name it holds: look at all of sys.modules only then.
        shadowed = [top for top in self._tops if top in sys.modules]
        hidden = (
            {name: module for name, module in list(sys.modules.items()) if name.partition(".")[0] in shadowed}
            if shadowed
            else {}
        )
        for name in hidden:
            del sys.modules[name]
        sys.modules.update(self.modules)
        self._saved = (list(sys.path), cwd, hidden)
        self._before = set(sys.modules)
        sys.path[:0] = self.paths
        os.chdir(self.cwd)
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._saved is not None
        path, cwd, hidden = self._saved
        candidates = (sys.modules.keys() - self._before) | (self.modules.keys() & sys.modules.keys())
        for name in candidates:  # what the phase imported, and the package's modules put back on entry
            if name in self.modules or self._owns(name, sys.modules[name]):
                self.modules[name] = sys.modules.pop(name)
        sys.modules.update(hidden)
        sys.path[:] = path
        if cwd is not None:
            with contextlib.suppress(OSError):
                os.chdir(cwd)
        self._saved = None


def _top_level_names(paths: list[str]) -> set[str]:
    names: set[str] = set()
    for path in paths:
        with contextlib.suppress(OSError):
            for entry in os.listdir(path):
                stem = entry.partition(".")[0]
                if stem.isidentifier() and (
                    os.path.isdir(os.path.join(path, entry)) or entry.endswith((".py", ".pyc", ".so"))
                ):
                    names.add(stem)
    return names


def make_error(exc: BaseException, request_id: str, shown: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The runtime's error document, with the emulator's own frames removed (and the code's
    folders named as Lambda names them: ``shown``)."""
    frames = [
        f
        for f in traceback.extract_tb(exc.__traceback__)
        if not f.filename.startswith((_PACKAGE_DIR, "<frozen importlib", _IMPORTLIB))
    ]
    if shown:
        for frame in frames:
            frame.filename = _shown_path(frame.filename, shown)
    return {
        "errorMessage": str(exc),
        "errorType": type(exc).__name__,
        "requestId": request_id,
        "stackTrace": traceback.format_list(frames),
    }


# --- invoke ----------------------------------------------------------------------------------


def call_handler(
    handler: Callable[[Any, Any], Any],
    event_bytes: bytes,
    context: Any,
    ensure_ascii: bool,
    shown: Mapping[str, str] | None = None,
) -> Outcome:
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
        return Outcome(None, make_error(exc, request_id, shown), exception=exc)
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
