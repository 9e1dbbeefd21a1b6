"""Functions: their configuration, code, layers, versions and aliases, concurrency and
asynchronous configuration, as an ``AWS::Serverless::Function`` each."""

from __future__ import annotations

import urllib.request
from typing import Any

from .naming import logical_id
from .template import Template

LATEST = "$LATEST"
_DESTINATION_TYPES = {"sqs": "SQS", "sns": "SNS", "lambda": "Lambda", "events": "EventBridge", "s3": "S3Bucket"}


def _download(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=30) as response:
        return bytes(response.read())


def add_functions(template: Template) -> None:
    """Declare every function of the account (names sorted, so the template is deterministic)."""
    client = template.clients("lambda")
    configs = sorted(_all_functions(client), key=lambda c: c["FunctionName"])
    for config in configs:
        template.functions[config["FunctionName"]] = logical_id(config["FunctionName"], "Function")
    for config in configs:
        _add_function(template, client, config)


def _all_functions(client: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for page in client.get_paginator("list_functions").paginate():
        found.extend(page["Functions"])
    return found


def _add_function(template: Template, client: Any, config: dict[str, Any]) -> None:
    name = config["FunctionName"]
    logical = template.functions[name]
    got = client.get_function(FunctionName=name)
    folder = f"functions/{name}"
    template.code[folder] = _download(got["Code"]["Location"])
    props: dict[str, Any] = {
        "FunctionName": name,
        "CodeUri": f"{folder}/",
        "Handler": config["Handler"],
        "Runtime": config["Runtime"],
        "Architectures": list(config.get("Architectures") or ["x86_64"]),
        "MemorySize": config["MemorySize"],
        "Timeout": config["Timeout"],
    }
    if config.get("Description"):
        props["Description"] = config["Description"]
    storage = (config.get("EphemeralStorage") or {}).get("Size", 512)
    if storage != 512:
        props["EphemeralStorage"] = {"Size": storage}
    variables = (config.get("Environment") or {}).get("Variables") or {}
    if variables:
        props["Environment"] = {"Variables": {k: variables[k] for k in sorted(variables)}}
    layers = [layer["Arn"] for layer in config.get("Layers") or []]
    if layers:
        props["Layers"] = [_layer(template, client, arn) for arn in layers]
    tracing = (config.get("TracingConfig") or {}).get("Mode", "PassThrough")
    if tracing == "Active":
        props["Tracing"] = "Active"
    logging = config.get("LoggingConfig") or {}
    if logging.get("LogFormat") == "JSON":
        props["LoggingConfig"] = {"LogFormat": "JSON"}
        if logging.get("ApplicationLogLevel"):
            props["LoggingConfig"]["ApplicationLogLevel"] = logging["ApplicationLogLevel"]
    reserved = (got.get("Concurrency") or {}).get("ReservedConcurrentExecutions")
    if reserved is not None:
        props["ReservedConcurrentExecutions"] = reserved
    dead_letter = (config.get("DeadLetterConfig") or {}).get("TargetArn")
    if dead_letter:
        kind = "SNS" if ":sns:" in dead_letter else "SQS"
        props["DeadLetterQueue"] = {"Type": kind, "TargetArn": template.target(dead_letter)}
    _async_config(template, client, name, props)
    _versions(template, client, name, props)
    _function_url(template, client, name, props)
    template.resources[logical] = {"Type": "AWS::Serverless::Function", "Properties": props}


def _layer(template: Template, client: Any, arn: str) -> Any:
    """A layer of this account becomes an ``AWS::Serverless::LayerVersion`` with its content
    folder; a layer of another account stays an ARN."""
    parts = arn.split(":")
    if len(parts) != 8 or parts[4] != template.account_id:
        return arn
    name, version = parts[6], int(parts[7])
    try:
        layer = client.get_layer_version(LayerName=name, VersionNumber=version)
    except Exception:
        template.skip(f"layer {arn}: not found in the account; its ARN is kept")
        return arn
    folder = f"layers/{name}"
    template.code[folder] = _download(layer["Content"]["Location"])
    props: dict[str, Any] = {"LayerName": name, "ContentUri": f"{folder}/"}
    if layer.get("CompatibleRuntimes"):
        props["CompatibleRuntimes"] = list(layer["CompatibleRuntimes"])
    if layer.get("CompatibleArchitectures"):
        props["CompatibleArchitectures"] = list(layer["CompatibleArchitectures"])
    if layer.get("Description"):
        props["Description"] = layer["Description"]
    if layer.get("LicenseInfo"):
        props["LicenseInfo"] = layer["LicenseInfo"]
    logical = template.add("layer", name, "Layer", {"Type": "AWS::Serverless::LayerVersion", "Properties": props})
    if version != _latest_layer_version(client, name, version):
        template.skip(f"layer {name}: version {version} is exported as the layer's content (a new deploy numbers it 1)")
    return {"Ref": logical}


def _latest_layer_version(client: Any, name: str, fallback: int) -> int:
    try:
        versions = client.list_layer_versions(LayerName=name)["LayerVersions"]
        return max((v["Version"] for v in versions), default=fallback)
    except Exception:
        return fallback


def _destination(template: Template, arn: str) -> dict[str, Any]:
    kind = _DESTINATION_TYPES.get(arn.split(":")[2] if arn.startswith("arn:") else "lambda", "Lambda")
    return {"Type": kind, "Destination": template.target(arn)}


def _async_config(template: Template, client: Any, name: str, props: dict[str, Any]) -> None:
    try:
        configs = client.list_function_event_invoke_configs(FunctionName=name)["FunctionEventInvokeConfigs"]
    except Exception:
        configs = []
    if not configs and name in template.invoke_configs:
        configs = [template.invoke_configs[name]]
    for config in configs:
        qualifier = config["FunctionArn"].split(":")[7] if config["FunctionArn"].count(":") >= 7 else LATEST
        if qualifier != LATEST:
            template.skip(
                f"{name}: the asynchronous configuration of qualifier {qualifier} (only $LATEST's is exported)"
            )
            continue
        invoke: dict[str, Any] = {}
        if "MaximumRetryAttempts" in config:
            invoke["MaximumRetryAttempts"] = config["MaximumRetryAttempts"]
        if "MaximumEventAgeInSeconds" in config:
            invoke["MaximumEventAgeInSeconds"] = config["MaximumEventAgeInSeconds"]
        destinations = config.get("DestinationConfig") or {}
        wired = {
            key: _destination(template, destinations[key]["Destination"])
            for key in ("OnSuccess", "OnFailure")
            if (destinations.get(key) or {}).get("Destination")
        }
        if wired:
            invoke["DestinationConfig"] = wired
        if invoke:
            props["EventInvokeConfig"] = invoke


def _versions(template: Template, client: Any, name: str, props: dict[str, Any]) -> None:
    """One alias on the newest version becomes ``AutoPublishAlias`` (SAM publishes a version
    on each code change and points the alias at it); the rest is listed as skipped."""
    versions = [v["Version"] for v in client.list_versions_by_function(FunctionName=name)["Versions"]]
    published = sorted(int(v) for v in versions if v != LATEST)
    aliases = client.list_aliases(FunctionName=name)["Aliases"]
    newest = str(published[-1]) if published else None
    chosen = None
    for alias in sorted(aliases, key=lambda a: a["Name"]):
        weights = (alias.get("RoutingConfig") or {}).get("AdditionalVersionWeights") or {}
        if chosen is None and alias["FunctionVersion"] == newest and not weights:
            chosen = alias
        else:
            target = alias["FunctionVersion"] + (f" with weights {weights}" if weights else "")
            template.skip(f"{name}: alias {alias['Name']} -> {target} (a template deploys only the current code)")
    if chosen is not None:
        props["AutoPublishAlias"] = chosen["Name"]
        # A new version is published when the code or any property changes, as publish_version does.
        props["AutoPublishAliasAllProperties"] = True
    older = [str(v) for v in published if str(v) != newest or chosen is None]
    if older:
        template.skip(f"{name}: published versions {', '.join(older)} (a fresh deploy starts at version 1)")
    for (function, qualifier), count in sorted(template.provisioned.items()):
        if function != name:
            continue
        if chosen is not None and qualifier in (chosen["Name"], chosen["FunctionVersion"]):
            props["ProvisionedConcurrencyConfig"] = {"ProvisionedConcurrentExecutions": count}
        else:
            template.skip(f"{name}: provisioned concurrency {count} on {qualifier} (needs the exported alias)")


def _function_url(template: Template, client: Any, name: str, props: dict[str, Any]) -> None:
    try:
        urls = client.list_function_url_configs(FunctionName=name)["FunctionUrlConfigs"]
    except Exception:
        return
    for url in urls:
        qualifier = url["FunctionArn"].split(":")[7] if url["FunctionArn"].count(":") >= 7 else None
        if qualifier not in (None, props.get("AutoPublishAlias")):
            template.skip(f"{name}: the function URL of qualifier {qualifier}")
            continue
        config: dict[str, Any] = {"AuthType": url["AuthType"]}
        if url.get("InvokeMode") and url["InvokeMode"] != "BUFFERED":
            config["InvokeMode"] = url["InvokeMode"]
        if url.get("Cors"):
            config["Cors"] = url["Cors"]
        props["FunctionUrlConfig"] = config
