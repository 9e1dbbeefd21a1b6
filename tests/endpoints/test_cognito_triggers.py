"""Cognito user pool triggers through boto3: the front on cognito-idp runs the pool's functions
with Cognito's events and honours their answers (sign-up, confirmation, user creation, messages,
errors); the local cloud keeps the users."""

from __future__ import annotations

import pytest
from botocore.config import Config

from lambda_magic.endpoints.cognito_idp import ENDPOINT_VARIABLE, CognitoIdpAPI
from lambda_magic.endpoints.lambda_api import LambdaAPI
from lambda_magic.sources.push import PushSources

from .cognito_helpers import AUTO_CONFIRM, MESSAGE, PASSWORD, RECORD, Pool
from .cognito_helpers import error as _error


@pytest.fixture
def lambda_api(account):
    return LambdaAPI.of(account)


@pytest.fixture
def push(account, lambda_api):
    return PushSources.of(account, policy=lambda_api.policy, lambda_client=lambda_api.client)


@pytest.fixture
def api(account, push):
    return CognitoIdpAPI.of(account, allowed=push.allowed)


@pytest.fixture
def idp(api):
    return api.client(config=Config(retries={"total_max_attempts": 1}))


@pytest.fixture
def pool(account, lambda_api, idp):
    return Pool(account, lambda_api, idp)


def test_the_front_is_the_services_endpoint_for_environments(account, api):
    assert account.endpoints.environment()[ENDPOINT_VARIABLE] == f"http://127.0.0.1:{api.server.preferred_port}"


def test_pre_sign_up_auto_confirms_and_post_confirmation_runs_once(pool):
    pool.trigger("PreSignUp", "presignup", AUTO_CONFIRM)
    pool.trigger("PostConfirmation", "postconfirm", RECORD)
    pool.trigger("CustomMessage", "message", MESSAGE)

    answer = pool.sign_up("ada", "ada@example.com")

    assert answer["UserConfirmed"] is True
    user = pool.idp.admin_get_user(UserPoolId=pool.id, Username="ada")
    assert user["UserStatus"] == "CONFIRMED"
    assert {"Name": "email_verified", "Value": "true"} in user["UserAttributes"]
    (event,) = pool.events("presignup")
    assert event["version"] == "1"
    assert event["triggerSource"] == "PreSignUp_SignUp"
    assert event["userPoolId"] == pool.id
    assert event["userName"] == "ada"
    assert event["callerContext"]["clientId"] == pool.client_id
    assert event["request"]["userAttributes"] == {"email": "ada@example.com"}
    assert event["response"] == {"autoConfirmUser": False, "autoVerifyEmail": False, "autoVerifyPhone": False}
    (confirmed,) = pool.events("postconfirm")
    assert confirmed["triggerSource"] == "PostConfirmation_ConfirmSignUp"
    assert confirmed["request"]["userAttributes"]["cognito:user_status"] == "CONFIRMED"
    assert confirmed["request"]["userAttributes"]["sub"] == next(
        a["Value"] for a in user["UserAttributes"] if a["Name"] == "sub"
    )
    assert pool.events("message") == []  # no confirmation code is sent to an auto-confirmed user
    (record,) = pool.account.invocation_records("presignup")
    assert record.trigger == f"cognito-idp:{pool.id}"
    assert record.verdict.ok and record.verdict.details["outcome"]["user_status"] == "CONFIRMED"


def test_a_raising_pre_sign_up_rejects_the_sign_up(pool):
    pool.trigger("PreSignUp", "presignup", AUTO_CONFIRM)

    with pytest.raises(pool.idp.exceptions.UserLambdaValidationException) as excinfo:
        pool.sign_up("eve", "eve@blocked.example")

    assert _error(excinfo)[1] == "PreSignUp failed with error Registration from this domain is not allowed."
    with pytest.raises(pool.idp.exceptions.UserNotFoundException):
        pool.idp.admin_get_user(UserPoolId=pool.id, Username="eve")


def test_without_the_permission_cognito_cannot_invoke_the_trigger(pool):
    pool.trigger("PreSignUp", "presignup", AUTO_CONFIRM, permit=False)

    with pytest.raises(pool.idp.exceptions.UnexpectedLambdaException) as excinfo:
        pool.sign_up("ada", "ada@example.com")

    assert _error(excinfo)[1] == "PreSignUp invocation failed due to error AccessDeniedException."
    assert pool.events("presignup") == []


def test_auto_verify_email_without_an_email_fails_the_sign_up(pool):
    pool.trigger("PreSignUp", "presignup", AUTO_CONFIRM)

    with pytest.raises(pool.idp.exceptions.InvalidLambdaResponseException) as excinfo:
        pool.idp.sign_up(ClientId=pool.client_id, Username="nomail", Password=PASSWORD)

    assert "autoVerifyEmail is true but the user has no email attribute" in _error(excinfo)[1]
    with pytest.raises(pool.idp.exceptions.UserNotFoundException):
        pool.idp.admin_get_user(UserPoolId=pool.id, Username="nomail")


def test_a_handler_that_returns_nothing_is_an_unrecognizable_answer(pool):
    pool.trigger("PreSignUp", "presignup", "def lambda_handler(event, context):\n    return None\n")

    with pytest.raises(pool.idp.exceptions.InvalidLambdaResponseException) as excinfo:
        pool.sign_up("ada", "ada@example.com")

    assert _error(excinfo)[1] == "Unrecognizable lambda output"
    (record,) = pool.account.invocation_records("presignup")
    assert not record.verdict.ok


def test_sign_up_without_auto_confirm_sends_the_custom_message_and_confirm_fires_post_confirmation(pool, api):
    pool.trigger("CustomMessage", "message", MESSAGE)
    pool.trigger("PostConfirmation", "postconfirm", RECORD)

    assert pool.sign_up("bob", "bob@example.com")["UserConfirmed"] is False
    (event,) = pool.events("message")
    assert event["triggerSource"] == "CustomMessage_SignUp"
    assert event["request"]["codeParameter"] == "{####}"
    (sent,) = api.messages
    assert sent["emailSubject"] == "Welcome"
    assert sent["smsMessage"] == f"Your code is {sent['code']}"
    assert pool.events("postconfirm") == []

    pool.idp.confirm_sign_up(ClientId=pool.client_id, Username="bob", ConfirmationCode=sent["code"])

    (confirmed,) = pool.events("postconfirm")
    assert confirmed["triggerSource"] == "PostConfirmation_ConfirmSignUp"


def test_admin_create_user_ignores_the_pre_sign_up_flags(pool, api):
    pool.trigger("PreSignUp", "presignup", AUTO_CONFIRM)
    pool.trigger("PostConfirmation", "postconfirm", RECORD)
    pool.trigger("CustomMessage", "message", MESSAGE.replace('" + code', '" + code + " for " + "{username}"'))

    created = pool.idp.admin_create_user(
        UserPoolId=pool.id, Username="carol", UserAttributes=[{"Name": "email", "Value": "carol@example.com"}]
    )

    assert created["User"]["UserStatus"] == "FORCE_CHANGE_PASSWORD"
    (event,) = pool.events("presignup")
    assert event["triggerSource"] == "PreSignUp_AdminCreateUser"
    assert event["callerContext"]["clientId"] == "CLIENT_ID_NOT_APPLICABLE"
    (message,) = pool.events("message")
    assert message["triggerSource"] == "CustomMessage_AdminCreateUser"
    assert message["request"]["usernameParameter"] == "{username}"
    assert api.messages[0]["smsMessage"].endswith("for carol")
    assert pool.events("postconfirm") == []


def test_changing_the_email_sends_the_custom_message(pool):
    pool.trigger("PreSignUp", "presignup", AUTO_CONFIRM)
    pool.sign_up("ada", "ada@example.com")
    pool.trigger("CustomMessage", "message", MESSAGE)

    pool.idp.admin_update_user_attributes(
        UserPoolId=pool.id, Username="ada", UserAttributes=[{"Name": "email", "Value": "ada@new.example"}]
    )
    pool.idp.admin_update_user_attributes(
        UserPoolId=pool.id, Username="ada", UserAttributes=[{"Name": "name", "Value": "Ada"}]
    )

    (event,) = pool.events("message")
    assert event["triggerSource"] == "CustomMessage_UpdateUserAttribute"
    assert event["request"]["userAttributes"]["email"] == "ada@new.example"


def test_admin_create_user_fails_when_the_message_lacks_the_username(pool):
    pool.trigger("CustomMessage", "message", MESSAGE)

    with pytest.raises(pool.idp.exceptions.InvalidLambdaResponseException):
        pool.idp.admin_create_user(UserPoolId=pool.id, Username="carol")

    with pytest.raises(pool.idp.exceptions.UserNotFoundException):
        pool.idp.admin_get_user(UserPoolId=pool.id, Username="carol")


def test_password_recovery_sends_the_custom_message_and_confirms(pool, api):
    pool.trigger("PreSignUp", "presignup", AUTO_CONFIRM)
    pool.sign_up("ada", "ada@example.com")
    pool.trigger("CustomMessage", "message", MESSAGE)
    pool.trigger("PostConfirmation", "postconfirm", RECORD)

    pool.idp.forgot_password(ClientId=pool.client_id, Username="ada")
    (sent,) = api.messages
    pool.idp.confirm_forgot_password(
        ClientId=pool.client_id, Username="ada", ConfirmationCode=sent["code"], Password="N3w-Passw0rd!"
    )

    assert [e["triggerSource"] for e in pool.events("message")] == ["CustomMessage_ForgotPassword"]
    assert [e["triggerSource"] for e in pool.events("postconfirm")] == ["PostConfirmation_ConfirmForgotPassword"]
    assert sent["destination"] == "ada@example.com"
    assert "AuthenticationResult" in pool.sign_in("ada", "N3w-Passw0rd!")


def test_a_slow_trigger_is_tried_three_times_then_cognito_gives_up(account, push, lambda_api):
    api = CognitoIdpAPI.of(account, allowed=push.allowed, timeout=0.5)
    idp = api.client(config=Config(retries={"total_max_attempts": 1}))
    pool = Pool(account, lambda_api, idp)
    pool.trigger(
        "PreSignUp", "slow", "import time\n\ndef lambda_handler(event, context):\n    time.sleep(2)\n    return event\n"
    )

    with pytest.raises(idp.exceptions.UnexpectedLambdaException) as excinfo:
        pool.sign_up("ada", "ada@example.com")

    assert (
        _error(excinfo)[1] == "PreSignUp invocation failed due to error Socket timeout while invoking Lambda function."
    )
    api.triggers.close(wait=True)  # the late attempts finish; Cognito dropped their answers
    assert [inv.event["triggerSource"] for inv in account.invocation_records("slow")] == ["PreSignUp_SignUp"] * 3
    with pytest.raises(idp.exceptions.UserNotFoundException):
        idp.admin_get_user(UserPoolId=pool.id, Username="ada")


def test_pools_without_triggers_are_the_local_clouds_own(pool):
    pool.sign_up("dan", "dan@example.com")

    with pytest.raises(pool.idp.exceptions.UserNotConfirmedException):
        pool.sign_in("dan")


SIGN_UP_FROM_A_HANDLER = """
import boto3


def lambda_handler(event, context):
    idp = boto3.client("cognito-idp")
    answer = idp.sign_up(ClientId=event["client"], Username="hal", Password="Passw0rd!Passw0rd",
                         UserAttributes=[{"Name": "email", "Value": "hal@example.com"}])
    pool = event["pool"]
    idp.admin_create_user(UserPoolId=pool, Username="hal2", MessageAction="SUPPRESS")
    return answer["UserConfirmed"]
"""


def test_a_handlers_boto3_client_goes_through_the_front(pool):
    pool.trigger("PreSignUp", "presignup", AUTO_CONFIRM)
    pool.account.register("registrar", SIGN_UP_FROM_A_HANDLER, timeout_s=60)

    invocation = pool.account.invoke("registrar", {"client": pool.client_id, "pool": pool.id})

    assert invocation.payload is True
    signed_up, created = pool.account.invocation_records("presignup")
    assert (signed_up.event["triggerSource"], signed_up.event["userName"]) == ("PreSignUp_SignUp", "hal")
    assert (created.event["triggerSource"], created.event["userName"]) == ("PreSignUp_AdminCreateUser", "hal2")
    # AdminCreateUser is signed with the environment's credentials: the trigger ran because of this invocation
    # (SignUp is not signed on AWS either, so nothing says who called it)
    assert created.caller_request_id == invocation.request_id


def test_a_function_that_times_out_is_a_failed_trigger(pool):
    slow = "import time\n\ndef lambda_handler(event, context):\n    time.sleep(3)\n    return event\n"
    pool.trigger("PreSignUp", "late", slow, timeout_s=1)

    with pytest.raises(pool.idp.exceptions.UserLambdaValidationException) as excinfo:
        pool.sign_up("ada", "ada@example.com")

    assert _error(excinfo)[1].startswith("PreSignUp failed with error ")
    assert "Task timed out after 1.00 seconds" in _error(excinfo)[1]


def test_lm_client_is_the_front_on_the_default_account():
    import lambda_magic as lm

    lm.reset()
    try:
        idp = lm.client("cognito-idp")
        front = CognitoIdpAPI.of(lm.account())
        assert idp.meta.endpoint_url == front.url
        assert lm.account().endpoints.environment()[ENDPOINT_VARIABLE] == front.url
        lm.reset()  # the pools go with everything else; the address stays
        assert lm.client("cognito-idp").meta.endpoint_url == idp.meta.endpoint_url
    finally:
        lm.reset()
        lm.account().shutdown()
