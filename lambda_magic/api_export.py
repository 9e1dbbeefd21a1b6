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
            RouteSpec(r.key, r.function, r.authorizer, tuple(r.scopes)) for r in sorted(api.table.routes, key=lambda r: r.key)
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
        specs.append(ApiSpec(api.name, api.kind, api.stage, routes, authorizers, dict(api.stage_variables)))
    return specs


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
        provisioned=dict(getattr(acc, "_provisioned", {})),  # the account keeps it per (function, version)
    )
