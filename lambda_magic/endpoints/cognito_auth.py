"""Sign-in with Cognito's triggers: password flows, user migration, custom challenges, token claims.

* ``InitiateAuth`` / ``AdminInitiateAuth`` with a password flow (``USER_PASSWORD_AUTH``,
  ``ADMIN_USER_PASSWORD_AUTH``, ``ADMIN_NO_SRP_AUTH``): an unknown user is migrated first
  (``UserMigration_Authentication``, with the password), then ``PreAuthentication_Authentication``;
  on success ``PostAuthentication_Authentication`` and ``TokenGeneration_Authentication``.
* ``REFRESH_TOKEN_AUTH``: ``TokenGeneration_RefreshTokens`` only.
* ``CUSTOM_AUTH``: ``DefineAuthChallenge_Authentication`` decides; for ``CUSTOM_CHALLENGE``,
  ``CreateAuthChallenge_Authentication`` makes the challenge (its public parameters go to the
  client, the private ones only to the verifier); each ``RespondToAuthChallenge`` runs
  ``VerifyAuthChallengeResponse_Authentication``, appends the result to the session and asks
  Define again, until it issues tokens or fails the authentication.

An app client with ``PreventUserExistenceErrors`` ``ENABLED`` hides a missing user: the
triggers see ``userNotFound`` true, the caller gets ``NotAuthorizedException`` (a custom flow
runs its challenges and fails at the end).

moto runs no custom flow, so its tokens are made here (signed with moto's key); the pre
token generation trigger's claims are written into the tokens by :mod:`.cognito_claims`.
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any

from . import cognito_tokens
from .cognito_claims import groups_of as _groups
from .cognito_claims import pre_token_generation as _token_generation
from .cognito_lambda import attributes
from .errors import ApiError

if TYPE_CHECKING:
    from .cognito_idp import CognitoCall

_PASSWORD_FLOWS = ("USER_PASSWORD_AUTH", "ADMIN_USER_PASSWORD_AUTH", "ADMIN_NO_SRP_AUTH")
_REFRESH_FLOWS = ("REFRESH_TOKEN_AUTH", "REFRESH_TOKEN")
_NOT_AUTHORIZED = "Incorrect username or password."


def initiate_auth(call: CognitoCall) -> dict[str, Any]:
    flow = call.params.get("AuthFlow")
    if flow in _PASSWORD_FLOWS:
        return _password_flow(call)
    if flow in _REFRESH_FLOWS:
        result = call.moto(call.operation, **call.params)
        tokens = result.get("AuthenticationResult") or {}
        if tokens.get("IdToken"):
            username = cognito_tokens.claims(tokens["IdToken"]).get("cognito:username", "")
            _token_generation(call, str(username), "TokenGeneration_RefreshTokens", tokens)
        return result
    if flow == "CUSTOM_AUTH":
        return _custom_start(call)
    return call.moto(call.operation, **call.params)  # SRP: no password, so no migration either


def respond_to_auth_challenge(call: CognitoCall) -> dict[str, Any]:
    with call.api.lock:
        state = call.api.sessions.pop(str(call.params.get("Session") or ""), None)
    if state is None:  # a challenge of the local cloud's (NEW_PASSWORD_REQUIRED, MFA)
        result = call.moto(call.operation, **call.params)
        tokens = result.get("AuthenticationResult")
        if tokens and call.params.get("ChallengeName") == "NEW_PASSWORD_REQUIRED":
            username = str(cognito_tokens.claims(tokens["IdToken"]).get("cognito:username", ""))
            _post_authentication(call, username, call.params.get("ClientMetadata"))
            _token_generation(call, username, "TokenGeneration_NewPasswordChallenge", tokens)
        return result
    if call.params.get("ChallengeName") != state["challenge"]:
        raise ApiError("InvalidParameterException", f"ChallengeName must be {state['challenge']} in this session")
    metadata = call.params.get("ClientMetadata")
    answer = (call.params.get("ChallengeResponses") or {}).get("ANSWER")
    request = {
        "userAttributes": state["attributes"],
        "privateChallengeParameters": state["private"],
        "challengeAnswer": answer,
        "userNotFound": state["user_not_found"],
        "clientMetadata": metadata,
    }
    verdict = call.run(
        "VerifyAuthChallengeResponse",
        "VerifyAuthChallengeResponse_Authentication",
        state["username"],
        request,
        response={"answerCorrect": None},
        client_id=state["client_id"],
    )
    correct = bool(verdict and verdict.get("answerCorrect"))
    state["session"].append(
        {"challengeName": state["challenge"], "challengeResult": correct, "challengeMetadata": state["metadata"]}
    )
    return _next_challenge(call, state, metadata)


# --- password flows and migration ----------------------------------------------------------------


def _password_flow(call: CognitoCall) -> dict[str, Any]:
    parameters = call.params.get("AuthParameters") or {}
    username, password = parameters.get("USERNAME", ""), parameters.get("PASSWORD")
    metadata = call.params.get("ClientMetadata")
    hidden = _hides_missing_users(call)
    try:
        user = call.user(username)
    except ApiError as exc:
        if exc.code != "UserNotFoundException":
            raise
        if call.config.get("UserMigration"):
            user = migrate(call, username, password, "UserMigration_Authentication", metadata)
        elif hidden:  # the trigger is told, the caller only hears of a wrong password
            missing: dict[str, Any] = {"userAttributes": {}, "validationData": metadata, "userNotFound": True}
            call.run(
                "PreAuthentication", "PreAuthentication_Authentication", username, missing, client_id=call.client_id
            )
            raise ApiError("NotAuthorizedException", _NOT_AUTHORIZED) from None
        else:
            raise
    request: dict[str, Any] = {"userAttributes": attributes(user), "validationData": metadata}
    if hidden:
        request["userNotFound"] = False
    call.run(
        "PreAuthentication", "PreAuthentication_Authentication", user["Username"], request, client_id=call.client_id
    )
    result = call.moto(call.operation, **call.params)
    tokens = result.get("AuthenticationResult")
    if tokens:
        _post_authentication(call, user["Username"], metadata)
        _token_generation(call, user["Username"], "TokenGeneration_Authentication", tokens)
    return result


def migrate(call: CognitoCall, username: str, password: str | None, source: str, metadata: Any) -> dict[str, Any]:
    """Run the migrate user trigger and create the user it returns (AdminGetUser's answer)."""
    request: dict[str, Any] = {"validationData": None, "clientMetadata": None}
    if password is not None:
        request["password"] = password
        request["validationData"] = metadata
    else:
        request["clientMetadata"] = metadata
    empty = dict.fromkeys(
        ("userAttributes", "finalUserStatus", "messageAction", "desiredDeliveryMediums", "forceAliasCreation")
    )
    answer = call.run("UserMigration", source, username, request, response=empty, client_id=call.client_id) or {}
    given = answer.get("userAttributes") or {}
    created = [{"Name": k, "Value": str(v)} for k, v in given.items() if k not in ("sub", "cognito:user_status")]
    call.moto(
        "AdminCreateUser",
        UserPoolId=call.pool_id,
        Username=username,
        UserAttributes=created,
        MessageAction="SUPPRESS",
        TemporaryPassword=f"Mig-{secrets.token_urlsafe(9)}1a!",
    )
    final = answer.get("finalUserStatus") or "RESET_REQUIRED"
    secret = password if password is not None else f"Mig-{secrets.token_urlsafe(12)}1a!"
    call.moto("AdminSetUserPassword", UserPoolId=call.pool_id, Username=username, Password=secret, Permanent=True)
    if final == "RESET_REQUIRED":
        call.moto("AdminResetUserPassword", UserPoolId=call.pool_id, Username=username)
        if password is not None:
            raise ApiError("PasswordResetRequiredException", "Password reset required for the user")
    return call.user(username)


def _hides_missing_users(call: CognitoCall) -> bool:
    """Whether the app client's ``PreventUserExistenceErrors`` is ``ENABLED``."""
    if not call.client_id:
        return False
    found = call.moto("DescribeUserPoolClient", UserPoolId=call.pool_id, ClientId=call.client_id)
    return found.get("UserPoolClient", {}).get("PreventUserExistenceErrors") == "ENABLED"


# --- custom challenges ---------------------------------------------------------------------------


def _custom_start(call: CognitoCall) -> dict[str, Any]:
    if not call.config.get("DefineAuthChallenge"):
        raise ApiError("InvalidParameterException", "Custom auth lambda trigger is not configured for the user pool.")
    username = (call.params.get("AuthParameters") or {}).get("USERNAME", "")
    try:
        user = call.user(username)
    except ApiError as exc:
        if exc.code != "UserNotFoundException" or not _hides_missing_users(call):
            raise
        user = {"Username": username}  # the challenges go on, and fail at the end, as for a wrong answer
    state = {
        "pool_id": call.pool_id,
        "client_id": call.client_id,
        "username": user["Username"],
        "attributes": attributes(user),
        "user_not_found": "UserStatus" not in user,
        "session": [],
        "challenge": None,
        "private": None,
        "metadata": None,
    }
    return _next_challenge(call, state, None)  # InitiateAuth's ClientMetadata does not reach Define


def _next_challenge(call: CognitoCall, state: dict[str, Any], metadata: Any) -> dict[str, Any]:
    request = {
        "userAttributes": state["attributes"],
        "session": list(state["session"]),
        "userNotFound": state["user_not_found"],
        "clientMetadata": metadata,
    }
    empty = {"challengeName": None, "issueTokens": None, "failAuthentication": None}
    decision = call.run(
        "DefineAuthChallenge",
        "DefineAuthChallenge_Authentication",
        state["username"],
        request,
        response=empty,
        client_id=state["client_id"],
    )
    decision = decision or {}
    if decision.get("failAuthentication"):
        raise ApiError("NotAuthorizedException", _NOT_AUTHORIZED)
    if decision.get("issueTokens"):
        if state["user_not_found"]:
            raise ApiError("NotAuthorizedException", _NOT_AUTHORIZED)
        _post_authentication(call, state["username"], metadata)
        tokens = _mint(call, state)
        _token_generation(call, state["username"], "TokenGeneration_Authentication", tokens)
        return {"ChallengeParameters": {}, "AuthenticationResult": tokens}
    challenge = decision.get("challengeName")
    if challenge != "CUSTOM_CHALLENGE":
        raise ApiError(
            "InvalidParameterException",
            f"lambda_magic's Cognito runs CUSTOM_CHALLENGE rounds only (DefineAuthChallenge asked for {challenge})",
        )
    create_request = {
        "challengeName": challenge,
        "session": list(state["session"]),
        "userAttributes": state["attributes"],
        "userNotFound": state["user_not_found"],
        "clientMetadata": metadata,
    }
    empty = {"publicChallengeParameters": None, "privateChallengeParameters": None, "challengeMetadata": None}
    made = call.run(
        "CreateAuthChallenge",
        "CreateAuthChallenge_Authentication",
        state["username"],
        create_request,
        response=empty,
        client_id=state["client_id"],
    )
    made = made or {}
    state.update(
        challenge=challenge,
        private=made.get("privateChallengeParameters") or {},
        metadata=made.get("challengeMetadata"),
    )
    token = secrets.token_urlsafe(48)
    with call.api.lock:
        call.api.sessions[token] = state
    return {
        "ChallengeName": challenge,
        "Session": token,
        "ChallengeParameters": made.get("publicChallengeParameters") or {},
    }


def _mint(call: CognitoCall, state: dict[str, Any]) -> dict[str, Any]:
    found = state["attributes"]
    extra: dict[str, Any] = {
        k: v for k, v in found.items() if k.startswith("custom:") or k in ("email", "phone_number", "name")
    }
    for flag in ("email_verified", "phone_number_verified"):
        if flag in found:
            extra[flag] = found[flag] == "true"
    groups = _groups(call, state["username"])[0]
    if groups:
        extra["cognito:groups"] = groups
    tokens = cognito_tokens.mint(
        region=call.api.account.settings.region,
        pool_id=state["pool_id"],
        client_id=state["client_id"] or "",
        username=state["username"],
        sub=found.get("sub", ""),
        extra=extra,
    )
    with call.api.lock:
        call.api.minted[tokens["AccessToken"]] = (state["pool_id"], state["username"])
    return tokens


# --- after a successful sign-in ------------------------------------------------------------------


def _post_authentication(call: CognitoCall, username: str, metadata: Any) -> None:
    if not call.config.get("PostAuthentication"):
        return
    user = call.user(username)
    request = {"newDeviceUsed": False, "userAttributes": attributes(user), "clientMetadata": metadata}
    call.run(
        "PostAuthentication", "PostAuthentication_Authentication", user["Username"], request, client_id=call.client_id
    )


OPERATIONS = {
    "InitiateAuth": initiate_auth,
    "AdminInitiateAuth": initiate_auth,
    "RespondToAuthChallenge": respond_to_auth_challenge,
    "AdminRespondToAuthChallenge": respond_to_auth_challenge,
}
