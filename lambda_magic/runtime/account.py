"""The local account: every function, environment, invocation and log hangs off it."""

from __future__ import annotations

import atexit
import json
import shutil
import tempfile
import threading
import uuid
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_futures
from dataclasses import replace
from typing import Any, Mapping

from . import limits
from .billing import PriceList
from .config import FunctionConfig, check_function_name
from .errors import (
    InvalidParameterValueException,
    InvalidRequestContentException,
    RequestTooLargeException,
    ResourceNotFoundException,
)
from .function import LATEST, Function
from .invocation import Invocation, Presenter
from .invoker import Invoker
from .logstore import LogEvent, LogStore
from .pool import EnvironmentPool
from .settings import AccountSettings
from .zygote import Template


class LocalAccount:
    """An AWS account's Lambda service, run locally.

    Thread-safe.  Execution environments are started from one template process,
    started lazily; :meth:`shutdown` (also run at exit) ends them all.
    """

    def __init__(self, settings: AccountSettings | None = None, presenter: Presenter | None = None):
        self.settings = settings or AccountSettings()
        self.settings.validate()
        self.presenter = presenter
        self.prices = PriceList.load()
        self.pool = EnvironmentPool()
        self.logs = LogStore()
        self._functions: dict[str, Function] = {}
        self._revision = 0
        self._records: list[Invocation] = []
        self._lock = threading.RLock()
        self._root_dir: str | None = None
        self._template: Template | None = None
        self._invoker = Invoker(self)
        self._executor: ThreadPoolExecutor | None = None
        self._pending: set[Future] = set()
        self._stop = threading.Event()
        self._reaper: threading.Thread | None = None
        atexit.register(self.shutdown)

    # --- functions -------------------------------------------------------------------------

    def register(
        self,
        name: str,
        code: str,
        *,
        handler: str = "lambda_handler",
        memory_mb: int | None = None,
        timeout_s: int | None = None,
        env: Mapping[str, str] | None = None,
        runtime: str | None = None,
        architecture: str = "x86_64",
        description: str = "",
        log_format: str = "Text",
        log_level: str | None = None,
        isolation: str | None = None,
    ) -> Function:
        """Create the function, or update its ``$LATEST`` (the next invoke is cold)."""
        check_function_name(name)
        if not isinstance(code, str):
            raise InvalidParameterValueException("code must be the handler's source text (a str)")
        settings = self.settings
        config = FunctionConfig(
            handler=handler.rpartition(".")[2] if handler.startswith("lambda_function.") else handler,
            memory_mb=settings.memory_mb if memory_mb is None else memory_mb,
            timeout_s=settings.timeout_s if timeout_s is None else timeout_s,
            env=dict(env or {}),
            **({"runtime": runtime} if runtime else {}),
            architecture=architecture,
            description=description,
            log_format=log_format,
            log_level=log_level,
            isolation=settings.isolation if isolation is None else isolation,
        )
        if config.isolation == "process":
            self.template()  # start the template early; the first cold start then does not wait for Python
        with self._lock:
            self._revision += 1
            function = Function(name, code, config, settings.region, settings.account_id, self._revision)
            self._functions[name] = function
        self.pool.retire(name)
        self._start_reaper()
        return function

    def get_function(self, name: str) -> Function:
        """The function called ``name`` (a name, or a full or partial ARN)."""
        function_name, _ = parse_function_name(name)
        with self._lock:
            function = self._functions.get(function_name)
        if function is None:
            raise ResourceNotFoundException(
                f"Function not found: {name} (register it first with %%lambda {function_name} or lm.register)"
            )
        return function

    def list_functions(self) -> list[Function]:
        with self._lock:
            return sorted(self._functions.values(), key=lambda function: function.name)

    def delete_function(self, name: str) -> None:
        """Delete the function and end its environments; its logs stay, as on AWS."""
        function = self.get_function(name)
        with self._lock:
            self._functions.pop(function.name, None)
        self.pool.retire(function.name)

    def current_revision(self, name: str) -> int | None:
        function = self._functions.get(name)
        return None if function is None else function.revision

    # --- invoking --------------------------------------------------------------------------

    def invoke(
        self,
        name: str,
        event: Any = None,
        *,
        invocation_type: str = "RequestResponse",
        qualifier: str | None = None,
        client_context: Mapping[str, Any] | None = None,
        trigger: str = "direct",
    ) -> Invocation:
        """Invoke like Lambda's ``Invoke`` API; function errors are data on the result."""
        function_name, arn_qualifier = parse_function_name(name)
        function = self._functions.get(function_name) or self.get_function(name)
        qualifier = qualifier if qualifier is not None else arn_qualifier
        if qualifier not in (None, LATEST):
            raise ResourceNotFoundException(
                f"Function not found: {function.arn}:{qualifier} (only $LATEST exists; versions and aliases come later)"
            )
        if invocation_type not in limits.INVOCATION_TYPES:
            raise InvalidParameterValueException(
                f"invocation type {invocation_type!r}: choose one of {', '.join(limits.INVOCATION_TYPES)}"
            )
        payload = encode_payload(event, invocation_type)
        context = check_client_context(client_context)
        if invocation_type == "DryRun":
            return Invocation(str(uuid.uuid4()), function.name, function.version, "DryRun", 204, "dry-run",
                              event=event, presenter=self.presenter)
        if invocation_type == "Event":
            return self._enqueue(function, payload, event, qualifier, trigger)
        return self._invoker.invoke(function, payload, event=event, invocation_type=invocation_type,
                                    qualifier=qualifier, client_context=context, trigger=trigger)

    def _enqueue(self, function: Function, payload: bytes, event: Any, qualifier: str | None, trigger: str) -> Invocation:
        request_id = str(uuid.uuid4())
        with self._lock:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(self.settings.async_workers, thread_name_prefix="lambda-async")
            future = self._executor.submit(self._run_async, function, payload, event, qualifier, trigger, request_id)
            self._pending.add(future)
        future.add_done_callback(self._pending.discard)
        return Invocation(request_id, function.name, function.version, "Event", 202, "queued", event=event,
                          trigger=trigger, presenter=self.presenter)

    def _run_async(self, function: Function, payload: bytes, event: Any, qualifier: str | None, trigger: str,
                   request_id: str) -> None:
        current = self._functions.get(function.name, function)
        try:
            self._invoker.invoke(current, payload, event=event, invocation_type="Event", qualifier=qualifier,
                                 client_context=None, trigger=trigger, request_id=request_id)
        except Exception as exc:  # the service failed, not the function: keep it visible
            self.record(Invocation(request_id, function.name, function.version, "Event", 202, "error",
                                   error_type=type(exc).__name__, error_message=str(exc), event=event,
                                   trigger=trigger, presenter=self.presenter))

    def wait(self, timeout: float | None = None) -> bool:
        """Block until every queued ``Event`` invocation has run; False on timeout."""
        with self._lock:
            pending = set(self._pending)
        if not pending:
            return True
        _, not_done = wait_futures(pending, timeout=timeout)
        return not not_done

    # --- records ---------------------------------------------------------------------------

    def record(self, invocation: Invocation) -> None:
        with self._lock:
            self._records.append(invocation)

    def invocation_records(self, name: str | None = None) -> list[Invocation]:
        with self._lock:
            records = list(self._records)
        return records if name is None else [r for r in records if r.function_name == name]

    def log_events(self, name: str | None = None, *, request_id: str | None = None,
                   filter_pattern: str | None = None, tail: int | None = None) -> list[LogEvent]:
        return self.logs.query(name, request_id=request_id, filter_pattern=filter_pattern, tail=tail)

    def environments(self) -> list[tuple[Any, str]]:
        """Live execution environments with their state (idle or busy)."""
        return self.pool.environments()

    # --- the process side ------------------------------------------------------------------

    def template(self) -> Template:
        """The template process environments are forked from (started on first need)."""
        with self._lock:
            if self._template is None or not self._template.alive():
                if self._root_dir is None:
                    self._root_dir = tempfile.mkdtemp(prefix="lambda_magic-")
                self._template = Template(self._root_dir)
            return self._template

    def _start_reaper(self) -> None:
        with self._lock:
            if self._reaper is None:
                self._reaper = threading.Thread(target=self._reap, name="lambda-reaper", daemon=True)
                self._reaper.start()

    def _reap(self) -> None:
        while not self._stop.wait(min(5.0, self.settings.idle_timeout_s / 2)):
            self.pool.reap(self.settings.idle_timeout_s)

    def configure(self, **changes: Any) -> None:
        """Change settings (region, account_id, memory_mb, timeout_s, isolation, ...)."""
        candidate = replace(self.settings, **changes)
        candidate.validate()
        for key, value in changes.items():
            setattr(self.settings, key, value)

    def reset(self) -> None:
        """Forget every function, environment, invocation and log."""
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=False, cancel_futures=True)
        self.pool.shutdown_all()
        if executor is not None:
            executor.shutdown(wait=True)
        with self._lock:
            self._functions.clear()
            self._records.clear()
            self._pending.clear()
        self.logs.clear()

    def shutdown(self) -> None:
        """End every environment and the template process; the account stays usable."""
        self._stop.set()
        with self._lock:
            executor, self._executor = self._executor, None
            reaper, self._reaper = self._reaper, None
        if executor is not None:
            executor.shutdown(wait=False, cancel_futures=True)
        self.pool.shutdown_all()
        if reaper is not None:
            reaper.join(timeout=10)
        self._stop.clear()
        with self._lock:
            template, self._template = self._template, None
            root, self._root_dir = self._root_dir, None
        if template is not None:
            template.close()
        if root is not None:
            shutil.rmtree(root, ignore_errors=True)


def parse_function_name(name: str) -> tuple[str, str | None]:
    """``(name, qualifier)`` from a name, a partial ARN or a full ARN."""
    if not isinstance(name, str) or not name:
        raise InvalidParameterValueException("give a function name")
    parts = name.split(":")
    if parts[0] == "arn" and len(parts) in (7, 8) and parts[2] == "lambda" and parts[5] == "function":
        return parts[6], (parts[7] if len(parts) == 8 else None)
    if len(parts) in (3, 4) and parts[1] == "function":
        return parts[2], (parts[3] if len(parts) == 4 else None)
    if len(parts) == 2:
        return parts[0], parts[1]
    return name, None


def encode_payload(event: Any, invocation_type: str) -> bytes:
    """The request body: JSON of ``event`` (``{}`` when None); bytes are taken as JSON text."""
    if event is None:
        payload = b"{}"
    elif isinstance(event, (bytes, bytearray)):
        payload = bytes(event)
        try:
            json.loads(payload)
        except ValueError as exc:
            raise InvalidRequestContentException(f"could not parse request body into json: {exc}") from None
    else:
        try:
            payload = json.dumps(event).encode()
        except (TypeError, ValueError) as exc:
            raise InvalidRequestContentException(f"the event is not JSON-serialisable: {exc}") from None
    limit = limits.ASYNC_PAYLOAD_MAX_BYTES if invocation_type == "Event" else limits.SYNC_PAYLOAD_MAX_BYTES
    if len(payload) > limit:
        raise RequestTooLargeException(
            f"{len(payload)} byte payload is too large for the {invocation_type} invocation type (limit {limit} bytes)"
        )
    return payload


def check_client_context(client_context: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """Validate a ClientContext as Lambda does (JSON, at most 3,583 bytes base64-encoded)."""
    if client_context is None:
        return None
    if not isinstance(client_context, Mapping):
        raise InvalidParameterValueException("client context must be a JSON object (a dict)")
    try:
        encoded = json.dumps(dict(client_context)).encode()
    except (TypeError, ValueError) as exc:
        raise InvalidParameterValueException(f"client context is not JSON-serialisable: {exc}") from None
    if (len(encoded) + 2) // 3 * 4 > limits.CLIENT_CONTEXT_MAX_BYTES:
        raise InvalidParameterValueException(
            f"client context is too large: at most {limits.CLIENT_CONTEXT_MAX_BYTES} bytes once base64-encoded"
        )
    return dict(client_context)
