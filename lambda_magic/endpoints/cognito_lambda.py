"""How Cognito calls a user pool's Lambda triggers: the event, the 5-second wait, the errors.

A trigger runs synchronously with the event Cognito sends (``version`` ``"1"``,
``triggerSource``, ``region``, ``userPoolId``, ``userName``, ``callerContext``,
``request`` and an empty ``response``); the function must return the whole event with
its ``response`` filled in.  What the API caller sees when it does not:

* the function raises: ``UserLambdaValidationException``, "PreSignUp failed with error <message>.";
* no answer within 5 seconds (three attempts): ``UnexpectedLambdaException``, "... invocation
  failed due to error Socket timeout while invoking Lambda function.";
* the function is missing, or its resource-based policy does not allow
  ``cognito-idp.amazonaws.com``: ``UnexpectedLambdaException``, "... invocation failed due to
  error AccessDeniedException." (the console adds that permission; an API caller must);
* the answer is not the event (None, a bare dict): ``InvalidLambdaResponseException``.

The answer's ``response`` is checked with the trigger contracts of
:mod:`lambda_magic.events.contracts.cognito_triggers`.
"""

from __future__ import annotations

import concurrent.futures
import json
from collections.abc import Callable, Mapping
from typing import Any

from ..events.contracts import check_response
from ..events.contracts.cognito_triggers import _COGNITO_CHECKS, _Findings
from .errors import ApiError

#: Cognito's own, unchangeable wait for a trigger's answer, and its attempts.
TIMEOUT_S = 5.0
ATTEMPTS = 3
PRINCIPAL = "cognito-idp.amazonaws.com"
#: An SDK-made call without an app client (AdminCreateUser...): Cognito's placeholder.
NO_CLIENT = "CLIENT_ID_NOT_APPLICABLE"

#: LambdaConfig key -> (the trigger's name in Cognito's messages, its contract in ``events.contracts``).
TRIGGERS: dict[str, tuple[str, str]] = {
    "PreSignUp": ("PreSignUp", "pre-sign-up"),
    "PostConfirmation": ("PostConfirmation", "post-confirmation"),
    "PreAuthentication": ("PreAuthentication", "pre-authentication"),
    "PostAuthentication": ("PostAuthentication", "post-authentication"),
    "DefineAuthChallenge": ("DefineAuthChallenge", "define-auth-challenge"),
    "CreateAuthChallenge": ("CreateAuthChallenge", "create-auth-challenge"),
    "VerifyAuthChallengeResponse": ("VerifyAuthChallengeResponse", "verify-auth-challenge-response"),
    "PreTokenGeneration": ("PreTokenGeneration", "pre-token-generation"),
    "UserMigration": ("UserMigration", "user-migration"),
    "CustomMessage": ("CustomMessage", "custom-message"),
}

#: ``allowed(function_arn, principal, source_arn)``: whether a function's policy lets a service invoke it.
Allowed = Callable[[str, str, str], bool]


class TriggerRunner:
    """Runs one account's user pool triggers (the functions its pools' LambdaConfig names)."""

    def __init__(self, account: Any, moto: Callable[..., dict], *, allowed: Allowed | None, timeout: float):
        self.account = account
        self.moto = moto
        self.allowed = allowed
        #: How long Cognito waits for one attempt (5 s on AWS; smaller in tests and demos).
        self.timeout = timeout
        self._pool = concurrent.futures.ThreadPoolExecutor(max_workers=4, thread_name_prefix="lambda_magic-cognito")

    def lambda_config(self, pool_id: str) -> dict[str, Any]:
        """The pool's ``LambdaConfig`` as the local cloud keeps it (``{}`` when none)."""
        pool = self.moto("DescribeUserPool", UserPoolId=pool_id)["UserPool"]
        config = dict(pool.get("LambdaConfig") or {})
        token_config = config.get("PreTokenGenerationConfig") or {}
        if token_config.get("LambdaArn"):
            config.setdefault("PreTokenGeneration", token_config["LambdaArn"])
        return config

    def run(
        self,
        config: Mapping[str, Any],
        key: str,
        source: str,
        *,
        pool_id: str,
        user_name: str,
        request: Mapping[str, Any],
        response: Mapping[str, Any] | None = None,
        client_id: str | None = None,
        version: str = "1",
        caller_request_id: str | None = None,
    ) -> dict[str, Any] | None:
        """Run the ``key`` trigger (None when the pool has none) with ``triggerSource`` ``source``;
        the ``response`` it returned, checked (errors as Cognito answers them)."""
        arn = config.get(key)
        if not arn:
            return None
        name, contract = TRIGGERS[key]
        event = {
            "version": version,
            "triggerSource": source,
            "region": self.account.settings.region,
            "userPoolId": pool_id,
            "userName": user_name,
            "callerContext": {"awsSdkVersion": "aws-sdk-unknown-unknown", "clientId": client_id or NO_CLIENT},
            "request": dict(request),
            "response": dict(response or {}),
        }
        answer = self._invoke(str(arn), event, name, pool_id, caller_request_id, contract)
        if not isinstance(answer, Mapping) or not isinstance(answer.get("response"), Mapping):
            raise ApiError("InvalidLambdaResponseException", "Unrecognizable lambda output")
        found = _Findings()
        _COGNITO_CHECKS[contract](event, answer["response"], found)
        if found.problems:
            raise ApiError("InvalidLambdaResponseException", f"{name}: {'; '.join(found.problems)}")
        return dict(answer["response"])

    def _invoke(
        self, arn: str, event: dict[str, Any], name: str, pool_id: str, caller: str | None, contract: str
    ) -> Any:
        failed = f"{name} invocation failed due to error"
        settings = self.account.settings
        pool_arn = f"arn:aws:cognito-idp:{settings.region}:{settings.account_id}:userpool/{pool_id}"
        try:
            self.account.get_function(arn)
        except Exception:
            raise ApiError("UnexpectedLambdaException", f"{failed} ResourceNotFoundException.") from None
        if self.allowed is not None and not self.allowed(arn, PRINCIPAL, pool_arn):
            raise ApiError("UnexpectedLambdaException", f"{failed} AccessDeniedException.")
        for _attempt in range(ATTEMPTS):
            future = self._pool.submit(
                self.account.invoke,
                arn,
                json.loads(json.dumps(event)),
                trigger=f"cognito-idp:{pool_id}",
                caller_request_id=caller,
            )
            try:
                invocation = future.result(timeout=self.timeout)
            except concurrent.futures.TimeoutError:
                continue  # Cognito tries again; the late answer is dropped
            except Exception as exc:  # throttled, or the function cannot run
                code = getattr(exc, "code", None) or type(exc).__name__
                raise ApiError("UnexpectedLambdaException", f"{failed} {code}.") from None
            invocation.verdict = check_response(
                f"cognito-{contract}", event, invocation.payload, invocation.function_error
            )  # the invocation panel explains what Cognito made of the answer
            if invocation.function_error:
                error = invocation.payload if isinstance(invocation.payload, Mapping) else {}
                message = error.get("errorMessage", invocation.error_message or "")
                raise ApiError("UserLambdaValidationException", f"{name} failed with error {message}.")
            if not invocation.ok:
                raise ApiError("UnexpectedLambdaException", f"{failed} {invocation.error_type or invocation.status}.")
            payload = invocation.payload
            if isinstance(payload, (bytes, bytearray)):
                raise ApiError("UnexpectedLambdaException", f"{failed} Invalid JSON returned by the Lambda function.")
            return payload
        raise ApiError("UnexpectedLambdaException", f"{failed} Socket timeout while invoking Lambda function.")

    def close(self, *, wait: bool = False) -> None:
        """Stop taking trigger calls (``wait``: until the attempts still running end)."""
        self._pool.shutdown(wait=wait, cancel_futures=not wait)


def attributes(user: Mapping[str, Any]) -> dict[str, str]:
    """A user's ``userAttributes`` as a trigger sees them (``AdminGetUser``'s answer): strings,
    with ``cognito:user_status``."""
    found = {a["Name"]: a.get("Value", "") for a in user.get("UserAttributes", [])}
    if user.get("UserStatus"):
        found["cognito:user_status"] = user["UserStatus"]
    return found


def name_values(items: list[Mapping[str, Any]] | None) -> dict[str, str] | None:
    """``[{"Name": n, "Value": v}]`` as ``{n: v}`` (None when absent)."""
    if items is None:
        return None
    return {item["Name"]: item.get("Value", "") for item in items}
