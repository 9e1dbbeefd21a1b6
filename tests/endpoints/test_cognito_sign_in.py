"""Signing in with Cognito's triggers through boto3: pre and post authentication, token claims
(checked on the real RS256 tokens), user migration, custom challenge rounds."""

from __future__ import annotations

import jwt
import pytest
from botocore.config import Config

from lambda_magic.endpoints.cognito_idp import CognitoIdpAPI
from lambda_magic.endpoints.lambda_api import LambdaAPI
from lambda_magic.sources.push import PushSources

from .cognito_helpers import (
    ADD_CLAIM,
    AUTO_CONFIRM,
    CREATE,
    DEFINE,
    MIGRATE,
    PASSWORD,
    RECORD,
    V2_CLAIMS,
    VERIFY,
    Pool,
)
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


def test_admin_initiate_auth_runs_the_same_triggers(pool):
    pool.trigger("PreSignUp", "presignup", AUTO_CONFIRM)
    pool.sign_up("ada", "ada@example.com")
    pool.trigger("PreAuthentication", "preauth", RECORD)
    pool.trigger("PreTokenGeneration", "pretoken", ADD_CLAIM)

    tokens = pool.idp.admin_initiate_auth(
        UserPoolId=pool.id,
        ClientId=pool.client_id,
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "ada", "PASSWORD": PASSWORD},
    )["AuthenticationResult"]

    assert [e["triggerSource"] for e in pool.events("preauth")] == ["PreAuthentication_Authentication"]
    assert jwt.decode(tokens["IdToken"], options={"verify_signature": False})["tier"] == "gold"
