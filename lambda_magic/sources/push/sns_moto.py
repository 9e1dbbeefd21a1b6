"""SNS's side in the local cloud's server process: ``lambda`` subscriptions call the account.

moto's own ``lambda`` branch of ``Subscription.publish`` looks the function up in moto's Lambda
backend, which cannot run the notebook's functions (and fails the publish when the function is
not there).  The patch sends the ``aws:sns`` record to the account instead (operation
``sns.deliver``), after the subscription's filter policy (:mod:`.sns_filter`, AWS's semantics:
moto's matcher lacks ``cidr``, stops at the first missing attribute, and lowers only the
message for ``equals-ignore-case``) and ``MessageStructure="json"`` (the ``lambda`` key or
``default``).  The account checks the function and its resource-based policy; a publish is
never refused for a subscriber, as on AWS.

Also corrected, for every protocol:

* S3's notifications to a topic carry the Subject ``Amazon S3 Notification``;
* every subscription's filter policy matches with AWS's semantics (SQS and HTTP too);
* filter policies are validated as SNS does (``cidr`` allowed, ``anything-but`` with
  ``suffix`` refused, an invalid ``FilterPolicyScope`` refused), Subscribe's messages say
  ``Attributes Reason:``, and a refused Subscribe leaves no subscription behind;
* ``MessageStructure="json"`` needs valid JSON with a ``default`` key, whoever subscribes;
* a ``lambda`` subscription refuses ``RawMessageDelivery`` and FIFO topics, as SNS does;
* subscribing again with other attributes is refused (SNS keeps one subscription per endpoint).
"""

from __future__ import annotations

import json
import logging
from typing import Any

from .moto_side import Call, patch
from .sns_filter import SCOPES, FilterPolicy, FilterPolicyError

OPERATION = "sns.deliver"
S3_SUBJECT = "Amazon S3 Notification"

log = logging.getLogger(__name__)


def lambda_record(subscription: Any, message: str, message_id: str, subject: str | None, attributes: Any) -> dict:
    """The ``aws:sns`` record a ``lambda`` subscription delivers (the ``…Url`` spelling of Lambda)."""
    envelope = subscription.get_post_data(message, message_id, subject, message_attributes=attributes)
    region = subscription.topic.sns_backend.region_name
    return {
        "EventSource": "aws:sns",
        "EventVersion": "1.0",
        "EventSubscriptionArn": subscription.arn,
        "Sns": {
            "Type": "Notification",
            "MessageId": message_id,
            "TopicArn": subscription.topic.arn,
            "Subject": subject or None,
            "Message": message,
            "Timestamp": envelope["Timestamp"],
            "SignatureVersion": envelope["SignatureVersion"],
            "Signature": envelope["Signature"],
            "SigningCertUrl": envelope["SigningCertURL"],
            "UnsubscribeUrl": (
                f"https://sns.{region}.amazonaws.com/?Action=Unsubscribe&SubscriptionArn={subscription.arn}"
            ),
            "MessageAttributes": dict(attributes or {}),
        },
    }


def _differs(current: dict[str, Any], given: dict[str, Any]) -> bool:
    """Whether Subscribe's ``given`` attributes change an existing subscription's."""
    for name, value in given.items():
        have = current.get(name)
        if name == "FilterPolicy":
            try:
                same = have is not None and json.loads(have) == json.loads(value)
            except (TypeError, ValueError):
                same = have == value
        elif name == "FilterPolicyScope":
            same = (have or "MessageAttributes") == value
        else:
            same = str(have).lower() == str(value).lower()
        if not same:
            return True
    return False


def install(call: Call) -> None:
    from moto.s3 import notifications
    from moto.sns.exceptions import SNSInvalidParameter
    from moto.sns.models import SNSBackend, Subscription, sns_backends
    from moto.sns.responses import SNSResponse
    from moto.sns.utils import FilterPolicyMatcher

    def publish(
        self: Any,
        message: str,
        message_id: str,
        subject: str | None = None,
        message_attributes: dict[str, Any] | None = None,
        group_id: str | None = None,
        deduplication_id: str | None = None,
        message_structure: str | None = None,
    ) -> None:
        if self.protocol != "lambda":
            return publish.original(  # type: ignore[attr-defined]
                self, message, message_id, subject, message_attributes, group_id, deduplication_id, message_structure
            )
        text = self.attributes.get("FilterPolicy")
        if text:
            try:
                policy = FilterPolicy.parse(text, self.attributes.get("FilterPolicyScope"))
            except FilterPolicyError:
                return  # SNS refused it when it was set; nothing passes a policy it never stored
            if not policy.matches(message, message_attributes):
                return
        if message_structure == "json":
            message = self._parse_message_structure(message, self.protocol)
        record = lambda_record(self, message, message_id, subject, message_attributes)
        try:
            call({"op": OPERATION, "function_arn": self.endpoint, "record": record})
        except Exception as exc:  # the account has gone: SNS still accepts the publish
            log.warning("SNS could not deliver %s to %s: %s", message_id, self.endpoint, exc)

    def matches(self: Any, message_attributes: dict[str, Any] | None, message: str) -> bool:
        try:
            policy = FilterPolicy.parse(self.filter_policy or {}, self.filter_policy_scope)
        except FilterPolicyError:
            return False
        return policy.matches(message, message_attributes)

    def validate_filter_policy(self: Any, value: Any, scope: str | None) -> None:
        try:
            FilterPolicy.parse(value, scope)
        except FilterPolicyError as exc:
            raise SNSInvalidParameter(exc.message(subscribe=False)) from None

    def set_subscription_attributes(self: Any, arn: str, name: str, value: Any) -> None:
        if name == "FilterPolicyScope" and value not in SCOPES:
            raise SNSInvalidParameter(
                f"Invalid parameter: FilterPolicyScope: Invalid value [{value}]. "
                "Please use either MessageBody or MessageAttributes"
            )
        subscription = self.subscriptions.get(arn)
        raw = name == "RawMessageDelivery" and str(value).lower() == "true"
        if raw and subscription is not None and subscription.protocol == "lambda":
            raise SNSInvalidParameter(
                "Invalid parameter: Delivery protocol [lambda] does not support raw message delivery."
            )
        policy = subscription.attributes.get("FilterPolicy") if subscription is not None else None
        if name == "FilterPolicyScope" and policy:  # the policy must hold in its new scope
            validate_filter_policy(self, json.loads(policy), value)
        set_subscription_attributes.original(self, arn, name, value)  # type: ignore[attr-defined]
        if name == "FilterPolicyScope" and subscription is not None and subscription._filter_policy:
            subscription._filter_policy_matcher = FilterPolicyMatcher(subscription._filter_policy, value)

    def backend_subscribe(self: Any, topic_arn: str, endpoint: str, protocol: str) -> Any:
        if protocol == "lambda" and self.get_topic(topic_arn).fifo_topic:  # FIFO topics deliver to SQS only
            raise SNSInvalidParameter("Invalid parameter: Invalid protocol type: lambda")
        return backend_subscribe.original(self, topic_arn, endpoint, protocol)  # type: ignore[attr-defined]

    def subscribe(self: Any) -> Any:
        existing = self.backend._find_subscription(
            self._get_param("TopicArn"), self._get_param("Endpoint"), self._get_param("Protocol")
        )
        if existing is not None and _differs(existing.attributes, self._get_attributes() or {}):
            raise SNSInvalidParameter(
                "Invalid parameter: Attributes Reason: Subscription already exists with different attributes"
            )
        before = set(self.backend.subscriptions)
        try:
            return subscribe.original(self)  # type: ignore[attr-defined]
        except SNSInvalidParameter as exc:
            for arn in set(self.backend.subscriptions) - before:  # AWS makes none when it refuses
                self.backend.unsubscribe(arn)
            reason = exc.message.removeprefix("Invalid parameter: ")
            if reason.startswith(("FilterPolicy:", "Filter policy")) and "Attributes Reason" not in reason:
                raise SNSInvalidParameter(f"Invalid parameter: Attributes Reason: {reason}") from None
            raise

    def backend_publish(self: Any, message: str, arn: str | None, *args: Any, **kwargs: Any) -> str:
        if kwargs.get("message_structure") == "json":
            try:
                structured = json.loads(message)
            except (TypeError, ValueError):
                raise SNSInvalidParameter(
                    "Invalid parameter: Message Structure - JSON message body failed to parse"
                ) from None
            if not isinstance(structured, dict) or "default" not in structured:
                raise SNSInvalidParameter(
                    "Invalid parameter: Message Structure - No default entry in JSON message body"
                )
        return backend_publish.original(self, message, arn, *args, **kwargs)  # type: ignore[attr-defined]

    def send_sns_message(account_id: str, event_body: Any, topic_arn: str, region_name: str) -> None:
        try:
            sns_backends[account_id][region_name].publish(
                arn=topic_arn, message=json.dumps(event_body), subject=S3_SUBJECT
            )
        except Exception:  # asynchronous on AWS: S3's call succeeds whatever the topic does
            log.debug("S3 could not publish to %s", topic_arn, exc_info=True)

    patch(Subscription, "publish", publish)
    patch(FilterPolicyMatcher, "matches", matches)
    patch(SNSBackend, "_validate_filter_policy", validate_filter_policy)
    patch(SNSBackend, "set_subscription_attributes", set_subscription_attributes)
    patch(SNSBackend, "publish", backend_publish)
    patch(SNSBackend, "subscribe", backend_subscribe)
    patch(SNSResponse, "subscribe", subscribe)
    patch(notifications, "_send_sns_message", send_sns_message)
