"""The push sources' shared machinery: the account extension, the plugin base and triggers.

Push sources are the services that call a function themselves: S3, SNS, EventBridge
rules and schedules, CloudWatch Logs subscriptions, CodeCommit.  Each one
invokes asynchronously (retries, destinations, dead-letter queues and maximum
event age apply), only when the function's resource-based policy allows the
service's principal, and every invocation says its trigger (``s3:BUCKET``...).

What the student configures with boto3 lives in the local cloud; moto's code that
would call its own Lambda backend is patched in the server process (the
``*_moto`` modules, loaded through :mod:`lambda_magic.runtime.cloud_hooks`) to
ask this extension instead.  A source plugin registers the operations its moto
side calls (``push.on("s3.notify", handler)``) and implements
:meth:`PushSource.add` for ``lm.add_trigger``.
"""

from __future__ import annotations

import collections
import importlib
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ...common.errors import InvalidParameterValueException, ResourceNotFoundException
from ...runtime.environment import environment_of_access_key
from ...runtime.requests import parse_function_name
from .permissions import allows

if TYPE_CHECKING:
    from ...runtime.account import LocalAccount
    from ...runtime.function import Function
    from ...runtime.invocation import Invocation

EXTENSION = "push_sources"
#: The module loaded into the local cloud's server; it installs every source's moto side.
MOTO_SIDE = "lambda_magic.sources.push.moto_side"

#: Each source kind's plugin: (module, class), imported when the extension is made.
SOURCES: dict[str, tuple[str, str]] = {
    "sns": ("lambda_magic.sources.push.sns", "SnsSource"),
    "codecommit": ("lambda_magic.sources.push.codecommit", "CodeCommitSource"),
    "events": ("lambda_magic.sources.push.events", "EventsSource"),
    "logs": ("lambda_magic.sources.push.logs", "LogsSource"),
    "s3": ("lambda_magic.sources.push.s3", "S3Source"),
    "schedule": ("lambda_magic.sources.push.schedules", "SchedulesSource"),
}

Operation = Callable[[dict[str, Any], "str | None"], Any]


@dataclass
class Trigger:
    """One push source wired to a function (what ``lm.add_trigger`` returns)."""

    kind: str
    resource: str
    function_name: str
    #: The settings as given (snake_case, AWS's names) with the defaults filled in.
    settings: dict[str, Any] = field(default_factory=dict)
    #: The source's own id of the wiring (a notification configuration id, a subscription ARN...).
    source_id: str | None = None
    #: The resource-based policy statement added for the service.
    statement_id: str | None = None
    trigger_id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])

    @property
    def source(self) -> str:
        return f"{self.kind}:{self.resource}"

    def __repr__(self) -> str:
        return f"<Trigger {self.source} -> {self.function_name} {self.settings or ''}>".replace(" >", ">")


class PushSource:
    """A push source plugin: what ``kind`` (``s3``...) needs on the account's side."""

    kind = ""
    #: The service principal that invokes (``s3.amazonaws.com``), checked against the policy.
    principal = ""

    def __init__(self, push: PushSources):
        self.push = push
        self.account = push.account

    def add(self, function: Function, resource: str, **settings: Any) -> Trigger:
        """Wire ``resource`` to ``function`` as the console does (the configuration and the
        resource policy), with ``settings`` in snake_case after AWS's names."""
        raise NotImplementedError

    def source_arn(self, resource: str) -> str:
        """The ARN the service invokes as (``AWS:SourceArn`` in the policy)."""
        raise NotImplementedError

    def stop(self) -> None:
        """The account is shutting down (or resetting): end any thread of the source."""

    def settle(self) -> bool:
        """True when the source still has work the account should wait for."""
        return False


class PushSources:
    """The account's push sources (an account extension, made by :meth:`of`)."""

    def __init__(
        self,
        account: LocalAccount,
        *,
        policy: Callable[[str, str | None], list[dict[str, Any]]] | None = None,
        lambda_client: Callable[[], Any] | None = None,
    ):
        self.account = account
        #: ``policy(name, qualifier)`` -> the statements of a function's resource-based policy.
        self.policy_of = policy or (lambda name, qualifier: [])
        #: ``lambda_client()`` -> a boto3 ``lambda`` client on the account's Lambda API.
        self.lambda_client = lambda_client
        self._lock = threading.Lock()
        self._operations: dict[str, Operation] = {}
        self._triggers: dict[str, Trigger] = {}
        #: Events a source could not deliver, by (function, trigger, reason): never lost silently.
        self.dropped: collections.Counter[tuple[str, str, str]] = collections.Counter()
        self.sources: dict[str, PushSource] = {}
        for kind, (module, name) in SOURCES.items():
            self.sources[kind] = getattr(importlib.import_module(module), name)(self)
        account.cloud_hooks.add(MOTO_SIDE, self._call)

    @classmethod
    def of(cls, account: LocalAccount, **options: Any) -> PushSources:
        """The account's push sources (made on first use; the moto side loads into the cloud)."""
        return account.extension(EXTENSION, lambda: cls(account, **options))

    # --- what the moto side calls -------------------------------------------------------------

    def on(self, operation: str, handler: Operation) -> None:
        """Answer the moto side's calls of ``operation`` with ``handler(payload, caller_request_id)``."""
        self._operations[operation] = handler

    def _call(self, payload: dict[str, Any], signer: str | None) -> Any:
        operation = payload.get("op", "")
        handler = self._operations.get(operation)
        if handler is None:
            raise ResourceNotFoundException(f"no push source answers {operation!r}")
        return handler(payload, self.caller(signer))

    def caller(self, signer: str | None) -> str | None:
        """The request id of the invocation whose environment signed (None outside functions)."""
        env_id = environment_of_access_key(signer or "")
        if env_id is None:
            return None
        for env, _state in self.account.pool.environments():
            if env.env_id == env_id:
                return env.request_id
        return None

    # --- delivering ----------------------------------------------------------------------------

    def function_of(self, function_arn: str) -> tuple[Function, str | None] | None:
        """The function (and qualifier) an ARN names in this account, or None (a function of
        another account or region is not this account's)."""
        parts = function_arn.split(":")
        if function_arn.startswith("arn:") and len(parts) >= 7:
            settings = self.account.settings
            if parts[3] != settings.region or parts[4] != settings.account_id:
                return None
        try:
            name, qualifier = parse_function_name(function_arn)
            return self.account.registry.resolve(name, qualifier), qualifier
        except Exception:
            return None

    def allowed(
        self, function_arn: str, principal: str, source_arn: str | None, source_account: str | None = None
    ) -> bool:
        """Whether the function's resource-based policy lets ``principal`` invoke it from ``source_arn``."""
        found = self.function_of(function_arn)
        if found is None:
            return False
        function, qualifier = found
        return allows(
            self.policy_of(function.name, qualifier),
            principal=principal,
            account_id=self.account.settings.account_id,
            source_arn=source_arn,
            source_account=source_account or self.account.settings.account_id,
        )

    def deliver(
        self,
        function_arn: str,
        event: Any,
        *,
        trigger: str,
        principal: str,
        source_arn: str | None,
        caused_by: str | None = None,
        check_policy: bool = True,
        received_at: float | None = None,
    ) -> Invocation | None:
        """Invoke the function asynchronously with ``event``, as the service does; a missing
        function or a policy that does not allow the service is a counted drop (None)."""
        found = self.function_of(function_arn)
        if found is None:
            self.drop(function_arn, trigger, "FunctionNotFound")
            return None
        function, qualifier = found
        if check_policy and not self.allowed(function_arn, principal, source_arn):
            self.drop(function.name, trigger, "AccessDenied")
            return None
        return self.account.invoke(
            function.name,
            event,
            invocation_type="Event",
            qualifier=qualifier,
            trigger=trigger,
            caller_request_id=caused_by,
            received_at=received_at,
        )

    def drop(self, function: str, trigger: str, reason: str) -> None:
        with self._lock:
            self.dropped[(function, trigger, reason)] += 1

    # --- triggers ------------------------------------------------------------------------------

    def add_trigger(self, function: str, source: str, **settings: Any) -> Trigger:
        """``lm.add_trigger``: wire ``"KIND:RESOURCE"`` to ``function`` with the source's settings."""
        kind, sep, resource = source.partition(":")
        if not sep or not resource:
            raise InvalidParameterValueException(
                f"source {source!r}: write KIND:RESOURCE, one of {', '.join(f'{k}:...' for k in self.sources)}"
            )
        plugin = self.sources.get(kind)
        if plugin is None:
            raise InvalidParameterValueException(
                f"source kind {kind!r}: choose one of {', '.join(self.sources)} "
                "(sqs, kinesis and dynamodb are event source mappings: lm.create_event_source_mapping)"
            )
        target = self.account.get_function(function)
        trigger = plugin.add(target, resource, **settings)
        with self._lock:
            self._triggers[trigger.trigger_id] = trigger
        return trigger

    def grant(self, function: Function, kind: str, principal: str, source_arn: str) -> str:
        """Add the resource-based policy statement a service needs, as the console does; its Sid."""
        sid = f"lambda-magic-{kind}-{uuid.uuid4().hex[:12]}"
        if self.lambda_client is None:
            raise InvalidParameterValueException("this account serves no Lambda API to add the permission through")
        self.lambda_client().add_permission(
            FunctionName=function.name,
            StatementId=sid,
            Action="lambda:InvokeFunction",
            Principal=principal,
            SourceArn=source_arn,
            SourceAccount=self.account.settings.account_id,
        )
        return sid

    def triggers(self) -> list[Trigger]:
        with self._lock:
            return list(self._triggers.values())

    def __iter__(self) -> Iterator[Trigger]:
        return iter(self.triggers())

    # --- the account's hooks -------------------------------------------------------------------

    def settle(self) -> bool:
        return any(source.settle() for source in list(self.sources.values()))

    def stop(self) -> None:
        self.account.cloud_hooks.discard(MOTO_SIDE)
        for source in self.sources.values():
            source.stop()
