"""Cognito triggers: User Pool triggers (the answer is the event with ``response`` filled in) and Cognito Sync.

A User Pool trigger is picked by contract name or from the event's
``triggerSource``; its ``response`` is checked by :mod:`.cognito_triggers`.
The two sender triggers are invoked asynchronously and their answer ignored.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ._common import Verdict, _and_more, _Call, _error_message, _failure, _kind, _verdict
from .cognito_triggers import _COGNITO_CHECKS, _Findings

_SOURCE = "Cognito User Pool trigger"

_COGNITO_TRIGGERS = {
    # contract suffix: (trigger name in error messages, triggerSource prefix)
    "pre-sign-up": ("PreSignUp", "PreSignUp_"),
    "post-confirmation": ("PostConfirmation", "PostConfirmation_"),
    "pre-authentication": ("PreAuthentication", "PreAuthentication_"),
    "post-authentication": ("PostAuthentication", "PostAuthentication_"),
    "define-auth-challenge": ("DefineAuthChallenge", "DefineAuthChallenge_"),
    "create-auth-challenge": ("CreateAuthChallenge", "CreateAuthChallenge_"),
    "verify-auth-challenge-response": ("VerifyAuthChallengeResponse", "VerifyAuthChallengeResponse_"),
    "pre-token-generation": ("PreTokenGeneration", "TokenGeneration_"),
    "user-migration": ("UserMigration", "UserMigration_"),
    "custom-message": ("CustomMessage", "CustomMessage_"),
    "custom-email-sender": ("CustomEmailSender", "CustomEmailSender_"),
    "custom-sms-sender": ("CustomSMSSender", "CustomSMSSender_"),
}

#: Fragments of a normalised template event name → trigger; the first match wins (see the module docstring).
_COGNITO_FRAGMENTS = (
    ("presignup", "pre-sign-up"),
    ("postconfirmation", "post-confirmation"),
    ("preauthentication", "pre-authentication"),
    ("postauthentication", "post-authentication"),
    ("preauth", "pre-authentication"),
    ("postauth", "post-authentication"),
    ("defineauth", "define-auth-challenge"),
    ("createauth", "create-auth-challenge"),
    ("verifyauth", "verify-auth-challenge-response"),
    ("tokengeneration", "pre-token-generation"),
    ("pretoken", "pre-token-generation"),
    ("usermigration", "user-migration"),
    ("migrateuser", "user-migration"),
    ("migration", "user-migration"),
    ("custommessage", "custom-message"),
    ("customemailsender", "custom-email-sender"),
    ("customsmssender", "custom-sms-sender"),
    ("sync", "sync"),
)

_ENVELOPE = ("version", "triggerSource", "region", "userPoolId", "userName", "callerContext", "request")
_UNRECOGNIZABLE = "InvalidLambdaResponseException"


def _trigger_source(trigger: str) -> str:
    """The verdict source of a User Pool trigger (a contract suffix), e.g. ``Cognito User Pool trigger (PreSignUp)``."""
    return f"{_SOURCE} ({_COGNITO_TRIGGERS[trigger][0]})"


def _is_timeout(call: _Call) -> bool:
    payload = call.payload
    return isinstance(payload, Mapping) and (
        payload.get("errorType") == "Sandbox.Timedout" or "Task timed out" in str(payload.get("errorMessage", ""))
    )


def _not_the_event(payload: Any) -> str:
    return f"the function returned {_kind(payload)}; it must return the event it received"


def _trigger_from_source(trigger_source: Any) -> str | None:
    for key, (_, prefix) in _COGNITO_TRIGGERS.items():
        if isinstance(trigger_source, str) and trigger_source.startswith(prefix):
            return key
    return None


def _check_cognito(call: _Call, trigger: str | None) -> Verdict:
    """Cognito User Pool triggers (event-catalog §C.11, §D.4; callers §3.1, §3.3).

    The function must return the event with ``response`` filled in.  A raised
    error fails the operation with ``UserLambdaValidationException: <Trigger>
    failed with error <message>.`` (a timeout: ``UnexpectedLambdaException``);
    an answer that is not the event gives ``InvalidLambdaResponseException``.

    Details: ``triggerSource``, ``exception`` (what the API caller gets, or
    ``None``), ``message``, ``outcome`` (what the trigger's answer does).
    """
    event = call.event
    trigger = trigger or _trigger_from_source(event.get("triggerSource"))
    if trigger is None:
        problem = f"the event's triggerSource {event.get('triggerSource')!r} names no User Pool trigger"
        return _verdict(_SOURCE, f"cannot check the answer: {problem}", {}, [problem])
    name = _COGNITO_TRIGGERS[trigger][0]
    source = _trigger_source(trigger)
    details: dict[str, Any] = {
        "triggerSource": event.get("triggerSource"),
        "exception": None,
        "message": None,
        "outcome": {},
    }
    if trigger in ("custom-email-sender", "custom-sms-sender"):
        details["outcome"] = {"response_ignored": True}
        if call.function_error:
            reason = _failure(call)
            return _verdict(
                source,
                f"Cognito invokes sender triggers asynchronously: Lambda retries twice, and the "
                f"message is not sent: {reason}",
                details,
                [reason],
            )
        return _verdict(source, "Cognito invokes sender triggers asynchronously and ignores the answer", details)
    if call.function_error:
        if _is_timeout(call):
            details.update(
                exception="UnexpectedLambdaException",
                message=f"{name} invocation failed due to error Socket timeout while invoking Lambda function.",
            )
            details["notes"] = ["Cognito waits 5 s per attempt and makes 3 attempts, so side effects may run 3 times"]
        else:
            details.update(
                exception="UserLambdaValidationException", message=f"{name} failed with error {_error_message(call)}."
            )
        return _verdict(
            source,
            f"Cognito fails the operation: {details['exception']}: {details['message']}",
            details,
            [_failure(call)],
        )
    payload = call.payload
    found = _Findings()
    if not isinstance(payload, Mapping):
        found.bad(_not_the_event(payload))
    else:
        missing = [key for key in _ENVELOPE if key in event and key not in payload]
        if missing:
            found.bad(
                f"the answer is not the event: it lacks {', '.join(missing)}; return the event with response filled in"
            )
        elif payload.get("triggerSource") != event.get("triggerSource") and "triggerSource" in event:
            found.bad("the answer's triggerSource differs from the event's")
        response = payload.get("response")
        if response is not None and not isinstance(response, Mapping):
            found.bad(f"response must be an object, got {_kind(response)}")
        elif "response" not in payload and "response" in event:
            found.bad("the answer has no response object")
        else:
            _COGNITO_CHECKS[trigger](event, response or {}, found)
    details["outcome"] = found.outcome
    exception = found.outcome.pop("exception", None)
    if found.malformed:
        details.update(exception=_UNRECOGNIZABLE, message="Unrecognizable lambda output")
        summary = f"Cognito fails the operation with {_UNRECOGNIZABLE}: {_and_more(found.problems)}"
    elif found.problems:
        summary = f"Cognito fails the operation: {_and_more(found.problems)}"
    elif exception:
        details["exception"] = exception
        summary = f"Cognito accepts the answer; the caller gets {exception}"
    else:
        summary = f"Cognito accepts the answer{_cognito_outcome(trigger, found.outcome)}"
    return _verdict(source, summary, details, found.problems, found.notes)


def _cognito_outcome(trigger: str, outcome: Mapping[str, Any]) -> str:
    if outcome.get("response_ignored"):
        deny = "; raise to deny" if trigger == "pre-authentication" else ""
        return f" (this trigger's response is ignored{deny})"
    if trigger == "pre-sign-up":
        return f": the user is {outcome.get('user_status')}"
    if trigger == "define-auth-challenge":
        if outcome.get("next") == "issue tokens":
            return ": Cognito issues tokens"
        return f": next challenge {outcome.get('challengeName')}"
    if trigger == "verify-auth-challenge-response":
        return f": the answer is {'correct' if outcome.get('challengeResult') else 'wrong'}"
    if trigger == "user-migration":
        return f": the user is migrated as {outcome.get('user_status')}"
    if trigger == "custom-message" and not any(outcome.values()):
        return ": Cognito sends its default messages"
    return ""


def _check_cognito_sync(call: _Call) -> Verdict:
    """Cognito Sync (legacy): return the event, optionally with ``datasetRecords`` changed (event-catalog §D.4)."""
    source = "Cognito Sync trigger"
    if call.function_error:
        reason = _failure(call)
        return _verdict(source, f"the sync fails: {reason}", {"datasetRecords": None}, [reason])
    payload, problems = call.payload, []
    records = payload.get("datasetRecords") if isinstance(payload, Mapping) else None
    if not isinstance(payload, Mapping):
        problems.append(_not_the_event(payload))
    elif not isinstance(records, Mapping):
        problems.append("the answer has no datasetRecords object; return the event")
    else:
        for key, record in records.items():
            if not isinstance(record, Mapping) or record.get("op") not in ("replace", "remove"):
                problems.append(f'datasetRecords {key!r} needs op "replace" or "remove"')
        if not problems:
            return _verdict(source, f"Cognito Sync stores {len(records)} record(s)", {"datasetRecords": dict(records)})
    return _verdict(source, f"the sync fails: {_and_more(problems)}", {"datasetRecords": None}, problems)
