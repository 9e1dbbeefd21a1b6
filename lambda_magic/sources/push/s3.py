"""S3 -> Lambda: a bucket's ``LambdaFunctionConfigurations`` invoke the functions, as on AWS.

The bucket's notification configuration in the local cloud *is* the wiring: the moto side
(:mod:`.s3_moto`) reports each event of a Lambda configuration to :meth:`S3Source.notify`,
which builds the record S3 sends (``eventVersion`` 2.1, userIdentity, requestParameters,
responseElements, the bucket's ownerIdentity and ARN, the form-encoded key, size and eTag
where AWS sends them, versionId on versioned buckets, an increasing sequencer) and invokes
asynchronously after the function's resource-based policy allows ``s3.amazonaws.com`` from
the bucket.  At configuration time the moto side asks :meth:`S3Source.validate`, so a
function without the permission is refused as S3 refuses it.

``lm.add_trigger(fn, "s3:BUCKET", events=[...], prefix=..., suffix=..., id=...)`` adds the
permission and a LambdaFunctionConfiguration to the bucket's configuration, as the console does.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from ...common.errors import InvalidParameterValueException
from .base import PushSource, PushSources, Trigger
from .s3_moto import Sequencer, s3_record

if TYPE_CHECKING:
    from ...runtime.function import Function

DEFAULT_EVENTS = ("s3:ObjectCreated:*",)
SETTINGS = ("events", "prefix", "suffix", "id")


class S3Source(PushSource):
    """The ``s3`` push source: bucket notifications to functions."""

    kind = "s3"
    principal = "s3.amazonaws.com"

    def __init__(self, push: PushSources):
        super().__init__(push)
        self.sequencer = Sequencer()
        push.on("s3.notify", self.notify)
        push.on("s3.validate", self.validate)

    def source_arn(self, resource: str) -> str:
        return f"arn:aws:s3:::{resource}"

    # --- what the moto side asks ---------------------------------------------------------------

    def validate(self, payload: dict[str, Any], caller_request_id: str | None) -> dict[str, str]:
        """The destinations S3 cannot validate, by ARN, with the reason S3 gives."""
        refused = {}
        for arn in payload.get("functions", []):
            if not self.push.allowed(arn, self.principal, payload.get("bucket_arn")):
                refused[arn] = f"Not authorized to invoke function [{arn}]"
        return refused

    def notify(self, payload: dict[str, Any], caller_request_id: str | None) -> int:
        """One S3 event for the Lambda configurations it matched; how many were delivered."""
        delivered = 0
        for target in payload.get("targets", []):
            event = {"Records": [self.record(payload, target.get("configuration_id", ""))]}
            invocation = self.push.deliver(
                target["function_arn"],
                event,
                trigger=f"s3:{payload['bucket']}",
                principal=self.principal,
                source_arn=payload.get("bucket_arn") or self.source_arn(payload["bucket"]),
                caused_by=caller_request_id,
            )
            delivered += invocation is not None
        return delivered

    def record(self, payload: dict[str, Any], configuration_id: str) -> dict[str, Any]:
        """The record S3 sends for one event, stamped with the account's clock."""
        return s3_record(
            payload,
            configuration_id,
            account_id=self.account.settings.account_id,
            time_s=self.account.clock.time(),
            sequencer=self.sequencer(),
        )

    # --- lm.add_trigger ------------------------------------------------------------------------

    def add(self, function: Function, resource: str, **settings: Any) -> Trigger:
        """Add the permission and a LambdaFunctionConfiguration (read-modify-write of the bucket's
        notification configuration): ``events`` (default every ObjectCreated event), ``prefix``,
        ``suffix`` and the configuration ``id``."""
        unknown = sorted(set(settings) - set(SETTINGS))
        if unknown:
            raise InvalidParameterValueException(
                f"s3 trigger: unknown setting {', '.join(unknown)}; choose from {', '.join(SETTINGS)}"
            )
        events = settings.get("events") or list(DEFAULT_EVENTS)
        events = [events] if isinstance(events, str) else list(events)
        prefix, suffix = settings.get("prefix"), settings.get("suffix")
        config_id = settings.get("id") or f"lambda-magic-{function.name}-{uuid.uuid4().hex[:8]}"
        s3 = self.account.cloud.client("s3")
        bucket = resource
        from botocore.exceptions import ClientError

        try:
            s3.head_bucket(Bucket=bucket)
        except ClientError:
            raise InvalidParameterValueException(f"s3:{bucket}: the bucket does not exist in this account") from None
        sid = self.push.grant(function, self.kind, self.principal, self.source_arn(bucket))
        entry: dict[str, Any] = {"Id": config_id, "LambdaFunctionArn": function.arn, "Events": events}
        rules = [{"Name": name, "Value": value} for name, value in (("prefix", prefix), ("suffix", suffix)) if value]
        if rules:
            entry["Filter"] = {"Key": {"FilterRules": rules}}
        try:
            configuration = s3.get_bucket_notification_configuration(Bucket=bucket)
            configuration.pop("ResponseMetadata", None)
            configuration.setdefault("LambdaFunctionConfigurations", []).append(entry)
            s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration=configuration)
        except ClientError as exc:
            self._revoke(function, sid)
            error = exc.response.get("Error", {})
            raise InvalidParameterValueException(
                f"s3:{bucket}: {error.get('Code', 'Error')}: {error.get('Message', exc)}"
            ) from None
        return Trigger(
            self.kind,
            bucket,
            function.name,
            settings={
                "events": events,
                **{n: v for n, v in (("prefix", prefix), ("suffix", suffix)) if v},
                "id": config_id,
            },
            source_id=config_id,
            statement_id=sid,
        )

    def _revoke(self, function: Function, sid: str) -> None:
        if self.push.lambda_client is not None:
            try:
                self.push.lambda_client().remove_permission(FunctionName=function.name, StatementId=sid)
            except Exception:
                pass  # the configuration failed; a leftover permission grants no more than asked
