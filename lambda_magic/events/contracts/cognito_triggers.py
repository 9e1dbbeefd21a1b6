"""Cognito User Pool triggers: what each trigger's ``response`` may hold and what it does.

One function per trigger reads the ``response`` the function filled in and
records in a :class:`_Findings` the problems (a malformed response gives
``InvalidLambdaResponseException``), the notes, and the outcome.
:data:`_COGNITO_CHECKS` maps a trigger (a contract suffix) to its function.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ._common import _dig, _kind, _optional

_RESERVED_CLAIMS = frozenset(
    [
        "acr",
        "amr",
        "aud",
        "at_hash",
        "auth_time",
        "azp",
        "cognito:username",
        "exp",
        "iat",
        "identities",
        "iss",
        "jti",
        "nbf",
        "nonce",
        "origin_jti",
        "sub",
        "token_use",
    ]
)
_CHALLENGES = (
    "CUSTOM_CHALLENGE",
    "PASSWORD_VERIFIER",
    "SMS_MFA",
    "SRP_A",
    "DEVICE_SRP_AUTH",
    "DEVICE_PASSWORD_VERIFIER",
    "ADMIN_NO_SRP_AUTH",
)


class _Findings:
    """Problems found in a trigger's ``response``: malformed ones give InvalidLambdaResponseException."""

    def __init__(self) -> None:
        self.problems: list[str] = []
        self.malformed = False
        self.notes: list[str] = []
        self.outcome: dict[str, Any] = {}

    def bad(self, text: str, *, malformed: bool = True) -> None:
        self.problems.append(text)
        self.malformed = self.malformed or malformed

    def typed(self, response: Mapping[str, Any], key: str, kinds: tuple[type, ...], label: str) -> Any:
        """``response[key]``; ``None`` (and a malformed problem) when it is not null and not of ``kinds``."""
        before = len(self.problems)
        value = _optional(response, key, kinds, label, self.problems, where=f"response.{key}")
        if len(self.problems) == before:
            return value
        self.malformed = True
        return None

    def string_map(self, value: Any, where: str) -> None:
        if value is None:
            return
        if not isinstance(value, Mapping) or not all(isinstance(v, str) for v in value.values()):
            self.bad(f"{where} must be an object of strings")

    def string_list(self, value: Any, where: str) -> None:
        if value is not None and not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
            self.bad(f"{where} must be a list of strings")


def _pre_sign_up(event: Mapping[str, Any], response: Mapping[str, Any], found: _Findings) -> None:
    """Pre sign-up: three booleans; autoVerify* needs the attribute (callers §3.3)."""
    names = ("autoConfirmUser", "autoVerifyEmail", "autoVerifyPhone")
    flags = {name: found.typed(response, name, (bool,), "true or false") for name in names}
    attributes = _dig(event, "request", "userAttributes")
    attributes = attributes if isinstance(attributes, Mapping) else {}
    source = str(event.get("triggerSource", ""))
    if source == "PreSignUp_AdminCreateUser":
        found.notes.append("AdminCreateUser ignores autoConfirmUser, autoVerifyEmail and autoVerifyPhone")
        found.outcome.update(user_status="FORCE_CHANGE_PASSWORD", confirmation_code_sent=False, post_confirmation=False)
        return
    for flag, attribute in (("autoVerifyEmail", "email"), ("autoVerifyPhone", "phone_number")):
        if flags[flag] and attributes.get(attribute) in (None, ""):
            found.bad(
                f"{flag} is true but the user has no {attribute} attribute, so the sign-up fails", malformed=False
            )
    confirmed = bool(flags["autoConfirmUser"])
    found.outcome.update(
        user_status="CONFIRMED" if confirmed else "UNCONFIRMED",
        confirmation_code_sent=not confirmed,
        post_confirmation=confirmed,
        email_verified=bool(flags["autoVerifyEmail"]),
        phone_number_verified=bool(flags["autoVerifyPhone"]),
    )
    if not confirmed:
        found.notes.append("autoConfirmUser false does not deny the sign-up; raise an exception to reject it")


def _define_auth_challenge(event: Mapping[str, Any], response: Mapping[str, Any], found: _Findings) -> None:
    name = found.typed(response, "challengeName", (str,), "a string")
    issue = found.typed(response, "issueTokens", (bool,), "true or false")
    fail = found.typed(response, "failAuthentication", (bool,), "true or false")
    if name is not None and name not in _CHALLENGES:
        found.bad(f"response.challengeName {name!r} is not a challenge Cognito knows ({', '.join(_CHALLENGES)})")
    if issue and fail:
        found.bad("issueTokens and failAuthentication are both true")
    elif not issue and not fail and not name:
        found.bad("set challengeName, issueTokens or failAuthentication")
    if fail:
        found.outcome.update(next="fail", exception="NotAuthorizedException")
    elif issue:
        found.outcome.update(next="issue tokens")
        session = _dig(event, "request", "session")
        session = session if isinstance(session, list) else []
        if not any(isinstance(s, Mapping) and s.get("challengeResult") is True for s in session):
            found.notes.append(
                "issueTokens without a successful challenge in request.session: check challengeName "
                "and challengeResult before issuing tokens"
            )
    elif name:
        found.outcome.update(next="challenge", challengeName=name)
        if name == "CUSTOM_CHALLENGE":
            found.outcome["next_trigger"] = "CreateAuthChallenge_Authentication"


def _create_auth_challenge(event: Mapping[str, Any], response: Mapping[str, Any], found: _Findings) -> None:
    found.string_map(response.get("publicChallengeParameters"), "response.publicChallengeParameters")
    found.string_map(response.get("privateChallengeParameters"), "response.privateChallengeParameters")
    found.typed(response, "challengeMetadata", (str,), "a string")
    found.outcome.update(
        ChallengeParameters=response.get("publicChallengeParameters") or {},
        next_trigger="VerifyAuthChallengeResponse_Authentication",
    )


def _verify_auth_challenge(event: Mapping[str, Any], response: Mapping[str, Any], found: _Findings) -> None:
    answer = response.get("answerCorrect")
    if not isinstance(answer, bool):
        found.bad(f"response.answerCorrect must be true or false, got {_kind(answer)}")
    found.outcome.update(challengeResult=answer is True, next_trigger="DefineAuthChallenge_Authentication")


def _claims(found: _Findings, block: Any, where: str, *, strings_only: bool) -> tuple[dict[str, Any], list[str]]:
    if block is None:
        return {}, []
    if not isinstance(block, Mapping):
        found.bad(f"{where} must be an object, got {_kind(block)}")
        return {}, []
    add, suppress = block.get("claimsToAddOrOverride"), block.get("claimsToSuppress")
    if strings_only:
        found.string_map(add, f"{where}.claimsToAddOrOverride")
    elif add is not None and not isinstance(add, Mapping):
        found.bad(f"{where}.claimsToAddOrOverride must be an object")
    found.string_list(suppress, f"{where}.claimsToSuppress")
    add = dict(add) if isinstance(add, Mapping) else {}
    suppress = list(suppress) if isinstance(suppress, list) else []
    reserved = sorted(_RESERVED_CLAIMS.intersection(list(add) + suppress))
    if reserved:
        found.bad(f"{where} changes reserved claims: {', '.join(reserved)}")
    return {k: v for k, v in add.items() if k not in suppress}, suppress


def _pre_token_generation(event: Mapping[str, Any], response: Mapping[str, Any], found: _Findings) -> None:
    """Pre token generation V1 (``claimsOverrideDetails``) and V2/V3 (``claimsAndScopeOverrideDetails``)."""
    groups_block: Any = None
    v1 = found.typed(response, "claimsOverrideDetails", (Mapping,), "an object")
    if v1 is not None:
        added, suppressed = _claims(found, v1, "claimsOverrideDetails", strings_only=True)
        found.outcome["id_token"] = {"added": added, "suppressed": suppressed}
        groups_block = v1
    v2 = found.typed(response, "claimsAndScopeOverrideDetails", (Mapping,), "an object")
    if v2 is not None:
        where = "claimsAndScopeOverrideDetails"
        id_token = v2.get("idTokenGeneration")
        added, suppressed = _claims(found, id_token, f"{where}.idTokenGeneration", strings_only=False)
        for claim in ("email_verified", "phone_number_verified", "updated_at", "address"):
            if isinstance(added.get(claim), (Mapping, list)):
                found.bad(f"{where}.idTokenGeneration cannot set {claim} to a complex value")
        found.outcome["id_token"] = {"added": added, "suppressed": suppressed}
        access = v2.get("accessTokenGeneration")
        a_added, a_suppressed = _claims(found, access, f"{where}.accessTokenGeneration", strings_only=False)
        if isinstance(access, Mapping):
            for key in ("scopesToAdd", "scopesToSuppress"):
                found.string_list(access.get(key), f"{where}.accessTokenGeneration.{key}")
        found.outcome["access_token"] = {"added": a_added, "suppressed": a_suppressed}
        groups_block = v2 if groups_block is None else groups_block
    if isinstance(groups_block, Mapping) and "groupOverrideDetails" in groups_block:
        groups = groups_block["groupOverrideDetails"]
        if groups and not isinstance(groups, Mapping):
            found.bad(f"groupOverrideDetails must be an object, got {_kind(groups)}")
        elif groups:
            found.string_list(groups.get("groupsToOverride"), "groupOverrideDetails.groupsToOverride")
            found.string_list(groups.get("iamRolesToOverride"), "groupOverrideDetails.iamRolesToOverride")
            groups_list = groups.get("groupsToOverride")
            found.outcome["cognito:groups"] = list(groups_list) if isinstance(groups_list, list) else []
        else:
            found.outcome["cognito:groups"] = []
            found.notes.append("an empty groupOverrideDetails removes cognito:groups from both tokens")


def _user_migration(event: Mapping[str, Any], response: Mapping[str, Any], found: _Findings) -> None:
    attributes = response.get("userAttributes")
    if not isinstance(attributes, Mapping) or not attributes:
        found.bad("response.userAttributes is required (an object of strings)")
        attributes = {}
    else:
        found.string_map(attributes, "response.userAttributes")
    status = response.get("finalUserStatus")
    if status not in (None, "CONFIRMED", "RESET_REQUIRED"):
        found.bad(f"response.finalUserStatus must be CONFIRMED or RESET_REQUIRED, got {status!r}")
    action = response.get("messageAction")
    if action not in (None, "SUPPRESS", "RESEND"):
        found.bad(f"response.messageAction must be SUPPRESS or RESEND, got {action!r}")
    media = response.get("desiredDeliveryMediums")
    if media is not None and not (isinstance(media, list) and all(m in ("EMAIL", "SMS") for m in media)):
        found.bad("response.desiredDeliveryMediums must be a list of EMAIL and/or SMS")
    found.typed(response, "forceAliasCreation", (bool,), "true or false")
    found.typed(response, "enableSMSMFA", (bool,), "true or false")
    if event.get("triggerSource") == "UserMigration_ForgotPassword":
        verified = (attributes.get("email") and attributes.get("email_verified") == "true") or (
            attributes.get("phone_number") and attributes.get("phone_number_verified") == "true"
        )
        if not verified:
            found.bad(
                "forgot-password migration needs a verified email or phone_number to send the code", malformed=False
            )
    user_status = "CONFIRMED" if status == "CONFIRMED" else "RESET_REQUIRED"
    found.outcome.update(user_status=user_status, welcome_message=action != "SUPPRESS")
    if user_status == "RESET_REQUIRED" and event.get("triggerSource") == "UserMigration_Authentication":
        found.outcome["exception"] = "PasswordResetRequiredException"
    found.notes.append("Cognito does not apply the pool's password policy to migrated passwords")


def _custom_message(event: Mapping[str, Any], response: Mapping[str, Any], found: _Findings) -> None:
    request = _dig(event, "request")
    request = request if isinstance(request, Mapping) else {}
    code = request.get("codeParameter") or "{####}"
    needed = [code]
    if event.get("triggerSource") == "CustomMessage_AdminCreateUser":
        needed.append(request.get("usernameParameter") or "{username}")
    for key in ("smsMessage", "emailMessage", "emailSubject"):
        found.typed(response, key, (str,), "a string")
    for key in ("smsMessage", "emailMessage"):
        text = response.get(key)
        if isinstance(text, str):
            missing = [p for p in needed if p not in text]
            if missing:
                found.bad(f"response.{key} must contain {' and '.join(missing)}", malformed=False)
    if response.get("emailMessage") is not None or response.get("emailSubject") is not None:
        found.notes.append(
            "emailMessage and emailSubject are used only when the pool sends email through SES "
            "(EmailSendingAccount DEVELOPER); otherwise Cognito answers InvalidLambdaResponseException"
        )
    found.outcome.update({key: response.get(key) for key in ("smsMessage", "emailSubject", "emailMessage")})


def _response_ignored(event: Mapping[str, Any], response: Mapping[str, Any], found: _Findings) -> None:
    found.outcome["response_ignored"] = True


_COGNITO_CHECKS: dict[str, Callable[[Mapping[str, Any], Mapping[str, Any], _Findings], None]] = {
    "pre-sign-up": _pre_sign_up,
    "post-confirmation": _response_ignored,
    "pre-authentication": _response_ignored,
    "post-authentication": _response_ignored,
    "define-auth-challenge": _define_auth_challenge,
    "create-auth-challenge": _create_auth_challenge,
    "verify-auth-challenge-response": _verify_auth_challenge,
    "pre-token-generation": _pre_token_generation,
    "user-migration": _user_migration,
    "custom-message": _custom_message,
}
