"""The module-level Python API (``import lambda_magic as lm``), on one default account."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from . import api_gateway as _api_gateway
from . import cloudformation as _cloudformation
from .display.presenter import DisplayPresenter
from .runtime.account import LocalAccount
from .runtime.function import Function
from .runtime.invocation import Invocation

if TYPE_CHECKING:
    import pandas as pd


class _DefaultAccount:
    """Holds the one account the module-level API acts on (created on first use)."""

    def __init__(self) -> None:
        self._account: LocalAccount | None = None
        self._lock = threading.Lock()
        #: The Lambda API's port, kept across resets so that clients made before one still work.
        self.lambda_port = 0
        self.codecommit_port = 0
        self.codepipeline_port = 0
        self.cognito_port = 0
        # --- the backend (lambda_magic/backends.py): None is the local account; else the AwsAccount
        self.backend: Any = None
        self.aws_max_calls: int | None = None

    def aws_calls_used(self) -> int:
        """Deploys and invokes the AWS backend sent so far in this kernel."""
        return 0 if self.backend is None else int(self.backend.guard.used)

    def get(self) -> LocalAccount:
        with self._lock:
            if self._account is None:
                presenter = DisplayPresenter()
                self._account = LocalAccount(presenter=presenter, warm_cloud=True)
                presenter.account = self._account  # (what the panels look up: the cells of tracebacks)
            return self._account


_default = _DefaultAccount()


def account() -> LocalAccount:
    """The local account behind the module-level API (with the Lambda API it serves), or the
    AWS account when ``lm.use_backend("aws")`` chose it."""
    if _default.backend is not None:  # lm.use_backend("aws"): see lambda_magic/backends.py
        return _default.backend
    acc = _default.get()
    _lambda_api(acc)  # cheap once made; made again after a reset (its address is registered for environments)
    _push_sources(acc)  # S3, SNS, EventBridge, Logs... call the functions from the student's own boto3 calls
    _codecommit_api(acc)  # moto has no commits nor triggers: the account serves CodeCommit
    _cognito_api(acc)  # moto never calls a user pool's triggers: a front on cognito-idp does
    _api_gateway.cloud_apis(acc)  # API Gateway APIs made through boto3: moto stores them, the account serves them
    _codepipeline_api(acc)  # moto has no jobs: the account serves PutJobSuccessResult and the rest
    _cloudformation.stacks(acc)  # HTTPS ResponseURLs (environments trust its CA from their start), stacks
    return acc


def local_account() -> LocalAccount:
    """The local account, whichever backend is chosen: what ``%config LambdaMagic`` settings configure
    (they are the emulator's; on the AWS backend they wait for ``%lambda backend local``)."""
    if _default.backend is None:
        return account()
    return _default.get()


def _lambda_api(acc: LocalAccount) -> Any:
    from .endpoints.lambda_api import LambdaAPI
    from .sources import EventSourceMappings

    api = LambdaAPI.of(acc, mappings=EventSourceMappings.of, port=_default.lambda_port)
    _default.lambda_port = api.server.preferred_port
    return api


def _push_sources(acc: LocalAccount) -> Any:
    from .sources.push import PushSources

    return PushSources.of(
        acc,
        policy=lambda name, qualifier: _lambda_api(acc).policy(name, qualifier),
        lambda_client=lambda: _lambda_api(acc).client(),
    )


def _codecommit_api(acc: LocalAccount) -> Any:
    from .endpoints.codecommit import CodeCommitAPI

    api = CodeCommitAPI.of(
        acc, deliver=lambda *args, **kw: _push_sources(acc).deliver(*args, **kw), port=_default.codecommit_port
    )
    _default.codecommit_port = api.server.preferred_port
    return api


def _codepipeline_api(acc: LocalAccount) -> Any:
    from .codepipeline import api as codepipeline_api

    api = codepipeline_api(acc, port=_default.codepipeline_port)
    _default.codepipeline_port = api.server.preferred_port
    return api


def _cognito_api(acc: LocalAccount) -> Any:
    from .endpoints.cognito_idp import CognitoIdpAPI

    api = CognitoIdpAPI.of(acc, allowed=lambda *args: _push_sources(acc).allowed(*args), port=_default.cognito_port)
    _default.cognito_port = api.server.preferred_port
    return api


def add_trigger(function: str, source: str, **settings: Any) -> Any:
    """Wire a push source to ``function`` as the console does (its configuration and the
    resource-based policy): ``"s3:BUCKET"``, ``"sns:TOPIC"``, ``"events:RULE"``,
    ``"schedule:EXPRESSION"``, ``"logs:GROUP"`` or ``"codecommit:REPO"``, with settings in
    snake_case after AWS's names (``events=["s3:ObjectCreated:*"], prefix="in/"``,
    ``filter_policy={...}``, ``event_pattern={...}``, ``filter_pattern="ERROR"``...)."""
    if _default.backend is not None:  # the AWS backend wires AWS's own resources
        return _default.backend.add_trigger(function, source, **settings)
    return _push_sources(account()).add_trigger(function, source, **settings)


def source_arn(kind: str, name: str) -> str:
    """The ARN of a queue (``sqs``), stream (``kinesis``) or table's stream (``dynamodb``) by name."""
    from .common.errors import InvalidParameterValueException, ResourceNotFoundException

    if _default.backend is not None:  # AWS: the account's own resources
        return str(_default.backend.source_arn(kind, name))
    cloud = account().cloud
    try:
        if kind == "sqs":
            url = cloud.client("sqs").get_queue_url(QueueName=name)["QueueUrl"]
            return cloud.client("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
                "QueueArn"
            ]
        if kind == "kinesis":
            return cloud.client("kinesis").describe_stream_summary(StreamName=name)["StreamDescriptionSummary"][
                "StreamARN"
            ]
        if kind == "dynamodb":
            table = cloud.client("dynamodb").describe_table(TableName=name)["Table"]
            if "LatestStreamArn" not in table:
                raise InvalidParameterValueException(
                    f"table {name} has no stream: create it with a StreamSpecification"
                )
            return table["LatestStreamArn"]
    except (InvalidParameterValueException, ResourceNotFoundException):
        raise
    except Exception as exc:
        raise ResourceNotFoundException(
            f"no {kind} resource named {name!r} in the local cloud ({type(exc).__name__})"
        ) from None
    raise InvalidParameterValueException(f"source {kind!r}: use sqs:QUEUE, kinesis:STREAM or dynamodb:TABLE")


def register(
    name: str,
    code: str | None = None,
    *,
    path: Any = None,
    zip_file: bytes | None = None,
    files: Any = None,
    recursive_loop: str | None = None,
    **config: Any,
) -> Function:
    """Register function ``name`` from a cell's ``code``, a folder or ``.zip`` ``path``, or
    ``zip_file`` bytes, e.g. ``register("api", path="src/", handler="app.handler")``.

    ``files`` adds modules and data to a cell's package: paths (``["utils.py"]``, relative to
    the working directory; read now) or a mapping of path in the package to content.  See
    ``LocalAccount.register`` for the other options (``handler``, ``layers``, memory...);
    ``recursive_loop="Allow"`` lets it run in a recursive loop (``PutFunctionRecursionConfig``)."""
    if files is not None and not isinstance(files, Mapping):
        from .runtime.package import read_files

        files = read_files([files] if isinstance(files, str) else list(files))
    acc = account()
    if recursive_loop is not None:
        acc.lineage.check_recursive_loop(recursive_loop)
    function = acc.register(name, code, path=path, zip_file=zip_file, files=files, **config)
    if recursive_loop is not None:
        acc.lineage.set_recursive_loop(function.name, recursive_loop)
    return function


def package(name: str, qualifier: str | None = None) -> bytes:
    """The bytes of function ``name``'s deployment package (a zip; for a cell, holding
    ``lambda_function.py``): ``base64(sha256(package(name)))`` is its ``CodeSha256``."""
    acc = account()
    function = (
        acc.get_function(name) if qualifier is None else acc.registry.resolve(acc.get_function(name).name, qualifier)
    )
    return function.deployment_package.zip_file


def publish_layer_version(
    name: str,
    zip_file: bytes | None = None,
    *,
    path: Any = None,
    description: str = "",
    compatible_runtimes: Any = (),
    compatible_architectures: Any = (),
    license_info: str | None = None,
) -> Any:
    """``PublishLayerVersion``: store a zip (bytes, or a folder or ``.zip`` ``path``) as the next
    version of layer ``name``; register functions with ``layers=[layer.arn]`` to use it (its
    ``python/`` folder is importable)."""
    from .runtime.layers import layer_store
    from .runtime.package import DeploymentPackage

    if (zip_file is None) == (path is None):
        from .common.errors import InvalidParameterValueException

        raise InvalidParameterValueException(
            "give the layer's content one way: zip_file (zip bytes) or path (a folder or .zip)"
        )
    data = zip_file if zip_file is not None else DeploymentPackage.from_path(path).zip_file
    runtimes = (compatible_runtimes,) if isinstance(compatible_runtimes, str) else tuple(compatible_runtimes)
    architectures = (
        (compatible_architectures,) if isinstance(compatible_architectures, str) else tuple(compatible_architectures)
    )
    publish = (  # AWS: PublishLayerVersion
        _default.backend.publish_layer_version if _default.backend is not None else layer_store(account()).publish
    )
    return publish(
        name,
        data,
        description=description,
        compatible_runtimes=runtimes,
        compatible_architectures=architectures,
        license_info=license_info,
    )


def invoke(
    name: str,
    event: Any = None,
    *,
    invocation_type: str = "RequestResponse",
    qualifier: str | None = None,
    client_context: Mapping[str, Any] | None = None,
    template: str | None = None,
    params: Mapping[str, Any] | None = None,
    seed: int | None = None,
    now: Any = None,
) -> Invocation:
    """Invoke function ``name`` with ``event``; returns the :class:`Invocation`.

    With ``template`` (and its ``params``; ``seed``/``now`` for reproducible ids and
    times) the event is built from that template, and the calling service's verdict
    on the answer is on ``invocation.verdict``.
    """
    acc = account()
    if template is not None:
        if event is not None:
            from .common.errors import InvalidParameterValueException

            raise InvalidParameterValueException("give either an event or a template (with params), not both")
        event = acc.render_event(template, params, seed=seed, now=now)
    elif params or seed is not None or now is not None:
        from .common.errors import InvalidParameterValueException

        raise InvalidParameterValueException(
            "params, seed and now need a template: invoke(name, template='s3/put', params={...})"
        )
    invocation = acc.invoke(
        name,
        event,
        invocation_type=invocation_type,
        qualifier=qualifier,
        client_context=client_context,
        trigger=f"template:{template}" if template else "direct",
    )
    if template is not None:
        from .events.verdict import verdict_for

        invocation.template = template
        document = _cloudformation.arrived(acc, event)  # what a custom resource PUT to its ResponseURL
        invocation.verdict = verdict_for(template, event, invocation, response_document=document)
    return invocation


def templates(service: str | None = None) -> pd.DataFrame:
    """The event templates (of one service) as a DataFrame: ``id, service, event, description, params``."""
    from .display.frames import templates_frame

    return templates_frame(account().catalog().templates(service))


def event(template_id: str, *, seed: int | None = None, now: Any = None, **params: Any) -> dict:
    """An event built from a template, e.g. ``lm.event("sqs/receive-message", records=["a", "b"])``."""
    return account().render_event(template_id, params, seed=seed, now=now)


def builder(name: str | None = None) -> Any:
    """The event builder widget (for function ``name``, or only to build events)."""
    from .display.builder import EventBuilder

    user_ns = None
    try:
        from IPython import get_ipython

        shell = get_ipython()
        user_ns = shell.user_ns if shell is not None else None
    except ImportError:  # pragma: no cover - IPython is a dependency
        pass
    return EventBuilder(account(), account().catalog(), name, user_ns)


def delete(name: str) -> None:
    """Delete function ``name`` and end its environments (its logs stay)."""
    if _default.backend is not None:  # AWS: also what was wired for it, said line by line
        print("Deleted " + "; ".join(_default.backend.delete_function(name)))
        return
    account().delete_function(name)


def functions() -> pd.DataFrame:
    """Every registered function as a DataFrame."""
    from .display.frames import functions_frame

    return functions_frame(account().list_functions())


def invocations(name: str | None = None) -> pd.DataFrame:
    """The invocations (of ``name``, or of all functions) as a DataFrame: the last
    ``retained_invocations`` of them; ``attrs["dropped"]`` counts the older ones."""
    from .display.frames import invocations_frame

    if name is not None:
        account().get_function(name)
    return invocations_frame(account().invocation_records(name))


def logs(
    name: str | None = None,
    *,
    request_id: str | None = None,
    filter_pattern: str | None = None,
    tail: int | None = None,
) -> pd.DataFrame:
    """Log events as a DataFrame, filtered like CloudWatch's ``FilterLogEvents`` (over the
    last ``retained_log_events``; ``attrs["dropped"]`` counts the older ones)."""
    from .display.frames import logs_frame

    return logs_frame(
        account().log_events(name, request_id=request_id, filter_pattern=filter_pattern, tail=tail),
        name=name,
        request_id=request_id,
        filter_pattern=filter_pattern,
        tail=tail,
    )


def insights(
    query: str,
    log_groups: str | list[str] | None = None,
    start: Any = None,
    end: Any = None,
    *,
    limit: int | None = None,
) -> pd.DataFrame:
    """A CloudWatch Logs Insights query over the functions' log groups (every one, or
    ``log_groups``: ``"/aws/lambda/NAME"`` or ``"NAME"``), between ``start`` and ``end``
    (datetimes, ISO strings or epoch seconds), as a DataFrame, e.g.
    ``lm.insights('filter @type = "REPORT" | stats pct(@duration, 99) by bin(5m)')``."""
    from .display.frames import insights_frame
    from .runtime.insights import query_account

    if _default.backend is not None:  # AWS: StartQuery / GetQueryResults on the real log groups
        return insights_frame(_default.backend.insights(query, log_groups, start, end, limit=limit))
    return insights_frame(query_account(account(), query, log_groups, start, end, limit=limit))


def wait(timeout: float | None = None) -> bool:
    """Return when no queued ``Event`` invocation is left (False if ``timeout`` passed)."""
    return account().wait(timeout)


def reset() -> None:
    """Forget every function, environment, invocation and log."""
    account().reset()


# --- asynchronous invocation, concurrency, versions --------------------------------------------


def configure_async(
    name: str,
    *,
    max_retry_attempts: int = 2,
    max_event_age_s: int = 21_600,
    on_success: str | None = None,
    on_failure: str | None = None,
    dead_letter_target: str | None = None,
) -> Any:
    """Retries, maximum event age and destinations (a function name or ARN) for ``Event`` invocations."""
    return account().configure_async(
        name,
        max_retry_attempts=max_retry_attempts,
        max_event_age_s=max_event_age_s,
        on_success=on_success,
        on_failure=on_failure,
        dead_letter_target=dead_letter_target,
    )


def put_function_concurrency(name: str, reserved: int | None) -> None:
    """Reserve concurrency for ``name`` (0 stops it; ``None`` removes the reservation)."""
    account().put_function_concurrency(name, reserved)


def publish_version(name: str, description: str = "") -> Any:
    """Publish ``$LATEST`` as an immutable, numbered version."""
    return account().publish_version(name, description)


def create_alias(name: str, alias: str, function_version: str, *, routing: Mapping[str, float] | None = None) -> Any:
    """An alias pointing at a version (``routing``: a second version and its share of traffic)."""
    return account().create_alias(name, alias, function_version, routing=routing)


def put_provisioned_concurrency(name: str, qualifier: str, count: int) -> list[str]:
    """Initialise ``count`` environments ahead of requests for a version or alias."""
    return account().put_provisioned_concurrency(name, qualifier, count)


def clock() -> Any:
    """The account clock (``mode``: auto, real, scaled, manual; ``advance(seconds)``)."""
    return account().clock


def queue() -> Any:
    """Where every asynchronous event is: queued, in flight, waiting to retry, finished."""
    from .display.queue import QueuePanel

    return QueuePanel(account().async_ledgers())


def invoke_many(
    name: str,
    events: Any,
    *,
    concurrency: int = 1,
    invocation_type: str = "RequestResponse",
    qualifier: str | None = None,
    progress: bool = True,
) -> pd.DataFrame:
    """Run many invocations (``events``: a list, or a count of empty events) with
    ``concurrency`` callers at once; returns the run's invocations as a DataFrame.

    Throttled calls are rows with status ``throttled``; for ``Event`` the rows are
    the attempts that ran, once the queue has drained.
    """
    from .display.frames import invocations_frame
    from .display.progress import run_with_progress

    acc = account()
    acc.get_function(name)
    batch = [{}] * events if isinstance(events, int) else list(events)
    if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
        from .common.errors import InvalidParameterValueException

        raise InvalidParameterValueException(f"concurrency must be a whole number >= 1, got {concurrency!r}")
    results = run_with_progress(
        lambda event: acc.invoke(name, event, invocation_type=invocation_type, qualifier=qualifier, trigger="load"),
        batch,
        concurrency=concurrency,
        description=f"{name} x{len(batch)}",
        show=progress,
    )
    if invocation_type == "Event":
        acc.wait()
        ids = {r.request_id for r in results}
        results = [r for r in acc.invocation_records(name) if r.request_id in ids]
    return invocations_frame(results)


def timeline(name: str | None = None) -> Any:
    """The timeline picture of every invocation (of ``name``): environments, cold starts, retries, concurrency."""
    from .display.timeline import Timeline

    return Timeline(account().invocation_records(name), name)


def flow(request_id: str | None = None) -> pd.DataFrame:
    """The event-flow map: one row per cause -> effect edge (``source``, ``target``, ``request_id``,
    ``caused_by``, ``trigger``, ``count``, ``errors``, ``stopped``), drawn as a graph of the cell,
    services and functions.  Edges between the same nodes are summed; with ``request_id``, only
    the chain through that request (what caused it, and everything it caused)."""
    from .display.flow import flow_frame

    acc = account()
    return flow_frame(acc.invocation_records(), acc.lineage, request_id=request_id)


def metrics(name: str | None = None, period: str = "1min") -> pd.DataFrame:
    """CloudWatch-style metrics per ``period`` (whole seconds: ``"10s"``, ``"1min"``...), exact
    for every invocation whatever retention dropped."""
    from .display.metrics import metrics_frame

    acc = account()
    if name is not None:
        acc.get_function(name)
    ages: list[tuple[float, str, float]] = []
    if "event_source_mappings" in acc.extensions():
        from .sources import EventSourceMappings

        for poller in EventSourceMappings.of(acc).pollers():
            ages.extend((t, poller.mapping.function_name, ms) for t, _, ms in getattr(poller, "iterator_ages", ()))
    return metrics_frame(acc.metrics, name=name, period=period, iterator_ages=ages)


# --- the local cloud --------------------------------------------------------------------------


def client(service: str) -> Any:
    """A boto3 client bound to the local cloud (started on first use); ``"lambda"`` is bound
    to the account's own Lambda API, which runs the notebook's functions, ``"codecommit"``
    to the account's CodeCommit API, whose repository triggers call them, and ``"cognito-idp"``
    to the front that runs user pools' triggers."""
    if _default.backend is not None:  # the AWS backend's session, region and endpoint
        return _default.backend.client(service)
    acc = account()
    if service == "lambda":
        return _lambda_api(acc).client()
    if service == "codecommit":
        return _codecommit_api(acc).client()
    if service == "codepipeline":
        return _codepipeline_api(acc).client()
    if service == "cognito-idp":
        return _cognito_api(acc).client()
    return acc.cloud.client(service)


def endpoints() -> Any:
    """The loopback addresses the account serves, by service (a mapping that displays as a panel)."""
    from .display.endpoints import EndpointsPanel

    acc = account()
    addresses = {"lambda": _lambda_api(acc).url, "codecommit": _codecommit_api(acc).url}
    addresses["codepipeline"] = _codepipeline_api(acc).url
    if acc.cloud.running:  # every other service: the local cloud (not started just to show it)
        addresses["*"] = acc.cloud.endpoint()
    return EndpointsPanel(addresses, region=acc.settings.region)


def resource(service: str) -> Any:
    """A boto3 resource bound to the local cloud (started on first use)."""
    return account().cloud.resource(service)


def cloud() -> Any:
    """A panel of the local cloud: its address and the queues, streams, tables, buckets and topics in it."""
    from .display.cloud import CloudPanel

    return CloudPanel.of(account().cloud)
