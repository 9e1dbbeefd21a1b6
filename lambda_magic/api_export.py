"""``lm.export``: the notebook's account as an AWS SAM or CloudFormation template."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .export import ApiSpec, AuthorizerSpec, ExportResult, RouteSpec, export_template


def _apis(acc: Any) -> list[ApiSpec]:
    """The API Gateway APIs the account serves, as plain specs."""
    from .endpoints.apigw import EXTENSION, ApiGateway

    if EXTENSION not in acc.extensions():
        return []  # no API was made (and none is started for the export)
    specs = []
    for api in ApiGateway.of(acc).apis():
        routes = tuple(
            RouteSpec(r.key, r.function, r.authorizer, tuple(r.scopes))
            for r in sorted(api.table.routes, key=lambda r: r.key)
        )
        authorizers = {
            name: AuthorizerSpec(
                name,
                a.type,
                a.function,
                tuple((s.where, s.name) for s in a.sources),
                a.issuer,
                tuple(a.audience),
                int(a.ttl_s),
                bool(a.simple_responses),
            )
            for name, a in api.authorizers.items()
        }
        cors = getattr(api, "cors", None)
        specs.append(
            ApiSpec(
                api.name,
                api.kind,
                api.stage,
                routes,
                authorizers,
                dict(api.stage_variables),
                None if cors is None else cors.to_aws(capitalized=True),
            )
        )
    return specs


def _invoke_configs(acc: Any) -> dict[str, dict[str, Any]]:
    """``lm.configure_async`` settings, shaped as ``GetFunctionEventInvokeConfig`` answers."""
    found = {}
    for name, config in sorted(acc.async_invoker.configs.items()):
        destinations = {
            key: {"Destination": target}
            for key, target in (("OnSuccess", config.on_success), ("OnFailure", config.on_failure))
            if target
        }
        if (config.max_retry_attempts, config.max_event_age_s) == (2, 21_600) and not destinations:
            continue  # Lambda's defaults: nothing to declare
        found[name] = {
            "FunctionArn": f"arn:aws:lambda:{acc.settings.region}:{acc.settings.account_id}:function:{name}:$LATEST",
            "MaximumRetryAttempts": config.max_retry_attempts,
            "MaximumEventAgeInSeconds": config.max_event_age_s,
            "DestinationConfig": destinations,
        }
    return found


def export(kind: str, path: str | Path = "template.yaml") -> ExportResult:
    """Write the account's functions, their code, configuration, triggers, APIs and the
    resources they use as a ``"sam"`` template (code folders next to it) or a plain
    ``"cloudformation"`` one (zips next to it, a ``CodeBucket`` parameter); what cannot be
    expressed is in ``.skipped`` and in the template's first comment lines."""
    from .api import account, client

    acc = account()
    settings = acc.settings
    return export_template(
        kind,
        path,
        client,
        region=settings.region,
        account_id=settings.account_id,
        apis=_apis(acc),
        provisioned=acc.provisioned_concurrency(),  # per (function, version)
        invoke_configs=_invoke_configs(acc),
    )
