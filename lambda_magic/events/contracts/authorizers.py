"""API Gateway Lambda authorizers: REST TOKEN and REQUEST authorizers, and HTTP API authorizers.

An authorizer answers with an IAM policy (``principalId`` and
``policyDocument``) that API Gateway evaluates against the request's
``methodArn`` (``routeArn`` for HTTP APIs); an HTTP API authorizer may instead
give a simple ``{isAuthorized, context}`` response.  Raising ``Unauthorized``
gives a 401, any other failure a 500.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from ._common import Verdict, _and_more, _Call, _error_message, _failure, _kind, _optional, _verdict
from .apigateway import _HTTP_ERROR

_EXPLICIT_DENY = {"Message": "User is not authorized to access this resource with an explicit deny"}
_NOT_ALLOWED = {"Message": "User is not authorized to access this resource"}
_CONFIG_ERROR = {"x-amzn-ErrorType": "AuthorizerConfigurationException"}
_POLICY_VERSIONS = ("2012-10-17", "2008-10-17")


def _wildcard(pattern: str, value: str, *, ignore_case: bool = False) -> bool:
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value, re.DOTALL | (re.IGNORECASE if ignore_case else 0)) is not None


def _strings(value: Any) -> list[str] | None:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return list(value)
    return None


def _policy_statements(payload: Any, problems: list[str]) -> list[Mapping[str, Any]]:
    """Validate ``principalId`` and ``policyDocument``; return the well-formed statements."""
    if not isinstance(payload, Mapping):
        problems.append(f"the authorizer returned {_kind(payload)}, not an object with principalId and policyDocument")
        return []
    if "principalId" not in payload:
        problems.append("principalId is missing")
    elif not isinstance(payload["principalId"], str):
        problems.append(f"principalId must be a string, got {_kind(payload['principalId'])}")
    document = payload.get("policyDocument")
    if not isinstance(document, Mapping):
        problems.append(
            "policyDocument is missing"
            if document is None
            else f"policyDocument must be an object, got {_kind(document)}"
        )
        return []
    if document.get("Version") not in _POLICY_VERSIONS:
        problems.append(f'policyDocument.Version must be "2012-10-17", got {document.get("Version")!r}')
    statements = document.get("Statement")
    if not isinstance(statements, list) or not statements:
        problems.append("policyDocument.Statement must be a non-empty list of statements")
        return []
    good = []
    for i, statement in enumerate(statements):
        where = f"Statement[{i}]"
        if not isinstance(statement, Mapping):
            problems.append(f"{where} must be an object, got {_kind(statement)}")
            continue
        before = len(problems)
        if statement.get("Effect") not in ("Allow", "Deny"):
            problems.append(f'{where}.Effect must be "Allow" or "Deny", got {statement.get("Effect")!r}')
        for key in ("Action", "Resource"):
            if _strings(statement.get(key)) is None:
                problems.append(f"{where}.{key} must be a string or a list of strings, got {_kind(statement.get(key))}")
        if len(problems) == before:
            good.append(statement)
    return good


def _evaluate(statements: list[Mapping[str, Any]], arn: str) -> str:
    """``deny``, ``allow`` or ``none``: an explicit Deny wins, else some Allow must match (callers §1.5)."""
    effects = set()
    for statement in statements:
        actions, resources = _strings(statement["Action"]) or [], _strings(statement["Resource"]) or []
        if any(_wildcard(a, "execute-api:Invoke", ignore_case=True) for a in actions) and any(
            _wildcard(r, arn) for r in resources
        ):
            effects.add(statement["Effect"])
    return "deny" if "Deny" in effects else "allow" if "Allow" in effects else "none"


def _context_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else json.dumps(value)


def _config_error(source: str, problems: Sequence[str]) -> Verdict:
    """A REST authorizer failed or answered with a malformed policy: API Gateway answers 500."""
    details = {"authorized": False, "statusCode": 500, "headers": dict(_CONFIG_ERROR), "body": {"message": None}}
    summary = f"API Gateway answers 500 (authorizer configuration error): {_and_more(problems)}"
    return _verdict(source, summary, details, problems)


def _check_authorizer(call: _Call, kind: str) -> Verdict:
    """REST TOKEN and REQUEST Lambda authorizers (event-catalog §D.8; callers §1.4, §1.5).

    Details: ``authorized`` and, when allowed, ``authorizer`` (what the
    integration sees in ``requestContext.authorizer``: ``principalId`` and the
    context with every value as a string); otherwise ``statusCode``,
    ``headers`` and ``body`` of API Gateway's answer to the client.
    """
    source = f"API Gateway Lambda authorizer ({kind})"
    if call.function_error:
        if _error_message(call) == "Unauthorized":
            details = {
                "authorized": False,
                "statusCode": 401,
                "headers": {"x-amzn-ErrorType": "UnauthorizedException"},
                "body": {"message": "Unauthorized"},
            }
            summary = "API Gateway answers 401 Unauthorized (the authorizer raised 'Unauthorized')"
            return _verdict(source, summary, details)
        reason = _failure(call, "the authorizer") + "; only the exact message 'Unauthorized' gives a 401"
        return _config_error(source, [reason])
    payload = call.payload
    problems: list[str] = []
    notes: list[str] = []
    statements = _policy_statements(payload, problems)
    context: Any = None
    if isinstance(payload, Mapping):
        context = _optional(payload, "context", (Mapping,), "an object", problems)
        if isinstance(context, Mapping) and context:
            for key, value in context.items():
                if isinstance(value, (bool, str, int, float)):
                    continue
                problems.append(f"context {key!r} is {_kind(value)}; values must be strings, numbers or booleans")
            if "claims" in context:
                notes.append("the context key 'claims' is reserved by API Gateway")
        _optional(payload, "usageIdentifierKey", (str,), "a string", problems)
    if problems:
        return _config_error(source, problems)
    arn = call.event.get("methodArn")
    authorizer = {"principalId": payload["principalId"], **{k: _context_value(v) for k, v in (context or {}).items()}}
    if not isinstance(arn, str):
        notes.append("the event has no methodArn, so the policy was not evaluated")
        details = {"authorized": None, "authorizer": authorizer}
        summary = "the policy is well formed (no methodArn to evaluate it against)"
        return _verdict(source, summary, details, notes=notes)
    effect = _evaluate(statements, arn)
    if effect == "allow":
        if not any("*" in r for s in statements for r in _strings(s["Resource"]) or []):
            notes.append(
                "API Gateway caches this policy (300 s by default) and checks it against the next methods the caller "
                "uses; a policy that names only this method denies the others while it is cached"
            )
        details = {"authorized": True, "authorizer": authorizer}
        summary = f"API Gateway lets the request through as principal {authorizer['principalId']!r}"
        return _verdict(source, summary, details, notes=notes)
    body = _EXPLICIT_DENY if effect == "deny" else _NOT_ALLOWED
    details = {
        "authorized": False,
        "statusCode": 403,
        "headers": {"x-amzn-ErrorType": "AccessDeniedException"},
        "body": dict(body),
    }
    why = "an explicit Deny matches" if effect == "deny" else "no Allow statement matches"
    return _verdict(source, f"API Gateway answers 403: {why} {arn}", details, notes=notes)


def _http_error(source: str, problems: Sequence[str]) -> Verdict:
    """An HTTP API authorizer failed or answered with a malformed response: API Gateway answers 500."""
    details = {"authorized": False, "statusCode": 500, "headers": {}, "body": dict(_HTTP_ERROR)}
    return _verdict(source, f"API Gateway answers 500 Internal Server Error: {_and_more(problems)}", details, problems)


def _check_authorizer_http(call: _Call) -> Verdict:
    """HTTP API Lambda authorizer: a simple ``{isAuthorized, context}`` response or an IAM policy (callers §1.4, §1.5).

    Denials are 403 ``{"message": "Forbidden"}`` (the reference marks this as
    seen in simulators, not confirmed); errors and malformed answers are 500.
    """
    source = "API Gateway HTTP API Lambda authorizer"
    payload = call.payload
    forbidden = {"authorized": False, "statusCode": 403, "headers": {}, "body": {"message": "Forbidden"}}
    if call.function_error:
        return _http_error(source, [_failure(call, "the authorizer")])
    if isinstance(payload, Mapping) and "isAuthorized" in payload:
        allowed = payload["isAuthorized"]
        if not isinstance(allowed, bool):
            return _http_error(source, [f"isAuthorized must be true or false, got {_kind(allowed)}"])
        if not allowed:
            return _verdict(source, "API Gateway answers 403 Forbidden (isAuthorized is false)", forbidden)
        details = {"authorized": True, "authorizer": {"lambda": payload.get("context") or {}}}
        return _verdict(source, "API Gateway lets the request through (isAuthorized is true)", details)
    problems: list[str] = []
    statements = _policy_statements(payload, problems)
    if problems:
        return _http_error(source, problems)
    arn = call.event.get("routeArn") or call.event.get("methodArn")
    authorizer = {"lambda": payload.get("context") or {}}
    if not isinstance(arn, str):
        details = {"authorized": None, "authorizer": authorizer}
        return _verdict(source, "the policy is well formed (no routeArn to evaluate it against)", details)
    if _evaluate(statements, arn) == "allow":
        details = {"authorized": True, "authorizer": authorizer}
        summary = f"API Gateway lets the request through as principal {payload['principalId']!r}"
        return _verdict(source, summary, details)
    return _verdict(source, f"API Gateway answers 403 Forbidden: the policy does not allow {arn}", forbidden)
