"""Whether a function's resource-based policy lets a service invoke it (as Lambda decides).

A push source calls a function only when a statement of the function's policy (the
one ``lambda add_permission`` builds) allows ``lambda:InvokeFunction`` to the
service principal, with its conditions on ``AWS:SourceArn`` and
``AWS:SourceAccount`` met.  The policy of the qualifier invoked is the one checked.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Mapping
from typing import Any

_INVOKE_ACTIONS = {"lambda:InvokeFunction", "lambda:*", "*"}


def _listed(value: Any) -> list[Any]:
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _principal_matches(principal: Any, service: str, account_id: str) -> bool:
    if principal == "*":
        return True
    if not isinstance(principal, Mapping):
        return False
    if service in _listed(principal.get("Service", [])):
        return True
    aws = _listed(principal.get("AWS", []))
    return "*" in aws or account_id in aws or f"arn:aws:iam::{account_id}:root" in aws


def _condition_met(condition: Mapping[str, Any], context: Mapping[str, str | None]) -> bool:
    for operator, tests in condition.items():
        for key, wanted in tests.items():
            have = context.get(key.lower())
            if have is None:
                return False  # a condition on a key the request does not carry fails
            patterns = [str(w) for w in _listed(wanted)]
            if operator in ("ArnLike", "StringLike"):
                ok = any(fnmatch.fnmatchcase(have, p) for p in patterns)
            elif operator in ("ArnEquals", "StringEquals"):
                ok = have in patterns
            else:
                ok = False  # an operator we do not evaluate never grants access
            if not ok:
                return False
    return True


def allows(
    statements: Iterable[Mapping[str, Any]],
    *,
    principal: str,
    account_id: str,
    source_arn: str | None = None,
    source_account: str | None = None,
) -> bool:
    """True when one statement allows ``principal`` (e.g. ``s3.amazonaws.com``) to invoke,
    and no statement denies it."""
    context = {"aws:sourcearn": source_arn, "aws:sourceaccount": source_account}
    allowed = False
    for statement in statements:
        actions = set(_listed(statement.get("Action", [])))
        if not actions & _INVOKE_ACTIONS:
            continue
        if not _principal_matches(statement.get("Principal"), principal, account_id):
            continue
        if not _condition_met(statement.get("Condition", {}), context):
            continue
        if statement.get("Effect", "Allow") == "Deny":
            return False
        allowed = True
    return allowed
