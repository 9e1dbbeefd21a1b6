"""Triggers wired the way AWS wires them, each remembered with how to undo it.

``DeleteFunction`` leaves event source mappings, bucket notifications, subscriptions and rule
targets behind; the backend's ``delete`` runs each :class:`Wiring`'s ``undo`` first.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from ..common.errors import InvalidParameterValueException, ResourceNotFoundException

#: ``create_event_source_mapping``'s settings in snake_case -> AWS's parameter names.
MAPPING_SETTINGS = {
    "batch_size": "BatchSize",
    "maximum_batching_window_s": "MaximumBatchingWindowInSeconds",
    "starting_position": "StartingPosition",
    "function_response_types": "FunctionResponseTypes",
    "filter_criteria": "FilterCriteria",
    "bisect_batch_on_function_error": "BisectBatchOnFunctionError",
    "maximum_retry_attempts": "MaximumRetryAttempts",
    "maximum_record_age_s": "MaximumRecordAgeInSeconds",
    "parallelization_factor": "ParallelizationFactor",
    "destination_config": "DestinationConfig",
    "enabled": "Enabled",
}


@dataclass(frozen=True)
class Wiring:
    """One thing made for a function's trigger (``what``: e.g. ``event source mapping 1f2e...``)."""

    function: str
    what: str
    undo: Callable[[], Any]


@dataclass(frozen=True)
class MappingInfo:
    """An event source mapping as ``CreateEventSourceMapping`` answered it (``raw``: the whole answer)."""

    uuid: str
    state: str
    batch_size: int | None
    event_source_arn: str
    function_arn: str
    raw: dict[str, Any]

    @classmethod
    def of(cls, answer: dict[str, Any]) -> MappingInfo:
        answer = {k: v for k, v in answer.items() if k != "ResponseMetadata"}
        return cls(
            answer["UUID"],
            str(answer.get("State", "")),
            answer.get("BatchSize"),
            str(answer.get("EventSourceArn", "")),
            str(answer.get("FunctionArn", "")),
            answer,
        )


@dataclass(frozen=True)
class TriggerInfo:
    """A service trigger wired on AWS: the source, its settings and what was made for it."""

    function: str
    source: str
    settings: dict[str, Any]
    made: tuple[str, ...]


def mapping_parameters(function_arn: str, source_arn: str, settings: dict[str, Any]) -> dict[str, Any]:
    """``CreateEventSourceMapping``'s parameters from snake_case settings."""
    unknown = sorted(set(settings) - set(MAPPING_SETTINGS))
    if unknown:
        raise InvalidParameterValueException(
            f"unknown event source mapping setting(s) {', '.join(unknown)}: use {', '.join(MAPPING_SETTINGS)}"
        )
    params: dict[str, Any] = {"FunctionName": function_arn, "EventSourceArn": source_arn}
    params.update({MAPPING_SETTINGS[key]: value for key, value in settings.items() if value is not None})
    if source_arn.split(":")[2] in ("kinesis", "dynamodb"):
        params.setdefault("StartingPosition", "LATEST")
    return params


def _statement_id(function: str, source: str) -> str:
    return "lambda-magic-" + "".join(c if c.isalnum() or c in "-_" else "-" for c in f"{function}-{source}")[:90]


def add_permission(lambda_client: Any, function_arn: str, principal: str, source_arn: str, sid: str) -> Wiring:
    """``AddPermission``: let ``principal`` (``s3.amazonaws.com``...) invoke the function for ``source_arn``."""
    lambda_client.add_permission(
        FunctionName=function_arn,
        StatementId=sid,
        Action="lambda:InvokeFunction",
        Principal=principal,
        SourceArn=source_arn,
    )
    name = function_arn.rpartition(":")[2]
    return Wiring(
        name,
        f"permission {sid} ({principal})",
        lambda: lambda_client.remove_permission(FunctionName=function_arn, StatementId=sid),
    )


def s3_notification(
    s3: Any,
    lambda_client: Any,
    function_arn: str,
    bucket: str,
    *,
    account_id: str,
    events: list[str] | None = None,
    prefix: str | None = None,
    suffix: str | None = None,
) -> list[Wiring]:
    """The permission first (S3 checks it when the notification is set), then read-merge-write of
    the bucket's configuration (``PutBucketNotificationConfiguration`` replaces all of it)."""
    name = function_arn.rpartition(":")[2]
    sid = _statement_id(name, f"s3-{bucket}")
    permission = add_permission(lambda_client, function_arn, "s3.amazonaws.com", f"arn:aws:s3:::{bucket}", sid)
    config_id = f"lambda-magic-{name}"
    current = s3.get_bucket_notification_configuration(Bucket=bucket)
    current.pop("ResponseMetadata", None)
    entry: dict[str, Any] = {
        "Id": config_id,
        "LambdaFunctionArn": function_arn,
        "Events": list(events or ["s3:ObjectCreated:*"]),
    }
    rules = [{"Name": k, "Value": v} for k, v in (("prefix", prefix), ("suffix", suffix)) if v]
    if rules:
        entry["Filter"] = {"Key": {"FilterRules": rules}}
    others = [c for c in current.get("LambdaFunctionConfigurations", []) if c.get("Id") != config_id]
    current["LambdaFunctionConfigurations"] = [*others, entry]
    s3.put_bucket_notification_configuration(
        Bucket=bucket, NotificationConfiguration=current, ExpectedBucketOwner=account_id
    )

    def undo() -> None:
        now = s3.get_bucket_notification_configuration(Bucket=bucket)
        now.pop("ResponseMetadata", None)
        now["LambdaFunctionConfigurations"] = [
            c for c in now.get("LambdaFunctionConfigurations", []) if c.get("Id") != config_id
        ]
        s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration=now)

    return [permission, Wiring(name, f"s3 notification {config_id} on bucket {bucket}", undo)]


def sns_subscription(
    sns: Any, lambda_client: Any, function_arn: str, topic_arn: str, **attributes: Any
) -> list[Wiring]:
    """``AddPermission`` for SNS, then ``Subscribe`` (protocol ``lambda``)."""
    name = function_arn.rpartition(":")[2]
    permission = add_permission(
        lambda_client, function_arn, "sns.amazonaws.com", topic_arn, _statement_id(name, topic_arn.rpartition(":")[2])
    )
    extra = {}
    if attributes.get("filter_policy") is not None:
        extra["Attributes"] = {"FilterPolicy": json.dumps(attributes["filter_policy"])}
    arn = sns.subscribe(
        TopicArn=topic_arn, Protocol="lambda", Endpoint=function_arn, ReturnSubscriptionArn=True, **extra
    )["SubscriptionArn"]
    return [permission, Wiring(name, f"sns subscription {arn}", lambda: sns.unsubscribe(SubscriptionArn=arn))]


def events_rule(
    events: Any,
    lambda_client: Any,
    function_arn: str,
    rule: str,
    *,
    schedule: str | None = None,
    event_pattern: dict[str, Any] | None = None,
    input: Any = None,
) -> list[Wiring]:
    """``PutRule`` (a schedule or an event pattern), ``AddPermission`` for EventBridge, ``PutTargets``."""
    name = function_arn.rpartition(":")[2]
    rule_args: dict[str, Any] = {"Name": rule, "State": "ENABLED"}
    if schedule is not None:
        rule_args["ScheduleExpression"] = schedule
    else:
        rule_args["EventPattern"] = json.dumps(event_pattern or {"source": [{"prefix": ""}]})
    rule_arn = events.put_rule(**rule_args)["RuleArn"]
    permission = add_permission(
        lambda_client, function_arn, "events.amazonaws.com", rule_arn, _statement_id(name, f"events-{rule}")
    )
    target: dict[str, Any] = {"Id": f"lambda-magic-{name}"[:64], "Arn": function_arn}
    if input is not None:
        target["Input"] = json.dumps(input)
    events.put_targets(Rule=rule, Targets=[target])

    def undo() -> None:
        events.remove_targets(Rule=rule, Ids=[target["Id"]])
        events.delete_rule(Name=rule)

    return [permission, Wiring(name, f"events rule {rule} and its target", undo)]


def source_arn(client: Callable[[str], Any], kind: str, name: str) -> str:
    """The ARN of a queue (``sqs``), stream (``kinesis``) or table's stream (``dynamodb``) by name
    (``client``: a boto3 client by service name)."""
    try:
        if kind == "sqs":
            sqs = client("sqs")
            url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
            return str(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"])
        if kind == "kinesis":
            summary = client("kinesis").describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
            return str(summary["StreamARN"])
        if kind == "dynamodb":
            return str(client("dynamodb").describe_table(TableName=name)["Table"]["LatestStreamArn"])
    except (ClientError, KeyError) as exc:
        raise ResourceNotFoundException(f"no {kind} resource named {name!r} ({type(exc).__name__})") from None
    raise InvalidParameterValueException(f"source {kind!r}: use sqs:QUEUE, kinesis:STREAM or dynamodb:TABLE")


def logs_subscription(
    logs: Any,
    lambda_client: Any,
    function_arn: str,
    group: str,
    *,
    region: str,
    account_id: str,
    filter_pattern: str = "",
    filter_name: str | None = None,
) -> list[Wiring]:
    """``AddPermission`` for CloudWatch Logs (the group's ARN), then ``PutSubscriptionFilter`` with the
    function as destination (the permission is taken back when the filter cannot be made)."""
    name = function_arn.rpartition(":")[2]
    group_arn = f"arn:aws:logs:{region}:{account_id}:log-group:{group}:*"
    permission = add_permission(
        lambda_client, function_arn, "logs.amazonaws.com", group_arn, _statement_id(name, group)
    )
    filter_name = filter_name or f"lambda-magic-{name}"
    try:
        logs.put_subscription_filter(
            logGroupName=group, filterName=filter_name, filterPattern=filter_pattern, destinationArn=function_arn
        )
    except BaseException:
        permission.undo()
        raise

    def undo() -> None:
        logs.delete_subscription_filter(logGroupName=group, filterName=filter_name)

    return [permission, Wiring(name, f"logs subscription filter {filter_name} on {group}", undo)]


def codecommit_trigger(
    codecommit: Any,
    lambda_client: Any,
    function_arn: str,
    repository: str,
    *,
    region: str,
    account_id: str,
    branches: list[str] | str | None = None,
    events: list[str] | str | None = None,
    custom_data: str | None = None,
    name: str | None = None,
) -> list[Wiring]:
    """``AddPermission`` for CodeCommit (the repository's ARN), then ``PutRepositoryTriggers`` with the
    repository's other triggers kept and this one (``name``: the function's name) added or replaced."""
    function = function_arn.rpartition(":")[2]
    trigger: dict[str, Any] = {
        "name": name or function,
        "destinationArn": function_arn,
        "branches": [branches] if isinstance(branches, str) else list(branches or []),
        "events": [events] if isinstance(events, str) else list(events or ["all"]),
    }
    if custom_data is not None:
        trigger["customData"] = custom_data
    repository_arn = f"arn:aws:codecommit:{region}:{account_id}:{repository}"
    sid = _statement_id(function, f"codecommit-{repository}")
    permission = add_permission(lambda_client, function_arn, "codecommit.amazonaws.com", repository_arn, sid)

    def others() -> list[dict[str, Any]]:
        kept = codecommit.get_repository_triggers(repositoryName=repository).get("triggers", [])
        return [t for t in kept if t.get("name") != trigger["name"]]

    try:
        codecommit.put_repository_triggers(repositoryName=repository, triggers=[*others(), trigger])
    except BaseException:
        permission.undo()
        raise

    def undo() -> None:
        codecommit.put_repository_triggers(repositoryName=repository, triggers=others())

    return [permission, Wiring(function, f"codecommit trigger {trigger['name']} on {repository}", undo)]


def service_trigger(
    client: Callable[[str], Any], function_arn: str, source: str, *, region: str, account_id: str, **settings: Any
) -> list[Wiring]:
    """Wire ``source`` (``s3:BUCKET``, ``sns:TOPIC``, ``events:RULE``, ``schedule:EXPRESSION``,
    ``logs:GROUP``, ``codecommit:REPOSITORY``) to the function as AWS does (``client``: a boto3
    client by service name); what was made."""
    kind, _, resource = source.partition(":")
    lam = client("lambda")
    function = function_arn.rpartition(":")[2]
    if kind == "s3":
        return s3_notification(client("s3"), lam, function_arn, resource, account_id=account_id, **settings)
    if kind == "sns":
        topic = resource if resource.startswith("arn:") else f"arn:aws:sns:{region}:{account_id}:{resource}"
        return sns_subscription(client("sns"), lam, function_arn, topic, **settings)
    if kind == "events":
        return events_rule(client("events"), lam, function_arn, resource, **settings)
    if kind == "schedule":
        rule = settings.pop("id", None) or f"lambda-magic-{function}-schedule"
        return events_rule(client("events"), lam, function_arn, rule, schedule=resource, **settings)
    if kind == "logs":
        return logs_subscription(
            client("logs"), lam, function_arn, resource, region=region, account_id=account_id, **settings
        )
    if kind == "codecommit":
        return codecommit_trigger(
            client("codecommit"), lam, function_arn, resource, region=region, account_id=account_id, **settings
        )
    raise InvalidParameterValueException(
        f"trigger {source!r}: the AWS backend maps s3:, sns:, events:, schedule:, logs:, codecommit:, "
        "sqs:, kinesis:, dynamodb:"
    )
