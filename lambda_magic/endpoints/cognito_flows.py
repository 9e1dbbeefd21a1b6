"""Sign-up, confirmation, user creation and password recovery, with the triggers Cognito fires.

Which call fires which trigger (callers reference §3.2), in order:

* ``SignUp``: ``PreSignUp_SignUp``; auto-confirmed: ``PostConfirmation_ConfirmSignUp`` at once,
  otherwise ``CustomMessage_SignUp`` (the confirmation code);
* ``ConfirmSignUp``, ``AdminConfirmSignUp``: ``PostConfirmation_ConfirmSignUp``;
* ``AdminCreateUser``: ``PreSignUp_AdminCreateUser`` (its flags are ignored), then
  ``CustomMessage_AdminCreateUser`` (the temporary password), never a post confirmation;
* ``ResendConfirmationCode``: ``CustomMessage_ResendCode``;
* ``AdminUpdateUserAttributes`` changing the email or phone number: ``CustomMessage_UpdateUserAttribute``;
* ``ForgotPassword``: an unknown user is migrated (``UserMigration_ForgotPassword``), then
  ``CustomMessage_ForgotPassword``; ``ConfirmForgotPassword``: ``PostConfirmation_ConfirmForgotPassword``.

The work itself (the user, its status, its attributes) is done in the local cloud.
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any

from .cognito_lambda import attributes, name_values
from .errors import ApiError

if TYPE_CHECKING:
    from .cognito_idp import CognitoCall

_CODE = "{####}"
_USERNAME = "{username}"


def sign_up(call: CognitoCall) -> dict[str, Any]:
    params = call.params
    username = params.get("Username", "")
    request = {
        "userAttributes": name_values(params.get("UserAttributes")) or {},
        "validationData": name_values(params.get("ValidationData")),
        "clientMetadata": params.get("ClientMetadata"),
    }
    flags = {"autoConfirmUser": False, "autoVerifyEmail": False, "autoVerifyPhone": False}
    answer = call.run("PreSignUp", "PreSignUp_SignUp", username, request, response=flags, client_id=call.client_id)
    answer = answer or {}
    result = call.moto("SignUp", **params)
    verified = [
        {"Name": f"{attribute}_verified", "Value": "true"}
        for flag, attribute in (("autoVerifyEmail", "email"), ("autoVerifyPhone", "phone_number"))
        if answer.get(flag)
    ]
    if verified:
        call.moto("AdminUpdateUserAttributes", UserPoolId=call.pool_id, Username=username, UserAttributes=verified)
    if answer.get("autoConfirmUser"):
        call.moto("AdminConfirmSignUp", UserPoolId=call.pool_id, Username=username)
        result["UserConfirmed"] = True
        result.pop("CodeDeliveryDetails", None)
        post_confirmation(call, username, "PostConfirmation_ConfirmSignUp", params.get("ClientMetadata"))
    else:
        custom_message(call, username, "CustomMessage_SignUp", params.get("ClientMetadata"))
    return result


def confirm_sign_up(call: CognitoCall) -> dict[str, Any]:
    result = call.moto(call.operation, **call.params)
    username = call.params.get("Username", "")
    post_confirmation(call, username, "PostConfirmation_ConfirmSignUp", call.params.get("ClientMetadata"))
    return result


def admin_create_user(call: CognitoCall) -> dict[str, Any]:
    params = call.params
    username = params.get("Username", "")
    request = {
        "userAttributes": name_values(params.get("UserAttributes")) or {},
        "validationData": name_values(params.get("ValidationData")),
        "clientMetadata": params.get("ClientMetadata"),
    }
    flags = {"autoConfirmUser": False, "autoVerifyEmail": False, "autoVerifyPhone": False}
    call.run("PreSignUp", "PreSignUp_AdminCreateUser", username, request, response=flags)  # flags ignored
    if params.get("MessageAction") != "SUPPRESS" and not params.get("TemporaryPassword"):
        params = {**params, "TemporaryPassword": _temporary_password()}
    result = call.moto("AdminCreateUser", **params)
    if params.get("MessageAction") != "SUPPRESS":
        try:
            custom_message(
                call,
                username,
                "CustomMessage_AdminCreateUser",
                params.get("ClientMetadata"),
                password=params.get("TemporaryPassword"),
            )
        except ApiError:  # the message could not be made: the call fails, and no user is left behind
            call.moto("AdminDeleteUser", UserPoolId=call.pool_id, Username=username)
            raise
    return result


def resend_confirmation_code(call: CognitoCall) -> dict[str, Any]:
    result = call.moto("ResendConfirmationCode", **call.params)
    custom_message(call, call.params.get("Username", ""), "CustomMessage_ResendCode", call.params.get("ClientMetadata"))
    return result


def forgot_password(call: CognitoCall) -> dict[str, Any]:
    from .cognito_auth import migrate

    username = call.params.get("Username", "")
    metadata = call.params.get("ClientMetadata")
    try:
        call.user(username)
    except ApiError as exc:
        if exc.code != "UserNotFoundException" or not call.config.get("UserMigration"):
            raise
        migrate(call, username, None, "UserMigration_ForgotPassword", metadata)
    result = call.moto("ForgotPassword", **call.params)
    custom_message(call, username, "CustomMessage_ForgotPassword", metadata)
    return result


def confirm_forgot_password(call: CognitoCall) -> dict[str, Any]:
    result = call.moto("ConfirmForgotPassword", **call.params)
    username = call.params.get("Username", "")
    post_confirmation(call, username, "PostConfirmation_ConfirmForgotPassword", call.params.get("ClientMetadata"))
    return result


def admin_update_user_attributes(call: CognitoCall) -> dict[str, Any]:
    result = call.moto("AdminUpdateUserAttributes", **call.params)
    changed = name_values(call.params.get("UserAttributes")) or {}
    if "email" in changed or "phone_number" in changed:  # a code goes to the new address
        username = call.params.get("Username", "")
        custom_message(call, username, "CustomMessage_UpdateUserAttribute", call.params.get("ClientMetadata"))
    return result


# --- the triggers these calls share ------------------------------------------------------------


def post_confirmation(call: CognitoCall, username: str, source: str, metadata: Any) -> None:
    if not call.config.get("PostConfirmation"):
        return
    user = call.user(username)
    request = {"userAttributes": attributes(user), "clientMetadata": metadata}
    call.run("PostConfirmation", source, user["Username"], request, client_id=call.client_id)


def custom_message(
    call: CognitoCall, username: str, source: str, metadata: Any, *, password: str | None = None
) -> dict[str, Any] | None:
    """Run the custom message trigger and record what Cognito would send (in ``api.messages``)."""
    if not call.config.get("CustomMessage"):
        return None
    user = call.user(username)
    request: dict[str, Any] = {"userAttributes": attributes(user), "codeParameter": _CODE, "clientMetadata": metadata}
    if source == "CustomMessage_AdminCreateUser":
        request["usernameParameter"] = _USERNAME
    empty = {"smsMessage": None, "emailMessage": None, "emailSubject": None}
    answer = call.run("CustomMessage", source, user["Username"], request, response=empty, client_id=call.client_id)
    if answer is None:
        return None
    code = password if password is not None else f"{secrets.randbelow(10**6):06d}"
    message = {
        "userPoolId": call.pool_id,
        "userName": user["Username"],
        "triggerSource": source,
        "code": code,
        "destination": attributes(user).get("email") or attributes(user).get("phone_number"),
    }
    for key in ("smsMessage", "emailMessage", "emailSubject"):
        text = answer.get(key)
        message[key] = text.replace(_CODE, code).replace(_USERNAME, user["Username"]) if isinstance(text, str) else None
    with call.api.lock:
        call.api.messages.append(message)
    return message


def _temporary_password() -> str:
    return f"Tmp-{secrets.token_urlsafe(9)}1a!"


OPERATIONS = {
    "SignUp": sign_up,
    "ConfirmSignUp": confirm_sign_up,
    "AdminConfirmSignUp": confirm_sign_up,
    "AdminCreateUser": admin_create_user,
    "ResendConfirmationCode": resend_confirmation_code,
    "ForgotPassword": forgot_password,
    "ConfirmForgotPassword": confirm_forgot_password,
    "AdminUpdateUserAttributes": admin_update_user_attributes,
}
