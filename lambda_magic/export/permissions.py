"""Resource-based policy statements that no SAM event writes become ``AWS::Lambda::Permission``s."""

from __future__ import annotations

import json
from typing import Any

from .naming import ref
from .template import Template

#: The service principal each SAM event type grants itself.
EVENT_PRINCIPALS = {
    "S3": "s3.amazonaws.com",
    "SNS": "sns.amazonaws.com",
    "EventBridgeRule": "events.amazonaws.com",
    "Schedule": "events.amazonaws.com",
    "CloudWatchLogs": "logs.amazonaws.com",
    "HttpApi": "apigateway.amazonaws.com",
    "Api": "apigateway.amazonaws.com",
}


def _principal(statement: dict[str, Any]) -> str:
    principal = statement.get("Principal")
    if isinstance(principal, dict):
        value = principal.get("Service") or principal.get("AWS") or ""
        return value if isinstance(value, str) else ",".join(value)
    return str(principal or "")


def _normal(principal: str) -> str:
    """``logs.us-east-1.amazonaws.com`` and ``logs.amazonaws.com`` are the same service."""
    parts = principal.split(".")
    return f"{parts[0]}.amazonaws.com" if principal.endswith(".amazonaws.com") and len(parts) == 4 else principal


def add_permissions(template: Template, events: dict[str, dict[str, Any]]) -> None:
    client = template.clients("lambda")
    for name, logical in sorted(template.functions.items()):
        try:
            policy = json.loads(client.get_policy(FunctionName=name)["Policy"])
        except Exception:
            continue  # no policy
        covered = {EVENT_PRINCIPALS[e["Type"]] for e in events.get(name, {}).values() if e["Type"] in EVENT_PRINCIPALS}
        covered |= {p for f, p in template.covered if f == name}
        url = template.resources[logical]["Properties"].get("FunctionUrlConfig") or {}
        for statement in policy.get("Statement", []):
            principal = _normal(_principal(statement))
            action = statement.get("Action", "lambda:InvokeFunction")
            if principal in covered and action == "lambda:InvokeFunction":
                continue
            if action == "lambda:InvokeFunctionUrl" and url.get("AuthType") == "NONE" and principal == "*":
                continue  # SAM's FunctionUrlConfig grants it
            props: dict[str, Any] = {
                "FunctionName": ref(logical),
                "Action": action,
                "Principal": _principal(statement),
            }
            condition = statement.get("Condition") or {}
            source_arn = (condition.get("ArnLike") or {}).get("AWS:SourceArn")
            if source_arn:
                props["SourceArn"] = source_arn.replace(f":{template.account_id}:", ":${AWS::AccountId}:")
                if "${" in props["SourceArn"]:
                    props["SourceArn"] = {"Fn::Sub": props["SourceArn"]}
            account = (condition.get("StringEquals") or {}).get("AWS:SourceAccount")
            if account:
                props["SourceAccount"] = ref("AWS::AccountId") if account == template.account_id else account
            url_auth = (condition.get("StringEquals") or {}).get("lambda:FunctionUrlAuthType")
            if url_auth:
                props["FunctionUrlAuthType"] = url_auth
            sid = statement.get("Sid", "statement")
            template.add(
                "permission", f"{name}-{sid}", "Permission", {"Type": "AWS::Lambda::Permission", "Properties": props}
            )
