"""The AWS backend: the account protocol on real Lambda (or an endpoint speaking its API) via boto3.

Credentials come from boto3's usual chain (``profile``, environment, SSO...), read only when
this backend is chosen.  Every deploy and invoke passes the cost guard first.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from ..common.errors import InvalidParameterValueException, LambdaMagicError
from ..runtime.billing import PriceList
from ..runtime.config import check_function_name, local_python_runtime
from ..runtime.function import Function
from ..runtime.invocation import Invocation, Presenter
from ..runtime.package import DeploymentPackage
from ..runtime.registry import Alias
from ..runtime.retention import Retained
from . import roles, triggers
from .apis import AccountApis
from .deploy import POLICY_NOT_READY, Deployer, Deployment, FunctionSettings, retrying
from .errors import client_error
from .functions import DeployedFunction, from_configuration
from .guard import CallGuard
from .layers import PublishedLayerVersion
from .logs import filter_log_events, run_insights
from .results import invocation_from_response

BACKEND = "aws"


class NotMapped(LambdaMagicError, AttributeError):
    """A local emulator's tool asked of the AWS backend (``hasattr`` answers False)."""


class AwsAccount:
    """Lambda in an AWS account (``endpoint_url``: another endpoint, e.g. a moto server on loopback).

    ``role`` is the execution role's ARN; ``create_role=True`` makes (or reuses) one named
    ``lambda-magic-execution``.  ``max_calls`` bounds the deploys and invokes this kernel sends
    (see :class:`CallGuard`).
    """

    backend = BACKEND

    def __init__(
        self,
        *,
        profile: str | None = None,
        region: str | None = None,
        role: str | None = None,
        endpoint_url: str | None = None,
        create_role: bool = False,
        guard: CallGuard | None = None,
        session: Any = None,
        presenter: Presenter | None = None,
        waiter_delay_s: float = 1.0,
        retry_delay_s: float = 1.0,
    ):
        import boto3

        try:
            self.session = session or boto3.Session(profile_name=profile, region_name=region)
        except BotoCoreError as exc:  # e.g. ProfileNotFound
            raise LambdaMagicError(f"AWS backend: {exc}") from None
        self.region: str = region or self.session.region_name or "us-east-1"
        self.endpoint_url = endpoint_url
        self.role = role
        self.create_role = create_role
        self.guard = guard or CallGuard()
        #: Lambda's list prices (us-east-1; other regions differ a little), for costs and power tuning.
        self.prices = PriceList.load()
        #: Renders invocations as panels (the display layer's, given by ``lm.use_backend``).
        self.presenter = presenter
        self._clients: dict[str, Any] = {}
        self._account_id: str | None = None
        self.deployer = Deployer(self.client("lambda"), waiter_delay_s=waiter_delay_s, retry_delay_s=retry_delay_s)
        #: What each register of this kernel deployed (package and settings), by function name.
        self._deployed: dict[str, tuple[DeploymentPackage, FunctionSettings, str]] = {}
        self._records: list[Invocation] = []
        self._wiring: list[triggers.Wiring] = []
        #: The API Gateway APIs this kernel makes (``lm.http_api``, ``lm.rest_api``, ``lm.apis()``).
        self.apis = AccountApis(self)
        #: The layer versions this kernel published, by ``LayerVersionArn`` (``delete`` leaves them, as AWS does).
        self._layers: dict[str, PublishedLayerVersion] = {}
        #: What the last deploy did (``created``, ``updated`` with its steps, or ``unchanged``).
        self.last_deployment: Deployment | None = None

    # --- identity and clients -------------------------------------------------------------------

    def client(self, service: str) -> Any:
        """A boto3 client of this backend's session, region and endpoint (one per service)."""
        if service not in self._clients:
            self._clients[service] = self.session.client(
                service, region_name=self.region, endpoint_url=self.endpoint_url
            )
        return self._clients[service]

    @property
    def account_id(self) -> str:
        """The account's id (``sts get-caller-identity``), asked once."""
        if self._account_id is None:
            try:
                self._account_id = str(self.client("sts").get_caller_identity()["Account"])
            except ClientError as exc:
                raise client_error(exc) from None
            except BotoCoreError as exc:  # no credentials, no endpoint...
                raise LambdaMagicError(f"AWS backend: {exc}") from None
        return self._account_id

    def describe(self) -> str:
        """One line: which account, region and endpoint the calls go to."""
        where = f" at {self.endpoint_url}" if self.endpoint_url else ""
        limit = "no limit" if self.guard.max_calls is None else f"max_calls={self.guard.max_calls}"
        return (
            f"AWS backend: account {self.account_id}, region {self.region}{where} "
            f"({self.guard.used} deploys/invokes so far, {limit})"
        )

    def function_arn(self, name: str) -> str:
        if name.startswith("arn:"):
            return name
        return f"arn:aws:lambda:{self.region}:{self.account_id}:function:{name}"

    def _role_arn(self) -> str:
        if self.role:
            return self.role
        if self.create_role:
            self.role = roles.ensure_role(self.client("iam"))
            return self.role
        raise InvalidParameterValueException(
            "the AWS backend needs an execution role: use_backend('aws', role=ARN) or create_role=True"
        )

    # --- functions --------------------------------------------------------------------------------

    def register(
        self,
        name: str,
        code: str | None = None,
        *,
        handler: str = "lambda_handler",
        path: Any = None,
        zip_file: bytes | None = None,
        files: Mapping[str, str | bytes] | None = None,
        memory_mb: int | None = None,
        timeout_s: int | None = None,
        env: Mapping[str, str] | None = None,
        runtime: str | None = None,
        architecture: str = "x86_64",
        description: str = "",
        log_format: str = "Text",
        tracing: str | None = None,
        requirements: Sequence[str] | None = None,
        pip_args: Sequence[str] = (),
        layers: Sequence[str] | None = (),
        **ignored: Any,
    ) -> Function:
        """Deploy ``name``: the same deterministic package the local backend builds (plus
        ``requirements`` vendored for Lambda's platform); nothing is sent when this kernel
        deployed the same code and configuration last, nothing uploaded when AWS has them.
        ``layers``: layer version ARNs (``Layers``; from ``publish_layer_version`` or any account's)."""
        from ..runtime.account import LocalAccount

        check_function_name(name)
        if ignored.pop("cpu_share", None) == "off":
            raise InvalidParameterValueException("cpu_share='off' is the emulator's: Lambda's CPU follows memory")
        unsupported = sorted(k for k, v in ignored.items() if v not in (None, (), [], {}, "process"))
        if unsupported:
            raise InvalidParameterValueException(
                f"{', '.join(unsupported)}: not mapped on the AWS backend (see lambda_magic.aws)"
            )
        layer_arns = tuple(layers or ())
        if not all(isinstance(arn, str) for arn in layer_arns):
            raise InvalidParameterValueException(f"layers are layer version ARNs (strings), got {list(layer_arns)!r}")
        runtime = runtime or local_python_runtime()
        package, source = LocalAccount._package(code, path, zip_file, files)
        if requirements:
            if code is None:
                raise InvalidParameterValueException("requirements are vendored into a cell's package: give code=")
            from .vendor import vendor

            extra = vendor(list(requirements), architecture=architecture, runtime=runtime, pip_args=pip_args)
            files = {**extra, **(files or {})}
        if package is None:
            package = DeploymentPackage.from_cell(source or "", files)
            handler_setting = handler if "." in handler else f"lambda_function.{handler}"
        else:
            handler_setting = handler if "." in handler else f"lambda_function.{handler}"
            found = package.module_source(handler_setting.rpartition(".")[0])
            source = found[1] if found else ""
        from ..common import limits

        settings = FunctionSettings(
            role=self._role_arn(),
            handler=handler_setting,
            runtime=runtime,
            memory_mb=limits.MEMORY_DEFAULT_MB if memory_mb is None else memory_mb,
            timeout_s=limits.TIMEOUT_DEFAULT_S if timeout_s is None else timeout_s,
            env=dict(env or {}),
            architecture=architecture,
            description=description,
            log_format=log_format,
            tracing=tracing or "PassThrough",
            layers=layer_arns,
        )
        last = self._deployed.get(name)
        if last is not None and last[0] == package and last[1] == settings:
            configuration = {"FunctionName": name, "CodeSha256": package.code_sha256, "CodeSize": package.code_size}
            configuration.update(settings.configuration(), Architectures=[architecture], LastModified=last[2])
            configuration["Layers"] = [{"Arn": arn} for arn in layer_arns]
            return self._function(configuration, code=source or "", package=package)
        self.guard.check(f"deploy {name}")
        try:
            deployment = self.deployer.deploy(name, package, settings)
        except ClientError as exc:
            raise client_error(exc) from None
        self.last_deployment = deployment
        self._deployed[name] = (package, settings, deployment.configuration.get("LastModified", ""))
        return self._function(deployment.configuration, code=source or "", package=package)

    def _function(self, configuration: dict[str, Any], **kw: Any) -> DeployedFunction:
        return from_configuration(
            configuration, region=self.region, account_id=self.account_id, layers=self._layers, **kw
        )

    def get_function(self, name: str) -> Function:
        """``GetFunction``."""
        try:
            answer = self.client("lambda").get_function(FunctionName=name)
        except ClientError as exc:
            raise client_error(exc) from None
        known = self._deployed.get(answer["Configuration"]["FunctionName"])
        reserved = (answer.get("Concurrency") or {}).get("ReservedConcurrentExecutions")
        return self._function(
            answer["Configuration"], package=known[0] if known else None, reserved_concurrency=reserved
        )

    def list_functions(self) -> list[Function]:
        """``ListFunctions`` (every function of the account in this region)."""
        found: list[Function] = []
        for page in self.client("lambda").get_paginator("list_functions").paginate():
            found.extend(self._function(c) for c in page["Functions"])
        return sorted(found, key=lambda f: f.name)

    def delete_function(self, name: str) -> list[str]:
        """Remove what this kernel wired for ``name`` (mappings, notifications, subscriptions, rules,
        permissions), then ``DeleteFunction``; what was removed, in order."""
        removed = []
        for wiring in reversed([w for w in self._wiring if w.function == name]):
            try:
                wiring.undo()
                removed.append(wiring.what)
            except ClientError as exc:
                removed.append(f"{wiring.what} (could not remove: {exc.response.get('Error', {}).get('Code')})")
            self._wiring.remove(wiring)
        try:
            self.client("lambda").delete_function(FunctionName=name)
        except ClientError as exc:
            raise client_error(exc) from None
        self._deployed.pop(name, None)
        removed.append(f"function {name}")
        return removed

    # --- layers ----------------------------------------------------------------------------------------

    def publish_layer_version(
        self,
        name: str,
        zip_file: bytes,
        *,
        description: str = "",
        compatible_runtimes: Sequence[str] = (),
        compatible_architectures: Sequence[str] = (),
        license_info: str | None = None,
    ) -> PublishedLayerVersion:
        """``PublishLayerVersion`` (``Content.ZipFile``), counted by the cost guard as a deploy; the
        version AWS made.  ``DeleteFunction`` and ``delete_function`` leave it (it is its own resource)."""
        from ..runtime.layers import check_layer_name
        from .layers import from_answer, publish_parameters

        check_layer_name(name)
        package = DeploymentPackage.from_zip(zip_file)
        params = publish_parameters(
            name,
            package,
            description=description,
            compatible_runtimes=compatible_runtimes,
            compatible_architectures=compatible_architectures,
            license_info=license_info,
        )
        self.guard.check(f"deploy layer {name}")
        try:
            answer = self.client("lambda").publish_layer_version(**params)
        except ClientError as exc:
            raise client_error(exc) from None
        layer = from_answer(answer, package)
        self._layers[layer.arn] = layer
        return layer

    # --- invoking ----------------------------------------------------------------------------------

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
        """``Invoke`` with ``LogType=Tail`` (synchronous calls): the result and the log's last 4 KB."""
        params: dict[str, Any] = {
            "FunctionName": name,
            "InvocationType": invocation_type,
            "Payload": json.dumps({} if event is None else event).encode(),
        }
        if invocation_type == "RequestResponse":
            params["LogType"] = "Tail"
        if qualifier is not None:
            params["Qualifier"] = qualifier
        if client_context is not None:
            import base64

            params["ClientContext"] = base64.b64encode(json.dumps(dict(client_context)).encode()).decode()
        self.guard.check(f"invoke {name}")
        start = time.time()
        try:
            response = self.client("lambda").invoke(**params)
        except ClientError as exc:
            raise client_error(exc) from None
        known = self._deployed.get(name)
        invocation = invocation_from_response(
            name,
            response,
            invocation_type=invocation_type,
            event=event,
            trigger=trigger,
            start=start,
            memory_mb=known[1].memory_mb if known else None,
            architecture=known[1].architecture if known else None,
        )
        invocation.presenter = self.presenter
        self._records.append(invocation)
        return invocation

    def invocation_records(self, name: str | None = None) -> Retained:
        """The invocations this kernel made (of ``name``)."""
        return Retained(r for r in self._records if name is None or r.function_name == name)

    def log_events(
        self,
        name: str | None = None,
        *,
        request_id: str | None = None,
        filter_pattern: str | None = None,
        tail: int | None = None,
    ) -> Retained:
        """``FilterLogEvents`` on ``/aws/lambda/NAME`` (each deployed function's group when no name)."""
        names = [name] if name is not None else sorted(self._deployed)
        return filter_log_events(
            self.client("logs"), names, request_id=request_id, filter_pattern=filter_pattern, tail=tail
        )

    def insights(
        self,
        query: str,
        log_groups: str | Sequence[str] | None = None,
        start: Any = None,
        end: Any = None,
        *,
        limit: int | None = None,
        timeout_s: float = 60.0,
    ) -> Any:
        """Logs Insights on AWS over ``/aws/lambda/NAME`` (each deployed function's group when none
        is named; the last 24 hours unless ``start``/``end`` say): see :func:`.logs.run_insights`."""
        names = [log_groups] if isinstance(log_groups, str) else list(log_groups or sorted(self._deployed))
        return run_insights(self.client("logs"), query, names, start, end, limit=limit, timeout_s=timeout_s)

    # --- versions, aliases, concurrency, async configuration ------------------------------------------

    def publish_version(self, name: str, description: str = "") -> Function:
        """``PublishVersion``."""
        try:
            answer = self.client("lambda").publish_version(FunctionName=name, Description=description)
        except ClientError as exc:
            raise client_error(exc) from None
        return self._function(answer)

    def create_alias(
        self, name: str, alias: str, function_version: str, *, routing: Mapping[str, float] | None = None
    ) -> Alias:
        """``CreateAlias`` (``routing``: a second version and its weight)."""
        params: dict[str, Any] = {"FunctionName": name, "Name": alias, "FunctionVersion": function_version}
        if routing:
            params["RoutingConfig"] = {"AdditionalVersionWeights": dict(routing)}
        try:
            self.client("lambda").create_alias(**params)
        except ClientError as exc:
            raise client_error(exc) from None
        return Alias(alias, function_version, dict(routing or {}))

    def put_function_concurrency(self, name: str, reserved: int | None) -> None:
        """``PutFunctionConcurrency``, or ``DeleteFunctionConcurrency`` for ``None``."""
        try:
            if reserved is None:
                self.client("lambda").delete_function_concurrency(FunctionName=name)
            else:
                self.client("lambda").put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=reserved)
        except ClientError as exc:
            raise client_error(exc) from None

    def _destination_arn(self, target: str) -> str:
        return target if target.startswith("arn:") else self.function_arn(target)

    def configure_async(
        self,
        name: str,
        *,
        max_retry_attempts: int = 2,
        max_event_age_s: int = 21_600,
        on_success: str | None = None,
        on_failure: str | None = None,
        dead_letter_target: str | None = None,
    ) -> dict[str, Any]:
        """``PutFunctionEventInvokeConfig`` (a destination: a function name or any ARN); a dead-letter
        target is the function's ``DeadLetterConfig`` (``UpdateFunctionConfiguration``)."""
        destinations: dict[str, Any] = {}
        if on_success:
            destinations["OnSuccess"] = {"Destination": self._destination_arn(on_success)}
        if on_failure:
            destinations["OnFailure"] = {"Destination": self._destination_arn(on_failure)}
        lam = self.client("lambda")
        try:
            answer = lam.put_function_event_invoke_config(
                FunctionName=name,
                MaximumRetryAttempts=max_retry_attempts,
                MaximumEventAgeInSeconds=max_event_age_s,
                DestinationConfig=destinations,
            )
            if dead_letter_target is not None:
                self.deployer.wait("function_updated_v2", name)
                lam.update_function_configuration(
                    FunctionName=name, DeadLetterConfig={"TargetArn": self._destination_arn(dead_letter_target)}
                )
        except ClientError as exc:
            raise client_error(exc) from None
        answer.pop("ResponseMetadata", None)
        return dict(answer)

    # --- triggers --------------------------------------------------------------------------------------

    def create_event_source_mapping(
        self, function_name: str, event_source_arn: str, **settings: Any
    ) -> triggers.MappingInfo:
        """``CreateEventSourceMapping`` (with ``create_role``, the role gets the source's read policy first)."""
        if self.create_role:
            roles.attach_source_policy(self.client("iam"), self._role_arn(), event_source_arn.split(":")[2])
        lam = self.client("lambda")
        params = triggers.mapping_parameters(self.function_arn(function_name), event_source_arn, settings)
        try:
            mapping = retrying(
                lambda: lam.create_event_source_mapping(**params),
                delay_s=self.deployer.retry_delay_s,
                also=(POLICY_NOT_READY,),
            )
        except ClientError as exc:
            raise client_error(exc) from None
        uuid = mapping["UUID"]
        self._wiring.append(
            triggers.Wiring(
                function_name, f"event source mapping {uuid}", lambda: lam.delete_event_source_mapping(UUID=uuid)
            )
        )
        return triggers.MappingInfo.of(mapping)

    def source_arn(self, kind: str, name: str) -> str:
        """The ARN of a queue (``sqs``), stream (``kinesis``) or table's stream (``dynamodb``) by name."""
        return triggers.source_arn(self.client, kind, name)

    def add_trigger(self, function: str, source: str, **settings: Any) -> triggers.TriggerInfo:
        """Wire ``s3:BUCKET``, ``sns:TOPIC``, ``events:RULE``, ``schedule:EXPRESSION``, ``logs:GROUP``
        or ``codecommit:REPOSITORY`` as AWS does
        (the permission, then the service's own configuration); what was made."""
        kind, _, resource = source.partition(":")
        given = {k: v for k, v in settings.items() if v is not None}
        settings = dict(given)
        try:
            if kind in ("sqs", "kinesis", "dynamodb"):
                mapping = self.create_event_source_mapping(function, self.source_arn(kind, resource), **settings)
                return triggers.TriggerInfo(function, source, given, (f"event source mapping {mapping.uuid}",))
            made = triggers.service_trigger(
                self.client,
                self.function_arn(function),
                source,
                region=self.region,
                account_id=self.account_id,
                **settings,
            )
        except ClientError as exc:
            raise client_error(exc) from None
        except TypeError as exc:  # a setting the local backend knows that is not mapped here
            raise InvalidParameterValueException(f"trigger {source!r} on the AWS backend: {exc}") from None
        self._wiring.extend(made)
        return triggers.TriggerInfo(function, source, given, tuple(w.what for w in made))

    def create_function_url(self, function: str, auth_type: str = "NONE") -> str:
        """``CreateFunctionUrlConfig`` (and, for ``NONE``, the public ``lambda:InvokeFunctionUrl`` permission)."""
        lam = self.client("lambda")
        try:
            url = lam.create_function_url_config(FunctionName=function, AuthType=auth_type)["FunctionUrl"]
            if auth_type == "NONE":
                lam.add_permission(
                    FunctionName=function,
                    StatementId="lambda-magic-url",
                    Action="lambda:InvokeFunctionUrl",
                    Principal="*",
                    FunctionUrlAuthType="NONE",
                )
        except ClientError as exc:
            raise client_error(exc) from None
        self._wiring.append(
            triggers.Wiring(
                function, f"function URL {url}", lambda: lam.delete_function_url_config(FunctionName=function)
            )
        )
        return str(url)

    # --- event templates ---------------------------------------------------------------------------

    def catalog(self) -> Any:
        """The event template catalog (the same as the local backend's)."""
        from ..events import Catalog

        return Catalog.load()

    def render_event(self, template_id: str, params: Mapping[str, Any] | None = None, **options: Any) -> dict:
        """An event from a template, with this account's region and id."""
        return dict(
            self.catalog().render(template_id, params, region=self.region, account_id=self.account_id, **options)
        )

    def http_api(self, name: str, routes: Mapping[str, Any], **options: Any) -> Any:
        """An API Gateway HTTP API whose routes proxy to the functions (payload 2.0), with its
        authorizers (JWT, REQUEST Lambda authorizers), stage (``stage=``, ``stage_variables=``) and
        access log (``requests()``)."""
        return self.apis.http_api(name, routes, **options)

    def rest_api(self, name: str, routes: Mapping[str, Any], **options: Any) -> Any:
        """An API Gateway REST API whose routes proxy to the functions (payload 1.0), with TOKEN and
        REQUEST Lambda authorizers, deployed to ``stage=`` (``dev``), and its access log
        (``requests()``) once the region has an API Gateway logging role: with ``create_role``,
        one is made and set when the account has none (one set already is kept)."""
        return self.apis.rest_api(name, routes, **options)

    def add_wiring(self, made: Sequence[triggers.Wiring]) -> None:
        """Keep what was made for functions' triggers, for ``delete_function`` to remove."""
        self._wiring.extend(made)

    def remove_wiring(self, wiring: triggers.Wiring) -> None:
        """Forget one thing wired (its ``undo`` has run)."""
        self._wiring.remove(wiring)

    def wiring_records(self) -> list[triggers.Wiring]:
        """What this kernel wired and has not removed, oldest first."""
        return list(self._wiring)

    def wiring(self, function: str | None = None) -> list[str]:
        """What this kernel wired (for ``function``), to be removed by ``delete_function``."""
        return [w.what for w in self._wiring if function is None or w.function == function]

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        raise NotMapped(
            f"{name} is not mapped on the AWS backend (it is the local emulator's): lm.use_backend('local') for it"
        )
