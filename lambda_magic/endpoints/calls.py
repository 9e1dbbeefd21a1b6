"""One API call as an operation handler sees it, and the checks every handler shares:
function names and ARNs (refused when another region or account), lookups with AWS's messages."""

from __future__ import annotations

import base64
import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ..runtime.config import check_function_name
from ..runtime.function import LATEST, Function
from .auth import Credential
from .errors import ApiError

if TYPE_CHECKING:
    from .lambda_api import LambdaAPI

PAGE_MAX = 50  # "returns a maximum of 50 items in each response"


@dataclass
class Call:
    """An operation's parameters, who signed it and, from inside a handler, the calling request."""

    api: LambdaAPI
    operation: str
    params: dict[str, Any]
    credential: Credential
    caller_request_id: str | None = None
    #: The caller is a handler running inline in the kernel.
    caller_inline: bool = False
    #: The request's X-Ray trace header (``X-Amzn-Trace-Id``), if it sent one.
    trace_header: str | None = None

    @property
    def account(self) -> Any:
        return self.api.account

    @property
    def region(self) -> str:
        return self.api.account.settings.region

    @property
    def account_id(self) -> str:
        return self.api.account.settings.account_id

    def arn(self, name: str, qualifier: str | None = None) -> str:
        base = f"arn:aws:lambda:{self.region}:{self.account_id}:function:{name}"
        return base if qualifier is None else f"{base}:{qualifier}"

    def function_name(self, key: str = "FunctionName") -> tuple[str, str | None]:
        """``(name, qualifier)`` from a name, a partial or a full ARN (an ARN may end in ``:qualifier``)."""
        value = self.params.get(key)
        if not value:
            raise ApiError("InvalidParameterValueException", f"{key} is required")
        parts = value.split(":")
        if parts[0] == "arn":
            if len(parts) not in (7, 8) or parts[2] != "lambda" or parts[5] != "function":
                raise ApiError(
                    "InvalidParameterValueException",
                    f"{value} is not a function ARN (arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER])",
                )
            region, account, name, qualifier = parts[3], parts[4], parts[6], parts[7] if len(parts) == 8 else None
        elif len(parts) in (3, 4) and parts[1] == "function":
            region, account, name, qualifier = self.region, parts[0], parts[2], parts[3] if len(parts) == 4 else None
        elif len(parts) <= 2:
            region, account, name, qualifier = (
                self.region,
                self.account_id,
                parts[0],
                parts[1] if len(parts) == 2 else None,
            )
        else:
            raise ApiError("InvalidParameterValueException", f"{key} {value!r} is not a function name or ARN")
        if region != self.region:
            raise ApiError(
                "ResourceNotFoundException",
                f"Functions from '{region}' are not reachable in this region ('{self.region}')",
            )
        if account != self.account_id:
            action = self.operation if self.operation != "Invoke" else "InvokeFunction"
            raise ApiError(
                "AccessDeniedException",
                f"User: arn:aws:sts::{self.account_id}:assumed-role/lambda_magic/local is not authorized "
                f"to perform: lambda:{action} on resource: {value} because no resource-based policy "
                f"allows the lambda:{action} action",
                403,
            )
        check_function_name(name)
        if qualifier is not None and self.params.get("Qualifier") not in (None, qualifier):
            raise ApiError(
                "InvalidParameterValueException",
                "The derived qualifier from the function name does not match the specified qualifier.",
            )
        return name, qualifier if qualifier is not None else self.params.get("Qualifier")

    def function(self, key: str = "FunctionName") -> tuple[Function, str | None]:
        """``($LATEST of the function, qualifier)``, or ResourceNotFoundException as AWS words it."""
        name, qualifier = self.function_name(key)
        latest = self.account.registry.latest(name)
        if latest is None:
            raise ApiError("ResourceNotFoundException", f"Function not found: {self.arn(name, qualifier)}")
        return latest, qualifier

    def version(self, key: str = "FunctionName") -> Function:
        """The version (or alias target) the call names; a missing one is ResourceNotFoundException."""
        latest, qualifier = self.function(key)
        if qualifier in (None, LATEST):
            return latest
        registry = self.account.registry
        if qualifier.isdigit():
            found = {v.version: v for v in registry.versions(latest.name)}.get(qualifier)
        else:
            alias = {a.name: a for a in registry.aliases(latest.name)}.get(qualifier)
            found = None if alias is None else registry.resolve(latest.name, alias.function_version)
        if found is None:
            raise ApiError("ResourceNotFoundException", f"Function not found: {self.arn(latest.name, qualifier)}")
        return found


def revision_id(function: Function) -> str:
    """A stable RevisionId for one revision of one version."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{function.version_arn}#{function.revision}"))


def timestamp(moment: datetime) -> str:
    """Lambda's ``LastModified`` string: ``2026-12-01T18:53:47.123+0000``."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "+0000"


def check_int(call: Call, key: str, low: int, high: int) -> int | None:
    value = call.params.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ApiError(
            "InvalidParameterValueException",
            f"1 validation error detected: Value '{value}' at '{key[0].lower() + key[1:]}' failed to "
            f"satisfy constraint: Member must have value between {low} and {high}",
        )
    return value


def page(call: Call, items: list, key: Any) -> tuple[list, str | None]:
    """One page of ``items`` after ``Marker`` (an opaque token naming the first item of the page)."""
    size = min(check_int(call, "MaxItems", 1, 10_000) or PAGE_MAX, PAGE_MAX)
    start = 0
    marker = call.params.get("Marker")
    if marker:
        try:
            wanted = json.loads(base64.urlsafe_b64decode(marker.encode()))
        except ValueError:
            raise ApiError("InvalidParameterValueException", "Invalid marker") from None
        start = next((i for i, item in enumerate(items) if key(item) >= wanted), len(items))
    chunk = items[start : start + size]
    rest = items[start + size :]
    token = base64.urlsafe_b64encode(json.dumps(key(rest[0])).encode()).decode() if rest else None
    return chunk, token
