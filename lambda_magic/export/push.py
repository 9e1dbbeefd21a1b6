"""Push triggers read from the local cloud (S3 notifications, SNS subscriptions, EventBridge
rules and schedules, Logs subscription filters, CodeCommit triggers) as SAM events, or as
plain resources where SAM has no event type."""

from __future__ import annotations

import json
from typing import Any

from .naming import get_att, logical_id, ref
from .template import Template

Events = dict[str, dict[str, Any]]


def _ours(template: Template, arn: str, what: str) -> str | None:
    """The exported function an ARN names (a qualifier is noted as skipped), else None."""
    parts = arn.split(":")
    if len(parts) < 7 or parts[2] != "lambda" or parts[6] not in template.functions:
        return None
    template.check_qualifier(parts[6], parts[7] if len(parts) > 7 else None, what)
    return parts[6]


def _json(text: Any) -> Any:
    if isinstance(text, str):
        try:
            return json.loads(text)
        except ValueError:
            return text
    return text


def add_s3(template: Template, events: Events) -> None:
    s3 = template.clients("s3")
    for bucket in sorted(b["Name"] for b in s3.list_buckets().get("Buckets", [])):
        config = s3.get_bucket_notification_configuration(Bucket=bucket)
        for n, item in enumerate(config.get("LambdaFunctionConfigurations", [])):
            function = _ours(template, item["LambdaFunctionArn"], f"s3:{bucket}")
            if function is None:
                continue
            props: dict[str, Any] = {"Bucket": ref(template.bucket(bucket)), "Events": list(item["Events"])}
            rules = ((item.get("Filter") or {}).get("Key") or {}).get("FilterRules") or []
            if rules:
                props["Filter"] = {
                    "S3Key": {"Rules": [{"Name": r["Name"].lower(), "Value": r["Value"]} for r in rules]}
                }
            name = logical_id(bucket, "S3" + (str(n + 1) if n else ""))
            events.setdefault(function, {})[name] = {"Type": "S3", "Properties": props}
        for kind in ("QueueConfigurations", "TopicConfigurations"):
            if config.get(kind):
                template.skip(f"s3:{bucket}: {kind} (not a function's trigger)")


def add_sns(template: Template, events: Events) -> None:
    sns = template.clients("sns")
    subscriptions: list[dict[str, Any]] = []
    for page in sns.get_paginator("list_subscriptions").paginate():
        subscriptions.extend(page["Subscriptions"])
    for sub in sorted(subscriptions, key=lambda s: (s["TopicArn"], s["Endpoint"])):
        if sub.get("Protocol") != "lambda":
            continue
        function = _ours(template, sub["Endpoint"], f"sns:{sub['TopicArn']}")
        if function is None:
            continue
        topic = template.topic(sub["TopicArn"])
        props: dict[str, Any] = {"Topic": ref(topic)}
        try:
            attrs = sns.get_subscription_attributes(SubscriptionArn=sub["SubscriptionArn"])["Attributes"]
        except Exception:
            attrs = {}
        if attrs.get("FilterPolicy"):
            props["FilterPolicy"] = _json(attrs["FilterPolicy"])
            if attrs.get("FilterPolicyScope") == "MessageBody":
                props["FilterPolicyScope"] = "MessageBody"
        events.setdefault(function, {})[logical_id(topic, "SNS")] = {"Type": "SNS", "Properties": props}


def add_rules(template: Template, events: Events) -> None:
    client = template.clients("events")
    buses = sorted(b["Name"] for b in client.list_event_buses().get("EventBuses", [])) or ["default"]
    for bus in buses:
        rules = client.list_rules(EventBusName=bus).get("Rules", [])
        for rule in sorted(rules, key=lambda r: r["Name"]):
            targets = client.list_targets_by_rule(Rule=rule["Name"], EventBusName=bus).get("Targets", [])
            for target in sorted(targets, key=lambda t: t["Id"]):
                function = _ours(template, target["Arn"], f"events:{rule['Name']}")
                if function is None:
                    continue
                events.setdefault(function, {})[logical_id(rule["Name"], "Rule")] = _rule_event(
                    template, bus, rule, target
                )


def _rule_event(template: Template, bus: str, rule: dict[str, Any], target: dict[str, Any]) -> dict[str, Any]:
    props: dict[str, Any] = {}
    for key in ("Input", "InputPath"):
        if target.get(key):
            props[key] = target[key]
    if target.get("InputTransformer"):
        transformer = target["InputTransformer"]
        props["InputTransformer"] = {
            k: transformer[k] for k in ("InputPathsMap", "InputTemplate") if transformer.get(k) is not None
        }
    if target.get("DeadLetterConfig", {}).get("Arn"):
        props["DeadLetterConfig"] = {"Arn": template.target(target["DeadLetterConfig"]["Arn"])}
    if target.get("RetryPolicy"):
        props["RetryPolicy"] = dict(target["RetryPolicy"])
    if rule.get("ScheduleExpression"):
        props.update({"Schedule": rule["ScheduleExpression"], "Name": rule["Name"]})
        props["State"] = rule.get("State", "ENABLED")
        if rule.get("EventPattern"):
            template.skip(f"events:{rule['Name']}: a rule with both a schedule and a pattern keeps its schedule only")
        return {"Type": "Schedule", "Properties": props}
    props.update({"Pattern": _json(rule.get("EventPattern") or "{}"), "RuleName": rule["Name"]})
    if bus != "default":
        props["EventBusName"] = template.event_bus(bus)
    if rule.get("State") == "DISABLED":
        props["State"] = "DISABLED"
    return {"Type": "EventBridgeRule", "Properties": props}


def add_schedules(template: Template, events: Events) -> None:
    client = template.clients("scheduler")
    try:
        listed = client.list_schedules().get("Schedules", [])
    except Exception:
        return
    for item in sorted(listed, key=lambda s: (s.get("GroupName", ""), s["Name"])):
        schedule = client.get_schedule(Name=item["Name"], GroupName=item.get("GroupName", "default"))
        target = schedule.get("Target") or {}
        function = _ours(template, target.get("Arn", ""), f"scheduler:{item['Name']}")
        if function is None:
            continue
        props: dict[str, Any] = {"Name": schedule["Name"], "ScheduleExpression": schedule["ScheduleExpression"]}
        for key in ("ScheduleExpressionTimezone", "State", "Description"):
            if schedule.get(key):
                props[key] = schedule[key]
        group = schedule.get("GroupName", "default")
        if group != "default":
            props["GroupName"] = ref(
                template.add(
                    "scheduler-group",
                    group,
                    "ScheduleGroup",
                    {"Type": "AWS::Scheduler::ScheduleGroup", "Properties": {"Name": group}},
                )
            )
        window = schedule.get("FlexibleTimeWindow") or {"Mode": "OFF"}
        props["FlexibleTimeWindow"] = dict(window)
        for key in ("StartDate", "EndDate"):
            if schedule.get(key):
                value = schedule[key]
                props[key] = value.isoformat() if hasattr(value, "isoformat") else str(value)
        if target.get("Input"):
            props["Input"] = target["Input"]
        if target.get("RetryPolicy"):
            props["RetryPolicy"] = dict(target["RetryPolicy"])
        if (target.get("DeadLetterConfig") or {}).get("Arn"):
            props["DeadLetterConfig"] = {"Arn": template.target(target["DeadLetterConfig"]["Arn"])}
        events.setdefault(function, {})[logical_id(schedule["Name"], "Schedule")] = {
            "Type": "ScheduleV2",
            "Properties": props,
        }


def add_log_subscriptions(template: Template, events: Events) -> None:
    logs = template.clients("logs")
    groups: list[str] = []
    for page in logs.get_paginator("describe_log_groups").paginate():
        groups.extend(g["logGroupName"] for g in page["logGroups"])
    for group in sorted(groups):
        filters = logs.describe_subscription_filters(logGroupName=group).get("subscriptionFilters", [])
        for item in sorted(filters, key=lambda f: f["filterName"]):
            function = _ours(template, item["destinationArn"], f"logs:{group}")
            if function is None:
                continue
            props = {"LogGroupName": ref(template.log_group(group)), "FilterPattern": item.get("filterPattern", "")}
            events.setdefault(function, {})[logical_id(item["filterName"], "Logs")] = {
                "Type": "CloudWatchLogs",
                "Properties": props,
            }


def add_codecommit(template: Template) -> None:
    """CodeCommit triggers have no SAM event: the repository declares them, and a
    permission lets CodeCommit invoke the function."""
    client = template.clients("codecommit")
    try:
        names = sorted(r["repositoryName"] for r in client.list_repositories().get("repositories", []))
    except Exception:
        return
    for name in names:
        triggers = client.get_repository_triggers(repositoryName=name).get("triggers", [])
        mapped = []
        for trigger in triggers:
            function = _ours(template, trigger["destinationArn"], f"codecommit:{name}")
            if function is None:
                template.skip(f"codecommit:{name}: trigger {trigger['name']} to {trigger['destinationArn']}")
                continue
            item: dict[str, Any] = {
                "Name": trigger["name"],
                "DestinationArn": template.function_ref(function),
                "Events": list(trigger["events"]),
            }
            if trigger.get("branches"):
                item["Branches"] = list(trigger["branches"])
            if trigger.get("customData"):
                item["CustomData"] = trigger["customData"]
            mapped.append((function, item))
        if not mapped:
            continue
        repo = template.add(
            "codecommit",
            name,
            "Repository",
            {
                "Type": "AWS::CodeCommit::Repository",
                "Properties": {"RepositoryName": name, "Triggers": [item for _, item in mapped]},
            },
        )
        for function in sorted({f for f, _ in mapped}):
            template.add(
                "permission",
                f"{function}-{name}-codecommit",
                "Permission",
                {
                    "Type": "AWS::Lambda::Permission",
                    "Properties": {
                        "FunctionName": template.function_ref(function, "Ref"),
                        "Action": "lambda:InvokeFunction",
                        "Principal": "codecommit.amazonaws.com",
                        "SourceArn": get_att(repo, "Arn"),
                        "SourceAccount": ref("AWS::AccountId"),
                    },
                },
            )
            template.covered.add((function, "codecommit.amazonaws.com"))
