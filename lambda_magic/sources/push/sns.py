"""SNS -> Lambda: a topic's ``lambda`` subscriptions invoke their function asynchronously.

The student subscribes with boto3 as on AWS::

    sns.subscribe(TopicArn=topic_arn, Protocol="lambda", Endpoint=function_arn)
    lambda_client.add_permission(
        FunctionName=...,
        StatementId=...,
        Action="lambda:InvokeFunction",
        Principal="sns.amazonaws.com",
        SourceArn=topic_arn,
    )

and every message the subscription's filter policy lets through invokes the function once
with ``{"Records": [{"EventSource": "aws:sns", "EventVersion": "1.0", "EventSubscriptionArn":
..., "Sns": {...}}]}`` (event-catalog C.4).  The record is built in the local cloud
(:mod:`.sns_moto`); here it is delivered: a function that is missing, or whose policy does not
let ``sns.amazonaws.com`` invoke it from the topic, does not get it, and the drop is counted in
``push.dropped`` (SNS accepted the publish, as on AWS).

``lm.add_trigger("fn", "sns:TOPIC", filter_policy={...})`` subscribes and adds the permission,
as the console does.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ...common.errors import InvalidParameterValueException
from .base import PushSource, Trigger
from .sns_filter import SCOPES, FilterPolicy, FilterPolicyError
from .sns_moto import OPERATION

if TYPE_CHECKING:
    from ...runtime.function import Function
    from .base import PushSources


class SnsSource(PushSource):
    """SNS topics' ``lambda`` subscriptions."""

    kind = "sns"
    principal = "sns.amazonaws.com"

    def __init__(self, push: PushSources):
        super().__init__(push)
        push.on(OPERATION, self._deliver)

    def source_arn(self, resource: str) -> str:
        if resource.startswith("arn:"):
            return resource
        settings = self.account.settings
        return f"arn:aws:sns:{settings.region}:{settings.account_id}:{resource}"

    def add(
        self,
        function: Function,
        resource: str,
        filter_policy: Mapping[str, Any] | str | None = None,
        filter_policy_scope: str = "MessageAttributes",
        **settings: Any,
    ) -> Trigger:
        """Subscribe ``function`` to the topic (a name or an ARN) with an optional filter policy,
        and let ``sns.amazonaws.com`` invoke it from that topic."""
        if settings:
            raise InvalidParameterValueException(
                f"sns trigger: unknown setting(s) {', '.join(sorted(settings))}; "
                "choose from filter_policy, filter_policy_scope"
            )
        topic_arn = self.source_arn(resource)
        topic = topic_arn.rsplit(":", 1)[-1]
        attributes = self._attributes(filter_policy, filter_policy_scope)
        sns = self.account.cloud.client("sns")
        try:
            sns.get_topic_attributes(TopicArn=topic_arn)
        except sns.exceptions.NotFoundException:
            raise InvalidParameterValueException(
                f"sns:{topic}: no topic {topic_arn} in the local cloud; create it first "
                f"(sns.create_topic(Name={topic!r}))"
            ) from None
        try:
            subscription = sns.subscribe(
                TopicArn=topic_arn,
                Protocol="lambda",
                Endpoint=function.arn,
                Attributes=attributes,
                ReturnSubscriptionArn=True,
            )
        except sns.exceptions.InvalidParameterException as exc:
            raise InvalidParameterValueException(
                f"sns:{topic} -> {function.name}: {exc.response['Error']['Message']} "
                "(change it with sns.set_subscription_attributes, or unsubscribe first)"
            ) from None
        statement_id = self.push.grant(function, self.kind, self.principal, topic_arn)
        return Trigger(
            kind=self.kind,
            resource=topic,
            function_name=function.name,
            settings={"filter_policy": filter_policy, "filter_policy_scope": filter_policy_scope},
            source_id=subscription["SubscriptionArn"],
            statement_id=statement_id,
        )

    @staticmethod
    def _attributes(filter_policy: Mapping[str, Any] | str | None, scope: str) -> dict[str, str]:
        if scope not in SCOPES:
            raise InvalidParameterValueException(
                f"sns trigger: filter_policy_scope {scope!r}: choose MessageAttributes or MessageBody"
            )
        if filter_policy is None:
            return {}
        text = filter_policy if isinstance(filter_policy, str) else json.dumps(filter_policy)
        try:
            FilterPolicy.parse(text, scope)
        except FilterPolicyError as exc:
            raise InvalidParameterValueException(f"sns trigger: {exc.message(subscribe=True)}") from None
        return {"FilterPolicy": text, "FilterPolicyScope": scope}

    def _deliver(self, payload: dict[str, Any], caller_request_id: str | None) -> dict[str, Any]:
        record = payload["record"]
        topic_arn = record["Sns"]["TopicArn"]
        function_arn, trigger = payload["function_arn"], f"sns:{topic_arn.rsplit(':', 1)[-1]}"
        if not self._local(function_arn):  # another account's or region's function is not here
            self.push.drop(function_arn, trigger, "FunctionNotFound")
            return {"delivered": False}
        invocation = self.push.deliver(
            function_arn,
            {"Records": [record]},
            trigger=trigger,
            principal=self.principal,
            source_arn=topic_arn,
            caused_by=caller_request_id,
        )
        return {"delivered": invocation is not None}

    def _local(self, function_arn: str) -> bool:
        parts = function_arn.split(":")
        if parts[0] != "arn":
            return True  # a name: the account's own function, if any
        settings = self.account.settings
        return len(parts) > 4 and parts[3] == settings.region and parts[4] == settings.account_id
