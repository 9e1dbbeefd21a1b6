"""Export the account as an AWS SAM or CloudFormation template.

Everything is read through the account's own AWS APIs (boto3 clients of the Lambda API and
the local cloud), the way it would be read from a real account: functions and their code,
layers, versions and aliases, concurrency, asynchronous configuration, event source
mappings, push triggers, function URLs and resource-based permissions; API Gateway APIs
served by the account come in as :class:`~.apis.ApiSpec` data.  The queues, streams, tables,
buckets, topics and log groups the triggers use (and the tables, buckets and queues the
functions' environment names) are declared too.  What a template cannot
express is listed in ``ExportResult.skipped`` and in a comment block at the top.

* ``"sam"``: ``AWS::Serverless::Function`` resources with ``CodeUri`` folders next to the
  template (each function's package unzipped), SAM events for the triggers.
* ``"cloudformation"``: that SAM template transformed offline by AWS's SAM translator into
  plain resources (``AWS::Lambda::Function``, roles, permissions, event source mappings...),
  with the code as S3 objects named by a ``CodeBucket`` parameter (zips written next to it).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..common.errors import InvalidParameterValueException
from .apis import ApiSpec, AuthorizerSpec, RouteSpec, add_apis
from .cloudformation import s3_code, transform
from .functions import add_functions
from .mappings import add_mappings
from .permissions import add_permissions
from .push import add_codecommit, add_log_subscriptions, add_rules, add_s3, add_schedules, add_sns
from .template import SAM_TRANSFORM, Clients, Template
from .writing import to_yaml, write_folder, write_zip

KINDS = ("sam", "cloudformation")
_LOCAL_HOSTS = ("127.0.0.1", "localhost")
#: Said in every template's header: what the export leaves to the reader on purpose.
ROLE_NOTE = (
    "Roles: SAM makes each function's execution role with the policies its events need; "
    "add Policies for the AWS calls the code makes"
)

__all__ = ["KINDS", "ApiSpec", "AuthorizerSpec", "ExportResult", "RouteSpec", "build_sam", "export_template"]


@dataclass
class ExportResult:
    """What an export wrote: the template's path, its body, and what it could not express."""

    kind: str
    path: Path
    template: dict[str, Any]
    skipped: list[str] = field(default_factory=list)
    #: The code folders (sam) or zips (cloudformation) written next to the template.
    code: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return self.path.read_text()

    @property
    def resources(self) -> dict[str, str]:
        """Logical id -> resource type."""
        return {k: v["Type"] for k, v in self.template.get("Resources", {}).items()}

    def __repr__(self) -> str:
        lines = [f"{self.kind} template {self.path} ({len(self.resources)} resources)"]
        lines += [f"  {logical}: {kind}" for logical, kind in self.resources.items()]
        lines += [f"  code: {item}" for item in self.code]
        if self.skipped:
            lines.append("  not expressed:")
            lines += [f"    - {item}" for item in self.skipped]
        return "\n".join(lines)


def build_sam(
    clients: Clients,
    *,
    region: str,
    account_id: str,
    apis: Iterable[ApiSpec] = (),
    provisioned: Mapping[tuple[str, str], int] | None = None,
    invoke_configs: Mapping[str, dict[str, Any]] | None = None,
) -> Template:
    """Read the account and build its SAM template (nothing written yet)."""
    template = Template(
        clients, region, account_id, provisioned=dict(provisioned or {}), invoke_configs=dict(invoke_configs or {})
    )
    add_functions(template)
    events: dict[str, dict[str, Any]] = {}
    add_mappings(template, events)
    for add in (add_s3, add_sns, add_rules, add_schedules, add_log_subscriptions):
        try:
            add(template, events)
        except Exception as exc:  # a service the local cloud does not run: say so, go on
            template.skip(f"{add.__name__[4:]}: could not be read ({type(exc).__name__})")
    add_codecommit(template)
    add_apis(template, apis, events)
    add_permissions(template, events)
    for name, function_events in events.items():
        props = template.resources[template.functions[name]]["Properties"]
        props["Events"] = dict(sorted(function_events.items()))
    values = [
        v
        for r in template.resources.values()
        for v in ((r.get("Properties", {}).get("Environment") or {}).get("Variables") or {}).values()
        if isinstance(v, str)
    ]
    template.declare_named(values)
    for logical in list(template.resources):
        props = template.resources[logical].get("Properties", {})
        variables = (props.get("Environment") or {}).get("Variables")
        if variables:
            props["Environment"]["Variables"] = {k: template.value(v) for k, v in variables.items()}
            for key, value in variables.items():
                if isinstance(value, str) and any(host in value for host in _LOCAL_HOSTS):
                    template.skip(f"{logical}: environment variable {key} points at this machine ({value})")
    return template


def _body(template: Template) -> dict[str, Any]:
    body: dict[str, Any] = {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Transform": SAM_TRANSFORM,
        "Description": template.description,
        "Resources": dict(sorted(template.resources.items())),
    }
    if template.outputs:
        body["Outputs"] = dict(sorted(template.outputs.items()))
    return body


def export_template(
    kind: str,
    path: str | Path,
    clients: Clients,
    *,
    region: str,
    account_id: str,
    apis: Iterable[ApiSpec] = (),
    provisioned: Mapping[tuple[str, str], int] | None = None,
    invoke_configs: Mapping[str, dict[str, Any]] | None = None,
) -> ExportResult:
    """Write the account's template of ``kind`` (``"sam"`` or ``"cloudformation"``) to ``path``."""
    if kind not in KINDS:
        raise InvalidParameterValueException(f"export kind {kind!r}: choose one of {', '.join(KINDS)}")
    target = Path(path)
    template = build_sam(
        clients, region=region, account_id=account_id, apis=apis, provisioned=provisioned, invoke_configs=invoke_configs
    )
    if not template.functions:
        raise InvalidParameterValueException("the account has no functions to export: register one first")
    body = _body(template)
    root = target.parent
    root.mkdir(parents=True, exist_ok=True)
    written: list[str] = []
    if kind == "sam":
        for folder, data in sorted(template.code.items()):
            write_folder(root, folder, data)
            written.append(f"{folder}/")
        header = f"AWS SAM template exported by lambda_magic: sam build && sam deploy --guided\n# {ROLE_NOTE}"
    else:
        sam, keys = s3_code(body)
        body = transform(sam, region, account_id)
        for folder, data in sorted(template.code.items()):
            write_zip(root, keys[folder], data)
            written.append(keys[folder])
        header = (
            "CloudFormation template exported by lambda_magic (the SAM template, transformed): "
            f"upload the zips to the CodeBucket parameter's bucket\n# {ROLE_NOTE}"
        )
    target.write_text(to_yaml(body, template.skipped, header=header))
    return ExportResult(kind, target, body, list(template.skipped), written)
