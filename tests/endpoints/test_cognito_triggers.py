"""Cognito user pool triggers through boto3: the front on cognito-idp runs the pool's functions
with Cognito's events and honours their answers; the local cloud keeps the users and issues the tokens."""

from __future__ import annotations

import jwt
import pytest
from botocore.config import Config

from lambda_magic.endpoints.cognito_idp import ENDPOINT_VARIABLE, CognitoIdpAPI
from lambda_magic.endpoints.lambda_api import LambdaAPI
from lambda_magic.sources.push import PushSources

PASSWORD = "Passw0rd!Passw0rd"

AUTO_CONFIRM = """
def lambda_handler(event, context):
    if event["request"]["userAttributes"].get("email", "").endswith("@blocked.example"):
        raise Exception("Registration from this domain is not allowed")
    event["response"]["autoConfirmUser"] = True
    event["response"]["autoVerifyEmail"] = True
    return event
"""

RECORD = """
def lambda_handler(event, context):
    return event
"""

ADD_CLAIM = """
def lambda_handler(event, context):
    event["response"]["claimsOverrideDetails"] = {
        "claimsToAddOrOverride": {"tier": "gold", "y": "1"},
        "claimsToSuppress": ["y"],
        "groupOverrideDetails": {"groupsToOverride": ["admins"]},
    }
    return event
"""

MIGRATE = """
def lambda_handler(event, context):
    if event["userName"] != "legacy" or event["request"].get("password", "secret-Old1!") != "secret-Old1!":
        raise Exception("Bad password")
    event["response"]["userAttributes"] = {"email": "legacy@example.com", "email_verified": "true"}
    event["response"]["finalUserStatus"] = "CONFIRMED"
    event["response"]["messageAction"] = "SUPPRESS"
    return event
"""

DEFINE = """
def lambda_handler(event, context):
    session = event["request"]["session"]
    if session and session[-1]["challengeResult"]:
        event["response"].update(issueTokens=True, failAuthentication=False)
    elif len(session) >= 2:
        event["response"].update(issueTokens=False, failAuthentication=True)
    else:
        event["response"].update(challengeName="CUSTOM_CHALLENGE", issueTokens=False, failAuthentication=False)
    return event
"""

CREATE = """
def lambda_handler(event, context):
    event["response"]["publicChallengeParameters"] = {"question": "2 + 3?"}
    event["response"]["privateChallengeParameters"] = {"answer": "5"}
    event["response"]["challengeMetadata"] = "ARITHMETIC"
    return event
"""

VERIFY = """
def lambda_handler(event, context):
    expected = event["request"]["privateChallengeParameters"]["answer"]
    event["response"]["answerCorrect"] = event["request"]["challengeAnswer"] == expected
    return event
"""

MESSAGE = """
def lambda_handler(event, context):
    code = event["request"]["codeParameter"]
    event["response"]["smsMessage"] = "Your code is " + code
    event["response"]["emailSubject"] = "Welcome"
    event["response"]["emailMessage"] = "Hello, your code is " + code
    return event
"""


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


class Pool:
    """A user pool with an app client, its triggers wired as the console does (with the permission)."""

    def __init__(self, account, lambda_api, idp, **pool_options):
        self.account, self.lambda_api, self.idp = account, lambda_api, idp
        self.id = idp.create_user_pool(PoolName="students", **pool_options)["UserPool"]["Id"]
        self.client_id = idp.create_user_pool_client(
            UserPoolId=self.id,
            ClientName="app",
            ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_CUSTOM_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        )["UserPoolClient"]["ClientId"]
        self.config: dict[str, str] = {}

    def trigger(self, key, name, code, *, permit=True, **config):
        function = self.account.register(name, code, **config)
        arn = f"arn:aws:lambda:{self.account.settings.region}:{self.account.settings.account_id}:function:{name}"
        if permit:
            settings = self.account.settings
            self.lambda_api.client().add_permission(
                FunctionName=function.name,
                StatementId=f"cognito-{key}",
                Action="lambda:InvokeFunction",
                Principal="cognito-idp.amazonaws.com",
                SourceArn=f"arn:aws:cognito-idp:{settings.region}:{settings.account_id}:userpool/{self.id}",
            )
        self.config[key] = arn
        self.idp.update_user_pool(UserPoolId=self.id, LambdaConfig=self.config)

    def events(self, name):
        return [inv.event for inv in self.account.invocation_records(name)]

    def sign_up(self, username, email):
        return self.idp.sign_up(
            ClientId=self.client_id,
            Username=username,
            Password=PASSWORD,
            UserAttributes=[{"Name": "email", "Value": email}],
        )

    def sign_in(self, username, password=PASSWORD, **options):
        return self.idp.initiate_auth(
            ClientId=self.client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": username, "PASSWORD": password},
            **options,
        )


@pytest.fixture
def pool(account, lambda_api, idp):
    return Pool(account, lambda_api, idp)


def _error(excinfo):
    return excinfo.value.response["Error"]["Code"], excinfo.value.response["Error"]["Message"]


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


def test_a_new_password_challenge_issues_tokens_without_a_post_confirmation(pool):
    pool.trigger("PostConfirmation", "postconfirm", RECORD)
    pool.trigger("PreTokenGeneration", "pretoken", ADD_CLAIM)
    pool.idp.admin_create_user(
        UserPoolId=pool.id, Username="carol", TemporaryPassword="Tmp-Passw0rd!", MessageAction="SUPPRESS"
    )

    challenge = pool.sign_in("carol", "Tmp-Passw0rd!")
    assert challenge["ChallengeName"] == "NEW_PASSWORD_REQUIRED"
    done = pool.idp.respond_to_auth_challenge(
        ClientId=pool.client_id,
        ChallengeName="NEW_PASSWORD_REQUIRED",
        Session=challenge["Session"],
        ChallengeResponses={"USERNAME": "carol", "NEW_PASSWORD": PASSWORD},
    )

    assert [e["triggerSource"] for e in pool.events("pretoken")] == ["TokenGeneration_NewPasswordChallenge"]
    assert jwt.decode(done["AuthenticationResult"]["IdToken"], options={"verify_signature": False})["tier"] == "gold"
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


def test_sign_in_runs_pre_and_post_authentication_and_the_token_claims(pool, api):
    pool.trigger("PreSignUp", "presignup", AUTO_CONFIRM)
    pool.trigger("PreAuthentication", "preauth", RECORD)
    pool.trigger("PostAuthentication", "postauth", RECORD)
    pool.trigger("PreTokenGeneration", "pretoken", ADD_CLAIM)
    pool.sign_up("ada", "ada@example.com")

    tokens = pool.sign_in("ada", ClientMetadata={"source": "test"})["AuthenticationResult"]

    (pre,) = pool.events("preauth")
    assert pre["triggerSource"] == "PreAuthentication_Authentication"
    assert pre["request"]["validationData"] == {"source": "test"}
    (post,) = pool.events("postauth")
    assert post["triggerSource"] == "PostAuthentication_Authentication"
    (token_event,) = pool.events("pretoken")
    assert token_event["triggerSource"] == "TokenGeneration_Authentication"
    assert token_event["request"]["groupConfiguration"]["groupsToOverride"] == []
    keys = jwt.PyJWKClient(f"{api.url}/{pool.id}/.well-known/jwks.json")
    key = keys.get_signing_key_from_jwt(tokens["IdToken"]).key
    claims = jwt.decode(tokens["IdToken"], key, algorithms=["RS256"], audience=pool.client_id)
    assert claims["tier"] == "gold"
    assert "y" not in claims  # suppressing wins over adding
    assert claims["cognito:groups"] == ["admins"]
    access = jwt.decode(
        tokens["AccessToken"], keys.get_signing_key_from_jwt(tokens["AccessToken"]).key, algorithms=["RS256"]
    )
    assert access["cognito:groups"] == ["admins"]  # groupOverrideDetails replaces the groups in both tokens
    assert pool.idp.get_user(AccessToken=tokens["AccessToken"])["Username"] == "ada"


V2_CLAIMS = """
def lambda_handler(event, context):
    assert event["version"] == "2", event["version"]
    event["response"]["claimsAndScopeOverrideDetails"] = {
        "idTokenGeneration": {"claimsToAddOrOverride": {"plan": "pro"}},
        "accessTokenGeneration": {"claimsToAddOrOverride": {"tenant": "t1"}, "scopesToAdd": ["reports/read"]},
    }
    return event
"""


def test_a_v2_trigger_customises_the_access_token_too(pool):
    pool.trigger("PreSignUp", "presignup", AUTO_CONFIRM)
    pool.sign_up("ada", "ada@example.com")
    pool.trigger("PreTokenGeneration", "pretoken", V2_CLAIMS)
    arn = pool.config.pop("PreTokenGeneration")
    pool.config["PreTokenGenerationConfig"] = {"LambdaArn": arn, "LambdaVersion": "V2_0"}
    pool.idp.update_user_pool(UserPoolId=pool.id, LambdaConfig=pool.config)

    tokens = pool.sign_in("ada")["AuthenticationResult"]

    (event,) = pool.events("pretoken")
    assert event["request"]["scopes"] == ["aws.cognito.signin.user.admin"]
    id_claims = jwt.decode(tokens["IdToken"], options={"verify_signature": False})
    access = jwt.decode(tokens["AccessToken"], options={"verify_signature": False})
    assert (id_claims["plan"], "tenant" in id_claims) == ("pro", False)
    assert access["tenant"] == "t1"
    assert access["scope"].split() == ["aws.cognito.signin.user.admin", "reports/read"]
    assert pool.idp.get_user(AccessToken=tokens["AccessToken"])["Username"] == "ada"


def test_a_trigger_that_overrides_a_reserved_claim_is_refused(pool):
    pool.trigger("PreSignUp", "presignup", AUTO_CONFIRM)
    pool.sign_up("ada", "ada@example.com")
    pool.trigger("PreTokenGeneration", "pretoken", ADD_CLAIM.replace('"y": "1"', '"y": "1", "sub": "forged"'))

    with pytest.raises(pool.idp.exceptions.InvalidLambdaResponseException) as excinfo:
        pool.sign_in("ada")

    assert "reserved claims: sub" in _error(excinfo)[1]


def test_a_raising_pre_authentication_denies_the_sign_in(pool):
    pool.trigger("PreSignUp", "presignup", AUTO_CONFIRM)
    pool.sign_up("ada", "ada@example.com")
    pool.trigger("PreAuthentication", "preauth", "def lambda_handler(event, context):\n    raise Exception('Closed')\n")

    with pytest.raises(pool.idp.exceptions.UserLambdaValidationException) as excinfo:
        pool.sign_in("ada")

    assert _error(excinfo)[1] == "PreAuthentication failed with error Closed."


def _hiding_client(pool):
    return pool.idp.create_user_pool_client(
        UserPoolId=pool.id,
        ClientName="hiding",
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_CUSTOM_AUTH"],
        PreventUserExistenceErrors="ENABLED",
    )["UserPoolClient"]["ClientId"]


def test_a_client_that_hides_missing_users_tells_only_the_trigger(pool):
    pool.trigger("PreAuthentication", "preauth", RECORD)
    pool.client_id = _hiding_client(pool)

    with pytest.raises(pool.idp.exceptions.NotAuthorizedException) as excinfo:
        pool.sign_in("nobody")

    assert _error(excinfo)[1] == "Incorrect username or password."
    (event,) = pool.events("preauth")
    assert (event["userName"], event["request"]["userNotFound"]) == ("nobody", True)


def test_custom_auth_for_a_missing_user_fails_at_the_end_when_the_client_hides_it(pool):
    pool.trigger("DefineAuthChallenge", "define", DEFINE)
    pool.trigger("CreateAuthChallenge", "create", CREATE)
    pool.trigger("VerifyAuthChallengeResponse", "verify", VERIFY)
    pool.client_id = _hiding_client(pool)

    first = pool.idp.initiate_auth(
        ClientId=pool.client_id, AuthFlow="CUSTOM_AUTH", AuthParameters={"USERNAME": "nobody"}
    )
    assert first["ChallengeName"] == "CUSTOM_CHALLENGE"
    with pytest.raises(pool.idp.exceptions.NotAuthorizedException):
        pool.idp.respond_to_auth_challenge(
            ClientId=pool.client_id,
            ChallengeName="CUSTOM_CHALLENGE",
            Session=first["Session"],
            ChallengeResponses={"ANSWER": "5"},
        )

    assert {e["request"]["userNotFound"] for e in pool.events("define")} == {True}


def test_refresh_runs_only_the_token_generation(pool):
    pool.trigger("PreSignUp", "presignup", AUTO_CONFIRM)
    pool.sign_up("ada", "ada@example.com")
    refresh = pool.sign_in("ada")["AuthenticationResult"]["RefreshToken"]
    pool.trigger("PreAuthentication", "preauth", RECORD)
    pool.trigger("PreTokenGeneration", "pretoken", ADD_CLAIM)

    tokens = pool.idp.initiate_auth(
        ClientId=pool.client_id, AuthFlow="REFRESH_TOKEN_AUTH", AuthParameters={"REFRESH_TOKEN": refresh}
    )["AuthenticationResult"]

    assert [e["triggerSource"] for e in pool.events("pretoken")] == ["TokenGeneration_RefreshTokens"]
    assert pool.events("preauth") == []
    assert jwt.decode(tokens["IdToken"], options={"verify_signature": False})["tier"] == "gold"


def test_an_unknown_user_is_migrated_at_sign_in(pool):
    pool.trigger("UserMigration", "migrate", MIGRATE)

    tokens = pool.sign_in("legacy", "secret-Old1!")["AuthenticationResult"]

    (event,) = pool.events("migrate")
    assert event["triggerSource"] == "UserMigration_Authentication"
    assert event["request"]["password"] == "secret-Old1!"
    user = pool.idp.admin_get_user(UserPoolId=pool.id, Username="legacy")
    assert user["UserStatus"] == "CONFIRMED"
    assert {"Name": "email", "Value": "legacy@example.com"} in user["UserAttributes"]
    assert pool.idp.get_user(AccessToken=tokens["AccessToken"])["Username"] == "legacy"


def test_a_migrated_user_who_must_reset_the_password(pool):
    pool.trigger("UserMigration", "migrate", MIGRATE.replace('"CONFIRMED"', '"RESET_REQUIRED"'))

    with pytest.raises(pool.idp.exceptions.PasswordResetRequiredException):
        pool.sign_in("legacy", "secret-Old1!")

    assert pool.idp.admin_get_user(UserPoolId=pool.id, Username="legacy")["UserStatus"] == "RESET_REQUIRED"


def test_forgot_password_migrates_without_the_password(pool):
    pool.trigger("UserMigration", "migrate", MIGRATE)

    pool.idp.forgot_password(ClientId=pool.client_id, Username="legacy")

    (event,) = pool.events("migrate")
    assert event["triggerSource"] == "UserMigration_ForgotPassword"
    assert "password" not in event["request"]


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


def test_custom_auth_rounds_issue_tokens_after_a_correct_answer(pool, api):
    pool.trigger("PreSignUp", "presignup", AUTO_CONFIRM)
    pool.sign_up("ada", "ada@example.com")
    pool.trigger("DefineAuthChallenge", "define", DEFINE)
    pool.trigger("CreateAuthChallenge", "create", CREATE)
    pool.trigger("VerifyAuthChallengeResponse", "verify", VERIFY)

    first = pool.idp.initiate_auth(
        ClientId=pool.client_id, AuthFlow="CUSTOM_AUTH", AuthParameters={"USERNAME": "ada"}, ClientMetadata={"k": "v"}
    )

    assert first["ChallengeName"] == "CUSTOM_CHALLENGE"
    assert first["ChallengeParameters"] == {"question": "2 + 3?"}  # the private parameters stay hidden
    assert pool.events("define")[0]["request"]["clientMetadata"] is None
    wrong = pool.idp.respond_to_auth_challenge(
        ClientId=pool.client_id,
        ChallengeName="CUSTOM_CHALLENGE",
        Session=first["Session"],
        ChallengeResponses={"USERNAME": "ada", "ANSWER": "4"},
    )
    assert wrong["ChallengeName"] == "CUSTOM_CHALLENGE"
    done = pool.idp.respond_to_auth_challenge(
        ClientId=pool.client_id,
        ChallengeName="CUSTOM_CHALLENGE",
        Session=wrong["Session"],
        ChallengeResponses={"USERNAME": "ada", "ANSWER": "5"},
    )

    verify = pool.events("verify")
    assert [e["request"]["challengeAnswer"] for e in verify] == ["4", "5"]
    assert verify[0]["request"]["privateChallengeParameters"] == {"answer": "5"}
    last = pool.events("define")[-1]["request"]["session"]
    assert [(s["challengeResult"], s["challengeMetadata"]) for s in last] == [
        (False, "ARITHMETIC"),
        (True, "ARITHMETIC"),
    ]
    keys = jwt.PyJWKClient(f"{api.url}/{pool.id}/.well-known/jwks.json")
    id_token = done["AuthenticationResult"]["IdToken"]
    claims = jwt.decode(
        id_token, keys.get_signing_key_from_jwt(id_token).key, algorithms=["RS256"], audience=pool.client_id
    )
    assert claims["cognito:username"] == "ada"
    assert pool.idp.get_user(AccessToken=done["AuthenticationResult"]["AccessToken"])["Username"] == "ada"


def test_custom_auth_fails_after_two_wrong_answers(pool):
    pool.trigger("PreSignUp", "presignup", AUTO_CONFIRM)
    pool.sign_up("ada", "ada@example.com")
    pool.trigger("DefineAuthChallenge", "define", DEFINE)
    pool.trigger("CreateAuthChallenge", "create", CREATE)
    pool.trigger("VerifyAuthChallengeResponse", "verify", VERIFY)
    session = pool.idp.initiate_auth(
        ClientId=pool.client_id, AuthFlow="CUSTOM_AUTH", AuthParameters={"USERNAME": "ada"}
    )["Session"]
    session = pool.idp.respond_to_auth_challenge(
        ClientId=pool.client_id, ChallengeName="CUSTOM_CHALLENGE", Session=session, ChallengeResponses={"ANSWER": "1"}
    )["Session"]

    with pytest.raises(pool.idp.exceptions.NotAuthorizedException):
        pool.idp.respond_to_auth_challenge(
            ClientId=pool.client_id,
            ChallengeName="CUSTOM_CHALLENGE",
            Session=session,
            ChallengeResponses={"ANSWER": "2"},
        )


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
