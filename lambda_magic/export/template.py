"""The template being built: its resources, what could not be expressed, and references
from the account's ARNs and names to the resources the template declares."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .naming import arn_name, arn_service, get_att, logical_id, ref

#: ``clients(service)`` -> a boto3 client of the account (``"lambda"``, ``"sqs"``, ``"s3"``...).
Clients = Callable[[str], Any]

SAM_TRANSFORM = "AWS::Serverless-2016-10-31"


@dataclass
class Template:
    """A SAM template under construction (plain dicts, ready for YAML)."""

    clients: Clients
    region: str
    account_id: str
    description: str = "Exported by lambda_magic from a notebook's local account"
    resources: dict[str, dict[str, Any]] = field(default_factory=dict)
    outputs: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: What the template does not express, one line each (also written as a comment block).
    skipped: list[str] = field(default_factory=list)
    #: Function name -> logical id, for every exported function.
    functions: dict[str, str] = field(default_factory=dict)
    #: Code folders to write: path relative to the template -> zip bytes.
    code: dict[str, bytes] = field(default_factory=dict)
    #: Provisioned concurrency the account holds: (function, version) -> environments.
    provisioned: dict[tuple[str, str], int] = field(default_factory=dict)
    #: Asynchronous configurations known outside the Lambda API (shaped as its answers), by function.
    invoke_configs: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: (function, principal) pairs whose permission the template already declares.
    covered: set[tuple[str, str]] = field(default_factory=set)
    _by_key: dict[tuple[str, str], str] = field(default_factory=dict)

    # --- resources -------------------------------------------------------------------------

    def add(self, kind: str, name: str, suffix: str, resource: dict[str, Any]) -> str:
        """Declare ``resource`` once per (kind, name); returns its logical id."""
        key = (kind, name)
        if key in self._by_key:
            return self._by_key[key]
        base = logical_id(name, suffix)
        logical, n = base, 2
        while logical in self.resources:
            logical, n = f"{base}{n}", n + 1
        self.resources[logical] = resource
        self._by_key[key] = logical
        return logical

    def skip(self, what: str) -> None:
        if what not in self.skipped:
            self.skipped.append(what)

    def function_ref(self, arn_or_name: str, attribute: str = "Arn") -> Any:
        """``!GetAtt Fn.Arn`` for an exported function (a qualifier is kept as a suffix);
        other ARNs are returned unchanged."""
        name = arn_or_name.split(":")[6] if arn_or_name.startswith("arn:") else arn_or_name
        qualifier = arn_or_name.split(":")[7] if arn_or_name.count(":") >= 7 else None
        logical = self.functions.get(name)
        if logical is None:
            return arn_or_name
        if qualifier:
            return {"Fn::Sub": f"${{{logical}.Arn}}:{qualifier}"}
        return get_att(logical, attribute) if attribute != "Ref" else ref(logical)

    def check_qualifier(self, function: str, qualifier: str | None, what: str) -> None:
        """SAM wires a function's events to its ``AutoPublishAlias`` when it has one, else to the
        unqualified function: a trigger aimed elsewhere is noted as skipped."""
        props = self.resources.get(self.functions.get(function, ""), {}).get("Properties", {})
        alias = props.get("AutoPublishAlias")
        if qualifier == alias or (qualifier in (None, "$LATEST") and alias is None):
            return
        wired = f"alias {alias}" if alias else "the unqualified function"
        self.skip(f"{what} -> {function}{':' + qualifier if qualifier else ''}: SAM wires it to {wired}")

    # --- the local cloud's resources the functions use ---------------------------------------

    def queue(self, arn: str) -> str:
        """Declare the SQS queue ``arn`` (its name, FIFO, visibility timeout); its logical id."""
        name = arn_name(arn)
        props: dict[str, Any] = {"QueueName": name}
        try:
            sqs = self.clients("sqs")
            url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
            attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        except Exception:
            attrs = {}
        if name.endswith(".fifo"):
            props["FifoQueue"] = True
        for key in ("VisibilityTimeout", "MessageRetentionPeriod", "DelaySeconds"):
            if key in attrs:
                props[key] = int(attrs[key])
        return self.add("sqs", name, "Queue", {"Type": "AWS::SQS::Queue", "Properties": props})

    def topic(self, arn: str) -> str:
        name = arn_name(arn)
        props: dict[str, Any] = {"TopicName": name}
        if name.endswith(".fifo"):
            props["FifoTopic"] = True
        return self.add("sns", name, "Topic", {"Type": "AWS::SNS::Topic", "Properties": props})

    def stream(self, arn: str) -> str:
        name = arn_name(arn)
        props: dict[str, Any] = {"Name": name}
        try:
            summary = self.clients("kinesis").describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
            props["ShardCount"] = int(summary.get("OpenShardCount") or 1)
        except Exception:
            props["ShardCount"] = 1
        return self.add("kinesis", name, "Stream", {"Type": "AWS::Kinesis::Stream", "Properties": props})

    def table(self, name: str) -> str:
        """Declare DynamoDB table ``name`` (keys, billing, stream view type) from the local cloud."""
        props: dict[str, Any] = {"TableName": name, "BillingMode": "PAY_PER_REQUEST"}
        try:
            table = self.clients("dynamodb").describe_table(TableName=name)["Table"]
        except Exception:
            table = {}
        keys = table.get("KeySchema") or [{"AttributeName": "id", "KeyType": "HASH"}]
        props["KeySchema"] = [{"AttributeName": k["AttributeName"], "KeyType": k["KeyType"]} for k in keys]
        key_names = {k["AttributeName"] for k in keys}
        definitions = [d for d in table.get("AttributeDefinitions", []) if d["AttributeName"] in key_names]
        props["AttributeDefinitions"] = definitions or [
            {"AttributeName": k["AttributeName"], "AttributeType": "S"} for k in keys
        ]
        spec = table.get("StreamSpecification") or {}
        if spec.get("StreamEnabled"):
            props["StreamSpecification"] = {"StreamViewType": spec.get("StreamViewType", "NEW_AND_OLD_IMAGES")}
        return self.add("dynamodb", name, "Table", {"Type": "AWS::DynamoDB::Table", "Properties": props})

    def table_stream(self, arn: str) -> Any:
        """``!GetAtt Table.StreamArn`` for a table's stream ARN (``.../table/NAME/stream/LABEL``)."""
        parts = arn.split("/")
        if len(parts) < 4 or parts[2] != "stream":
            return arn
        return get_att(self.table(parts[1]), "StreamArn")

    def bucket(self, name: str) -> str:
        return self.add("s3", name, "Bucket", {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": name}})

    def log_group(self, name: str) -> str:
        props = {"LogGroupName": name}
        return self.add("logs", name, "LogGroup", {"Type": "AWS::Logs::LogGroup", "Properties": props})

    def event_bus(self, name: str) -> Any:
        """The bus name, or ``!Ref`` to a declared custom bus (``default`` is not declared)."""
        if name in ("", "default"):
            return "default"
        logical = self.add("events", name, "Bus", {"Type": "AWS::Events::EventBus", "Properties": {"Name": name}})
        return ref(logical)

    def target(self, arn: str) -> Any:
        """A destination or dead-letter target: a reference to a declared resource when the
        ARN names one of the account's queues, topics, buckets, buses or functions."""
        service = arn_service(arn)
        if service == "sqs":
            return get_att(self.queue(arn), "Arn")
        if service == "sns":
            return ref(self.topic(arn))
        if service == "s3":
            return get_att(self.bucket(arn_name(arn)), "Arn")
        if service == "events" and ":event-bus/" in arn:
            bus = self.event_bus(arn_name(arn))
            return arn if bus == "default" else get_att(bus["Ref"], "Arn")
        if service == "lambda":
            return self.function_ref(arn)
        return arn

    def declare_named(self, values: list[str]) -> None:
        """Declare the tables, buckets and queues of the local cloud that environment values name
        (a function's code reaches them by name), so that the values become references."""
        wanted = set(values)
        readers: list[tuple[str, Any]] = [
            ("dynamodb", lambda: self.clients("dynamodb").list_tables().get("TableNames", [])),
            ("s3", lambda: [b["Name"] for b in self.clients("s3").list_buckets().get("Buckets", [])]),
            ("sqs", lambda: [u.rsplit("/", 1)[-1] for u in self.clients("sqs").list_queues().get("QueueUrls", [])]),
        ]
        for kind, names in readers:
            try:
                found = sorted(wanted & set(names()))
            except Exception:
                continue
            for name in found:
                if kind == "dynamodb":
                    self.table(name)
                elif kind == "s3":
                    self.bucket(name)
                else:
                    self.queue(f"arn:aws:sqs:{self.region}:{self.account_id}:{name}")

    def value(self, text: str) -> Any:
        """An environment value naming a declared resource becomes a reference to it."""
        for (kind, name), logical in self._by_key.items():
            if kind == "sqs" and text == name:
                return get_att(logical, "QueueName")
            if kind == "sqs" and text.startswith("http") and text.endswith(f"/{name}"):
                return ref(logical)  # a queue URL (the local one too)
            if kind in ("sns",) and text.endswith(f":{name}") and text.startswith("arn:"):
                return ref(logical)
            if kind in ("dynamodb", "s3", "kinesis") and text == name:
                return ref(logical)
        return text
