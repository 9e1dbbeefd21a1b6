"""The local account: every function, environment, invocation and log hangs off it."""

from __future__ import annotations

import atexit
import operator
import os
import shutil
import tempfile
import threading
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from ..common import limits
from ..common.errors import InvalidParameterValueException, ResourceNotFoundException
from .account_versions import VersionsAndConcurrency
from .async_invocation import AsyncInvoker, AsyncLedger
from .billing import PriceList
from .clock import AccountClock
from .cloud import LocalCloud
from .cloud_hooks import CloudHooks, refuse_calls
from .cloudwatch_lambda import HOOK as CLOUDWATCH_HOOK
from .cloudwatch_lambda import LambdaMetrics
from .concurrency import ConcurrencyGovernor
from .config import FunctionConfig, check_function_name
from .cpu_share import Limiter, choose_limiter
from .destinations import deliver_dead_letter, deliver_record, destination_kind
from .endpoints import ServiceEndpoints
from .function import LATEST, Function
from .invocation import Invocation, Presenter
from .invoker import Invoker
from .lineage import Lineage, resource_of_arn
from .log_delivery import LogDelivery, cloud_in_use
from .logstore import LogStore
from .metric_store import MetricStore
from .package import DeploymentPackage
from .platform import capabilities
from .pool import EnvironmentPool
from .registry import FunctionRegistry
from .requests import check_client_context, encode_payload, parse_function_name
from .retention import BoundedRows, Retained
from .scheduler import Scheduler
from .settings import AccountSettings
from .xray import XRAY_HOOK, check_tracing_mode, xray
from .zygote import Template

#: The hook module that answers ``logs.start_query`` with this package's Logs Insights.
INSIGHTS_HOOK = "lambda_magic.runtime.insights.moto_logs"


class LocalAccount(VersionsAndConcurrency):
    """An AWS account's Lambda service, run locally.

    Thread-safe.  Execution environments are started from one template process,
    started lazily; :meth:`shutdown` (also run at exit) ends them all.
    """

    def __init__(
        self, settings: AccountSettings | None = None, presenter: Presenter | None = None, *, warm_cloud: bool = False
    ):
        self.settings = settings or AccountSettings()
        #: Start the local cloud in the background when a first function is registered (the
        #: notebook's account does; tests' accounts start it only when something connects).
        self.warm_cloud = warm_cloud
        self.settings.validate()
        self.presenter = presenter
        self.prices = PriceList.load()
        self.clock = AccountClock(self.settings.clock_mode, self.settings.clock_scale)
        self.scheduler = Scheduler(self.clock)
        self.governor = ConcurrencyGovernor(self.clock, self.settings.account_concurrency)
        self.registry = FunctionRegistry()
        self.pool = EnvironmentPool(self.clock.time)
        self.logs = LogStore(self.settings.retained_log_events)
        #: CloudWatch's AWS/Lambda metrics, per function per second: exact whatever retention dropped.
        self.metrics = MetricStore(self.clock.time)
        #: The AWS/Lambda namespace of the local cloud's CloudWatch (with the per-version/alias series).
        self.cloudwatch = LambdaMetrics(self)
        self.invoker = Invoker(self)
        #: What caused each invocation (its chain of requests) and recursive loop detection.
        self.lineage = Lineage(self)
        self.async_invoker = AsyncInvoker(self)
        #: Modules patched into the local cloud's server that call back into the account.
        self.cloud_hooks = CloudHooks()
        # Logs Insights through boto3 (logs.start_query) runs this package's engine in the server.
        self.cloud_hooks.add(INSIGHTS_HOOK, refuse_calls)
        # X-Ray through boto3 (GetTraceSummaries, BatchGetTraces) answers from the account's traces.
        self.cloud_hooks.add(XRAY_HOOK, lambda payload, signer: xray(self).answer(payload, signer))
        # CloudWatch metrics and alarms through boto3: exact dimensions, AWS/Lambda from self.metrics.
        self.cloud_hooks.add(CLOUDWATCH_HOOK, self.cloudwatch.answer)
        self.cloud = LocalCloud(
            self.settings.region,
            self.settings.credentials(),
            self.settings.cloud_endpoint,
            on_use=lambda service: cloud_in_use(self, service),
            hooks=self.cloud_hooks,
        )
        #: The loopback addresses environments get (cloud, X-Ray, and what extensions add).
        self.endpoints = ServiceEndpoints(lambda: self.cloud)
        self._records: BoundedRows[Invocation] = BoundedRows(
            self.settings.retained_invocations, key=operator.attrgetter("function_name")
        )
        self._provisioned: dict[tuple[str, str], int] = {}
        self._lock = threading.RLock()
        self._root_dir: str | None = None
        self._template: Template | None = None
        self._cpu_limiter: Limiter | None = None
        self._reaping = False
        #: True while :meth:`shutdown` runs: no environment may start then (an attempt that was
        #: stopped must not start another behind the caller's back).
        self.shutting_down = False
        #: Services layered on the account (e.g. event source mappings): each may have
        #: ``settle()`` (kick pending work; True if any) and ``stop()``.
        self._extensions: dict[str, Any] = {}
        #: Per service, what an extension does to each event the account renders for it (in
        #: place), e.g. CloudFormation's ``ResponseURL`` made to point at the account's server.
        self.event_hooks: dict[str, Callable[[str, dict], None]] = {}
        atexit.register(self.shutdown)

    # --- functions -------------------------------------------------------------------------

    def register(
        self,
        name: str,
        code: str | None = None,
        *,
        handler: str = "lambda_handler",
        path: str | os.PathLike[str] | None = None,
        zip_file: bytes | None = None,
        files: Mapping[str, str | bytes] | None = None,
        layers: Sequence[str] = (),
        memory_mb: int | None = None,
        timeout_s: int | None = None,
        env: Mapping[str, str] | None = None,
        runtime: str | None = None,
        architecture: str = "x86_64",
        description: str = "",
        log_format: str = "Text",
        log_level: str | None = None,
        isolation: str | None = None,
        reserved_concurrency: int | None = None,
        tracing: str = "PassThrough",
        cpu_share: str | None = None,
    ) -> Function:
        """Create the function, or update its ``$LATEST`` (the next invoke is cold).

        The code is one of: ``code``, a cell's source (module ``lambda_function``; ``files``
        adds other files to its package, e.g. ``{"utils.py": source}``); ``path``, a folder or
        a ``.zip`` file; ``zip_file``, the bytes of a zip (``CreateFunction``'s ``Code.ZipFile``).
        ``handler`` is ``module.function`` (a bare name: a function of ``lambda_function``);
        ``layers`` are layer version ARNs from ``publish_layer_version``; ``cpu_share="off"``
        lets its environments use the CPU without Lambda's share of it (default: the account's);
        ``tracing="Active"`` samples requests for X-Ray and records Lambda's segments (``TracingConfig``).
        """
        check_function_name(name)
        package, code = self._package(code, path, zip_file, files)
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
            layers=tuple(layers or ()),
            tracing=check_tracing_mode(tracing),
            cpu_share=cpu_share,
        )
        if package is None:  # a cell: its handler is in lambda_function or a module given with files
            module = config.handler_module
            extras = {p[:-3].replace("/", ".") for p in (files or {}) if p.endswith(".py")}
            extras |= {m.rpartition(".")[0] for m in extras if m.endswith(".__init__")}
            if module != "lambda_function" and module not in extras:
                raise InvalidParameterValueException(
                    f"handler {handler!r}: the cell is module 'lambda_function', so use 'lambda_function.NAME' or "
                    f"just NAME{' (or a module given with files)' if files else ''}"
                )
            package = DeploymentPackage.from_cell(code or "", files) if files else None
        else:  # a folder or zip: ``code`` shows the handler module's source
            found = package.module_source(config.handler_module)
            code = found[1] if found else ""
        source: str = code or ""
        from .layers import layer_store

        resolved = (
            layer_store(self).resolve(config.layers, package or DeploymentPackage.from_cell(source))
            if config.layers
            else ()
        )
        previous = self.registry.latest(name)
        if reserved_concurrency is None and previous is not None:
            reserved_concurrency = previous.reserved_concurrency
        self.governor.check_reserved(name, reserved_concurrency)
        if config.isolation == "process":
            self.template()  # start the template early; the first cold start then does not wait for Python
        function = Function(
            name,
            source,
            config,
            settings.region,
            settings.account_id,
            self.registry.next_revision(),
            reserved_concurrency=reserved_concurrency,
            package=package,
            layers=resolved,
        )
        self.registry.put_latest(function)
        self.governor.set_reserved(name, reserved_concurrency)
        self.pool.retire(name, LATEST)
        self._start_reaper()
        if self.warm_cloud:
            self.cloud.warm_up()
        return function

    @staticmethod
    def _package(
        code: str | None,
        path: str | os.PathLike[str] | None,
        zip_file: bytes | None,
        files: Mapping[str, str | bytes] | None,
    ) -> tuple[DeploymentPackage | None, str | None]:
        """The package given to ``register`` (None for a lone cell: built lazily) and the cell's source."""
        given = [what for what, value in (("code", code), ("path", path), ("zip_file", zip_file)) if value is not None]
        if len(given) != 1:
            raise InvalidParameterValueException(
                "give the code one way: code (a cell's source), path (a folder or .zip) or zip_file (zip bytes)"
                + (f"; got {' and '.join(given)}" if given else "")
            )
        if files is not None and code is None:
            raise InvalidParameterValueException(
                "files adds modules to a cell's code: put them in the folder or zip instead"
            )
        if code is not None:
            if not isinstance(code, str):
                raise InvalidParameterValueException(
                    "code must be the handler's source text (a str); give zip bytes as zip_file="
                )
            return None, code
        if zip_file is not None:
            return DeploymentPackage.from_zip(zip_file), None
        return DeploymentPackage.from_path(path), None  # type: ignore[arg-type]

    def get_function(self, name: str) -> Function:
        """``$LATEST`` of the function called ``name`` (a name, or a full or partial ARN)."""
        function_name, _ = parse_function_name(name)
        function = self.registry.latest(function_name)
        if function is None:
            raise ResourceNotFoundException(
                f"Function not found: {name} (register it first with %%lambda {function_name} or lm.register)"
            )
        return function

    def list_functions(self) -> list[Function]:
        return [function for name in self.registry.names() if (function := self.registry.latest(name))]

    def delete_function(self, name: str) -> None:
        """Delete the function and end its environments; its logs stay, as on AWS."""
        function = self.get_function(name)
        self.registry.delete(function.name)
        self.governor.set_reserved(function.name, None)
        self.lineage.forget_function(function.name)
        with self._lock:
            for key in [k for k in self._provisioned if k[0] == function.name]:
                del self._provisioned[key]
        self.pool.retire(function.name)

    def current_revision(self, name: str, version: str = LATEST) -> int | None:
        return self.registry.current_revision(name, version)

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
        caller_request_id: str | None = None,
        received_at: float | None = None,
        trace_header: str | None = None,
    ) -> Invocation:
        """Invoke like Lambda's ``Invoke`` API; function errors are data on the result.

        A throttled synchronous call raises ``TooManyRequestsException`` (and is recorded).
        ``received_at`` (``Event`` only): the account time a source made the event, when earlier.
        ``trace_header``: the caller's X-Ray header (``X-Amzn-Trace-Id``), which the invocation joins.
        """
        function = self.registry.latest(name) if qualifier is None and ":" not in name else None
        if function is None:  # an ARN, a qualifier, or an unknown name: the full resolution
            function_name, arn_qualifier = parse_function_name(name)
            qualifier = qualifier if qualifier is not None else arn_qualifier
            function = self.registry.resolve(function_name, qualifier)
        if invocation_type not in limits.INVOCATION_TYPES:
            raise InvalidParameterValueException(
                f"invocation type {invocation_type!r}: choose one of {', '.join(limits.INVOCATION_TYPES)}"
            )
        payload = encode_payload(event, invocation_type)
        context = check_client_context(client_context)
        if invocation_type == "DryRun":
            return Invocation(
                str(uuid.uuid4()),
                function.name,
                function.version,
                "DryRun",
                204,
                "dry-run",
                event=event,
                presenter=self.presenter,
            )
        if invocation_type == "Event":
            request_id = str(uuid.uuid4())
            self.async_invoker.accept(
                function, payload, event, qualifier, trigger, request_id, caller_request_id, received_at, trace_header
            )
            return Invocation(
                request_id,
                function.name,
                function.version,
                "Event",
                202,
                "queued",
                event=event,
                trigger=trigger,
                start=self.clock.time(),
                caller_request_id=caller_request_id,
                presenter=self.presenter,
            )
        return self.invoker.invoke(
            function,
            payload,
            event=event,
            invocation_type=invocation_type,
            qualifier=qualifier,
            client_context=context,
            trigger=trigger,
            caller_request_id=caller_request_id,
            trace_header=trace_header,
        )

    def deliver(self, target: str, record: dict, *, source: str, caused_by: str | None = None) -> bool:
        """Send an invocation record to a destination; False when it cannot be delivered.
        ``caused_by``: the request id of the invocation the record is about."""
        if destination_kind(target) == "lambda":
            name, _ = parse_function_name(target)
            if self.registry.latest(name) is None:
                return False
            self.invoke(
                name, record, invocation_type="Event", trigger=f"destination:{source}", caller_request_id=caused_by
            )
            return True
        delivered = deliver_record(self.cloud, target, record, source)
        if delivered and caused_by:
            self.lineage.sent(caused_by, resource_of_arn(target), how="destination")
        return delivered

    def deliver_dead_letter(self, target: str, event: Any, attributes: dict) -> bool:
        """Send a failed event to its dead-letter queue or topic in the local cloud."""
        delivered = deliver_dead_letter(self.cloud, target, event, attributes)
        if delivered and attributes.get("RequestID"):
            self.lineage.sent(attributes["RequestID"], resource_of_arn(target), how="dead-letter")
        return delivered

    def wait(self, timeout: float | None = None) -> bool:
        """Block until no event is queued, running or waiting for a retry, and every
        trigger has drained what its source holds; False on timeout."""
        import time

        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            remaining = None if deadline is None else max(deadline - time.monotonic(), 0.0)
            if not self.scheduler.wait(remaining):
                return False
            if not any(getattr(ext, "settle", lambda: False)() for ext in list(self._extensions.values())):
                return True
            if deadline is not None and time.monotonic() >= deadline:
                return False

    def extensions(self) -> list[str]:
        """The names of the extensions in use."""
        with self._lock:
            return list(self._extensions)

    def extension(self, name: str, create: Any) -> Any:
        """The account's extension ``name``, made by ``create()`` on first use."""
        with self._lock:
            if name not in self._extensions:
                self._extensions[name] = create()
            return self._extensions[name]

    # --- records ---------------------------------------------------------------------------

    def record(self, invocation: Invocation) -> None:
        """Keep an invocation (the most recent ``retained_invocations`` are kept in full)
        and count it in the metrics."""
        self.metrics.record(invocation.function_name, invocation.start, invocation.status, invocation.duration_ms)
        self.cloudwatch.record(invocation)
        with self._lock:
            self._records.append(invocation)

    def invocation_records(self, name: str | None = None) -> Retained:
        """The kept invocations (of ``name``), oldest first; ``.dropped`` counts the older
        ones retention dropped."""
        with self._lock:
            records = self._records.rows()
            dropped = self._records.dropped_of(name)
        if name is not None:
            records = [r for r in records if r.function_name == name]
        return Retained(records, dropped=dropped, retention=self._records.limit, setting="retained_invocations")

    def log_events(
        self,
        name: str | None = None,
        *,
        request_id: str | None = None,
        filter_pattern: str | None = None,
        tail: int | None = None,
    ) -> Retained:
        """The kept log events, filtered; ``.dropped`` counts the older ones retention dropped."""
        return self.logs.query(name, request_id=request_id, filter_pattern=filter_pattern, tail=tail)

    def environments(self) -> list[tuple[Any, str]]:
        """Live execution environments with their state (idle or busy)."""
        return self.pool.environments()

    def async_ledgers(self) -> dict[str, AsyncLedger]:
        """The books of every function's asynchronous queue."""
        return self.async_invoker.snapshot()

    def catalog(self) -> Any:
        """The event template catalog (``lambda_magic.events.Catalog``), loaded on first use."""
        from ..events import Catalog

        return Catalog.load()

    def render_event(self, template_id: str, params: Mapping[str, Any] | None = None, **options: Any) -> dict:
        """An event from a template, with this account's region and account id."""
        event = self.catalog().render(
            template_id, params, region=self.settings.region, account_id=self.settings.account_id, **options
        )
        hook = self.event_hooks.get(template_id.split("/", 1)[0])
        if hook is not None:
            hook(template_id, event)
        return event

    # --- the process side ------------------------------------------------------------------

    def template(self) -> Template:
        """The template process environments are forked from (started on first need)."""
        with self._lock:
            if self._template is None or not self._template.alive():
                if self._root_dir is None:
                    self._root_dir = tempfile.mkdtemp(prefix="lambda_magic-")
                self._template = Template(self._root_dir)
            return self._template

    def cpu_limiter(self) -> Limiter:
        """How environments get CPU in proportion to memory here (probed on first need)."""
        with self._lock:
            if self._cpu_limiter is None:
                self._cpu_limiter = choose_limiter(portable=capabilities().portable)
            return self._cpu_limiter

    def _start_reaper(self) -> None:
        with self._lock:
            if self._reaping:
                return
            self._reaping = True
        self.scheduler.call_later(self._reap_interval(), self._reap, work=False)

    def _reap_interval(self) -> float:
        return min(5.0, self.settings.idle_timeout_s / 2)

    def _reap(self) -> None:
        self.pool.reap(self.settings.idle_timeout_s)
        self.scheduler.call_later(self._reap_interval(), self._reap, work=False)

    def configure(self, **changes: Any) -> None:
        """Change settings (region, account_id, memory_mb, timeout_s, isolation, clock_mode, ...)."""
        candidate = replace(self.settings, **changes)
        candidate.validate()
        if "account_concurrency" in changes:
            self.governor.set_account_limit(candidate.account_concurrency)
        if "clock_mode" in changes or "clock_scale" in changes:
            self.clock.set_mode(candidate.clock_mode, candidate.clock_scale)
        if "cloud_endpoint" in changes or "region" in changes:
            self.cloud.close()
            self.cloud = LocalCloud(
                candidate.region,
                candidate.credentials(),
                candidate.cloud_endpoint,
                on_use=lambda service: cloud_in_use(self, service),
                hooks=self.cloud_hooks,
            )
        for key, value in changes.items():
            setattr(self.settings, key, value)
        if "retained_invocations" in changes:
            with self._lock:
                self._records.limit = candidate.retained_invocations
        if "retained_log_events" in changes:
            self.logs.retention = candidate.retained_log_events

    def _stop_extensions(self) -> None:
        with self._lock:
            extensions = list(self._extensions.values())
            self._extensions.clear()
        for ext in extensions:
            getattr(ext, "stop", lambda: None)()

    def reset(self) -> None:
        """Forget every function, environment, invocation, log and trigger, and empty
        the embedded local cloud."""
        delivering = LogDelivery.NAME in self.extensions()
        self._stop_extensions()
        self.cloud.reset()
        self.async_invoker.stop()
        self.pool.shutdown_all()
        self.async_invoker.join()
        self.async_invoker.discard_all()
        self.scheduler.clear()
        self.pool.shutdown_all()
        self.registry.clear()
        self.governor.reset()
        with self._lock:
            self._records.clear()
            self._provisioned.clear()
            self._reaping = False
        self.logs.clear()
        self.metrics.clear()
        self.cloudwatch.clear()
        self.lineage.clear()
        if delivering:  # the local cloud is still in use: what is logged from now on reaches it
            LogDelivery.of(self)

    def shutdown(self) -> None:
        """End every environment and the template process; the account stays usable."""
        self.shutting_down = True
        try:
            self._shutdown()
        finally:
            self.shutting_down = False

    def _shutdown(self) -> None:
        self._stop_extensions()
        self.async_invoker.stop()
        self.pool.shutdown_all()  # running attempts end at once...
        self.async_invoker.join()  # ...so their workers return promptly
        self.scheduler.stop()
        self.pool.shutdown_all()
        with self._lock:
            self._reaping = False
            template, self._template = self._template, None
            root, self._root_dir = self._root_dir, None
        if template is not None:
            template.close()
        with self._lock:
            limiter, self._cpu_limiter = self._cpu_limiter, None
        if limiter is not None:
            limiter.close()
        if root is not None:
            shutil.rmtree(root, ignore_errors=True)
        self.cloud.close()
        self.endpoints.close()
