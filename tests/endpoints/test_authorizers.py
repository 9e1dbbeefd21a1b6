"""Authorizers over real HTTP: REST TOKEN and REQUEST, HTTP API simple responses, JWT with Cognito tokens."""

from __future__ import annotations

import base64
import json
import time

import pytest
import requests

from lambda_magic.common.errors import InvalidParameterValueException
from lambda_magic.endpoints.apigw import ApiGateway
from lambda_magic.endpoints.apigw_http import HttpApi
from lambda_magic.endpoints.apigw_rest import RestApi

ECHO = """
import json
def lambda_handler(event, context):
    return {"statusCode": 200, "body": json.dumps(event["requestContext"].get("authorizer"))}
"""

TOKEN = """
def lambda_handler(event, context):
    token = event["authorizationToken"]
    if token == "Bearer unauthorized":
        raise Exception("Unauthorized")
    if token == "Bearer fail":
        raise ValueError("boom")
    if token == "Bearer object":
        return {"principalId": "u", "context": {"o": {}},
                "policyDocument": {"Version": "2012-10-17", "Statement": []}}
    effect = "Deny" if token == "Bearer deny" else "Allow"
    resource = event["methodArn"]
    if token == "Bearer wide":
        resource = resource.rsplit("/", 2)[0] + "/*"
    return {
        "principalId": "user-1",
        "policyDocument": {"Version": "2012-10-17",
                           "Statement": [{"Action": "execute-api:Invoke", "Effect": effect, "Resource": resource}]},
        "context": {"n": 1, "b": True, "s": "x"},
    }
"""

REQUEST = """
def lambda_handler(event, context):
    allowed = event["queryStringParameters"]["q"] == "ok"
    return {
        "principalId": "p",
        "policyDocument": {"Version": "2012-10-17", "Statement": [
            {"Action": "execute-api:Invoke", "Effect": "Allow" if allowed else "Deny",
             "Resource": event["methodArn"].rsplit("/", 2)[0] + "/*"}]},
        "context": {"seen": ",".join(sorted(event["headers"]))[:50]},
    }
"""

SIMPLE = """
def lambda_handler(event, context):
    ok = event["identitySource"] == ["letmein"]
    return {"isAuthorized": ok, "context": {"list": [1, 2], "kind": event["type"], "arn": event["routeArn"]}}
"""


@pytest.fixture
def gateway(account):
    return ApiGateway.of(account)


def _rest(gateway, name, routes, **settings) -> RestApi:
    return gateway.put(lambda port: RestApi(gateway, name, routes, port=port, **settings), name)


def _http(gateway, name, routes, **settings) -> HttpApi:
    return gateway.put(lambda port: HttpApi(gateway, name, routes, port=port, **settings), name)


@pytest.fixture
def token_api(account, gateway):
    account.register("echo", ECHO)
    account.register("auth", TOKEN)
    return _rest(
        gateway,
        "tok",
        {"GET /a": {"function": "echo", "authorizer": "tok"}, "GET /b": {"function": "echo", "authorizer": "tok"}},
        authorizers={"tok": {"type": "TOKEN", "function": "auth", "validation": "^Bearer .+", "ttl_s": 0}},
    )


def _get(api, path="/a", token=None, **headers):
    if token is not None:
        headers["Authorization"] = token
    return requests.get(api.url + path, headers=headers)


def test_token_authorizer_outcomes(account, token_api):
    for token in (None, "nope"):
        response = _get(token_api, token=token)
        assert response.status_code == 401 and response.json() == {"message": "Unauthorized"}
        assert response.headers["x-amzn-ErrorType"] == "UnauthorizedException"
    assert len(account.invocation_records("auth")) == 0  # neither the missing header nor the regex invoked it
    allowed = _get(token_api, token="Bearer allow")
    assert allowed.status_code == 200
    assert allowed.json() == {"principalId": "user-1", "n": "1", "b": "true", "s": "x", "integrationLatency": 0}
    denied = _get(token_api, token="Bearer deny")
    assert denied.status_code == 403
    assert denied.json() == {"Message": "User is not authorized to access this resource with an explicit deny"}
    assert denied.headers["x-amzn-ErrorType"] == "AccessDeniedException"
    assert _get(token_api, token="Bearer unauthorized").status_code == 401
    failed = _get(token_api, token="Bearer fail")
    assert failed.status_code == 500 and failed.json() == {"message": None}
    assert failed.headers["x-amzn-ErrorType"] == "AuthorizerConfigurationException"
    assert _get(token_api, token="Bearer object").status_code == 500
    auth = account.invocation_records("auth")[0]
    assert auth.event["type"] == "TOKEN" and auth.event["authorizationToken"] == "Bearer allow"
    assert auth.event["methodArn"] == f"{token_api.arn('GET', '/a')}"
    assert auth.trigger == "apigateway:tok:authorizer:tok"


def test_results_are_cached_for_the_ttl_by_the_account_clock(account, gateway):
    account.configure(clock_mode="manual")
    account.register("echo", ECHO)
    account.register("auth", TOKEN)
    routes = {"GET /a": {"function": "echo", "authorizer": "tok"}, "GET /b": {"function": "echo", "authorizer": "tok"}}
    api = _rest(gateway, "cache", routes, authorizers={"tok": {"type": "TOKEN", "function": "auth", "ttl_s": 300}})
    assert _get(api, token="Bearer allow").status_code == 200
    assert _get(api, token="Bearer allow").status_code == 200
    assert len(account.invocation_records("auth")) == 1
    # the cached policy names only GET /a: GET /b is denied without asking the authorizer again
    trap = _get(api, "/b", token="Bearer allow")
    assert trap.status_code == 403 and trap.json() == {"Message": "User is not authorized to access this resource"}
    assert len(account.invocation_records("auth")) == 1
    account.clock.advance(301)
    assert _get(api, "/b", token="Bearer allow").status_code == 200
    assert len(account.invocation_records("auth")) == 2
    assert _get(api, "/a", token="Bearer fail").status_code == 500
    assert _get(api, "/a", token="Bearer fail").status_code == 500
    assert len(account.invocation_records("auth")) == 4  # errors are not cached


def test_request_authorizer_identity_sources(account, gateway):
    account.configure(clock_mode="manual")
    account.register("echo", ECHO)
    account.register("req", REQUEST)
    api = _rest(
        gateway,
        "req",
        {"GET /r": {"function": "echo", "authorizer": "req"}},
        authorizers={
            "req": {
                "type": "REQUEST",
                "function": "req",
                "identity_source": ["method.request.header.h", "method.request.querystring.q"],
            }
        },
    )
    assert requests.get(api.url + "/r", headers={"h": "1"}).status_code == 401
    assert len(account.invocation_records("req")) == 0
    assert requests.get(api.url + "/r?q=ok", headers={"h": "1"}).status_code == 200
    assert requests.get(api.url + "/r?q=ok", headers={"h": "1"}).status_code == 200
    assert len(account.invocation_records("req")) == 1
    assert requests.get(api.url + "/r?q=no", headers={"h": "1"}).status_code == 403  # a new cache key
    assert len(account.invocation_records("req")) == 2
    event = account.invocation_records("req")[0].event
    assert event["type"] == "REQUEST" and event["methodArn"].endswith("/dev/GET/r")
    assert event["httpMethod"] == "GET" and "body" not in event


@pytest.mark.parametrize(
    ("kind", "settings"),
    [
        ("rest", {"type": "REQUEST", "function": "req"}),  # REST caches for 300 s by default
        ("http", {"type": "REQUEST", "function": "req", "identity_source": [], "ttl_s": 60}),
    ],
)
def test_a_caching_request_authorizer_needs_an_identity_source(account, gateway, kind, settings):
    """As API Gateway's CreateAuthorizer: the identity sources are the cache key; nothing is served."""
    account.register("echo", ECHO)
    account.register("req", REQUEST)
    make = _rest if kind == "rest" else _http
    with pytest.raises(
        InvalidParameterValueException, match="needs an identity source: give identity_source, or ttl_s=0"
    ):
        make(
            gateway, f"cached-{kind}", {"GET /r": {"function": "echo", "authorizer": "a"}}, authorizers={"a": settings}
        )
    assert f"cached-{kind}" not in [api.name for api in gateway.apis()]


def test_a_request_authorizer_without_caching_needs_no_identity_source(account, gateway):
    account.register("echo", ECHO)
    account.register("req", REQUEST)
    api = _rest(
        gateway,
        "uncached",
        {"GET /r": {"function": "echo", "authorizer": "a"}},
        authorizers={"a": {"type": "REQUEST", "function": "req", "ttl_s": 0}},
    )
    assert requests.get(api.url + "/r?q=ok").status_code == 200
    assert requests.get(api.url + "/r?q=ok").status_code == 200
    assert len(account.invocation_records("req")) == 2  # no cache: asked every time


def test_http_api_simple_responses(account, gateway):
    account.register("echo", ECHO)
    account.register("simple", SIMPLE)
    api = _http(
        gateway,
        "simple",
        {"GET /s": {"function": "echo", "authorizer": "lam"}},
        authorizers={"lam": {"type": "REQUEST", "function": "simple", "identity_source": "$request.header.X-Key"}},
    )
    assert requests.get(api.url + "/s").status_code == 401
    denied = requests.get(api.url + "/s", headers={"X-Key": "nope"})
    assert denied.status_code == 403 and denied.json() == {"message": "Forbidden"}
    allowed = requests.get(api.url + "/s", headers={"X-Key": "letmein"})
    assert allowed.status_code == 200
    context = allowed.json()["lambda"]
    assert context["list"] == [1, 2] and context["kind"] == "REQUEST" and context["arn"] == api.arn("GET", "/s")


def test_bad_authorizer_declarations(account, gateway):
    with pytest.raises(InvalidParameterValueException, match="JWT authorizers belong to HTTP APIs"):
        _rest(gateway, "x", {"GET /": "f"}, authorizers={"j": {"type": "JWT", "issuer": "i", "audience": ["a"]}})
    with pytest.raises(InvalidParameterValueException, match="issuer must be a Cognito user pool"):
        _http(gateway, "x", {"GET /": "f"}, authorizers={"j": {"issuer": "https://example.com", "audience": "a"}})


# --- JWT authorizers with the local cloud's Cognito ----------------------------------------------


@pytest.fixture
def cognito(account):
    idp = account.cloud.client("cognito-idp")
    pool = idp.create_user_pool(PoolName="users")["UserPool"]["Id"]
    client_id = idp.create_user_pool_client(
        UserPoolId=pool, ClientName="web", ExplicitAuthFlows=["USER_PASSWORD_AUTH"]
    )["UserPoolClient"]["ClientId"]
    idp.admin_create_user(UserPoolId=pool, Username="ada", TemporaryPassword="Tmp-Pass1!")
    idp.admin_set_user_password(UserPoolId=pool, Username="ada", Password="Real-Pass1!", Permanent=True)
    idp.create_group(UserPoolId=pool, GroupName="admin")
    idp.create_group(UserPoolId=pool, GroupName="poweruser")
    idp.admin_add_user_to_group(UserPoolId=pool, Username="ada", GroupName="admin")
    idp.admin_add_user_to_group(UserPoolId=pool, Username="ada", GroupName="poweruser")
    tokens = idp.initiate_auth(
        ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH", AuthParameters={"USERNAME": "ada", "PASSWORD": "Real-Pass1!"}
    )["AuthenticationResult"]
    issuer = f"https://cognito-idp.{account.settings.region}.amazonaws.com/{pool}"
    return {"issuer": issuer, "client_id": client_id, **tokens}


@pytest.fixture
def jwt_api(account, gateway, cognito):
    account.register("echo", ECHO)
    return _http(
        gateway,
        "jwt",
        {
            "GET /open": {"function": "echo", "authorizer": "cog"},
            "GET /admin": {"function": "echo", "authorizer": "cog", "scopes": ["admin/write"]},
        },
        authorizers={"cog": {"type": "JWT", "issuer": cognito["issuer"], "audience": [cognito["client_id"]]}},
    )


def _bearer(api, token, path="/open"):
    return requests.get(api.url + path, headers={"Authorization": f"Bearer {token}"})


def test_cognito_access_and_id_tokens_pass(account, jwt_api, cognito):
    response = _bearer(jwt_api, cognito["AccessToken"])
    assert response.status_code == 200, response.text
    jwt = response.json()["jwt"]
    assert jwt["scopes"] is None and jwt["claims"]["client_id"] == cognito["client_id"]
    assert isinstance(jwt["claims"]["exp"], str) and jwt["claims"]["exp"].isdigit()
    assert jwt["claims"]["cognito:groups"] in ("[admin poweruser]", "[poweruser admin]")
    assert _bearer(jwt_api, cognito["IdToken"]).status_code == 200  # aud = the client id
    no_prefix = requests.get(jwt_api.url + "/open", headers={"Authorization": cognito["AccessToken"]})
    assert no_prefix.status_code == 200


def test_bad_tokens_are_401_and_missing_scopes_403(account, jwt_api, cognito):
    assert requests.get(jwt_api.url + "/open").status_code == 401
    header, payload, signature = cognito["AccessToken"].split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["username"] = "mallory"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    tampered = _bearer(jwt_api, f"{header}.{forged}.{signature}")
    assert tampered.status_code == 401 and tampered.json() == {"message": "Unauthorized"}
    assert 'error="invalid_token"' in tampered.headers["www-authenticate"]
    import jwt as pyjwt

    hs256 = pyjwt.encode({**claims, "exp": int(time.time()) + 60}, "s" * 32, algorithm="HS256")
    assert _bearer(jwt_api, hs256).status_code == 401
    scoped = _bearer(jwt_api, cognito["AccessToken"], "/admin")
    assert scoped.status_code == 403 and scoped.json() == {"message": "Forbidden"}


def test_wrong_audience_and_expired_tokens(account, gateway, cognito):
    from cryptography.hazmat.primitives.asymmetric import rsa

    account.register("echo", ECHO)
    api = _http(
        gateway,
        "aud",
        {"GET /": {"function": "echo", "authorizer": "cog"}},
        authorizers={"cog": {"type": "JWT", "issuer": cognito["issuer"], "audience": ["someone-else"]}},
    )
    wrong = _bearer(api, cognito["AccessToken"], "/")
    assert wrong.status_code == 401 and "valid audience" in wrong.headers["www-authenticate"]
    import jwt as pyjwt

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    foreign = pyjwt.encode(
        {"iss": cognito["issuer"], "client_id": "someone-else", "exp": int(time.time()) + 60},
        key,
        algorithm="RS256",
        headers={"kid": "dummy"},
    )
    assert _bearer(api, foreign, "/").status_code == 401  # signed by another key


def _moto_key():
    """The RSA key moto signs every pool's tokens with (it ships in moto), to forge tokens the JWKS accepts."""
    import gzip
    import os

    import jwt as pyjwt
    import moto

    path = os.path.join(os.path.dirname(moto.__file__), "cognitoidp", "resources", "jwks-private.json.gz")
    with gzip.open(path, "rt") as handle:
        return pyjwt.algorithms.RSAAlgorithm.from_jwk(handle.read())


def test_expired_and_foreign_issuer_tokens_signed_by_the_pool_key(account, jwt_api, cognito):
    import jwt as pyjwt

    key = _moto_key()
    now = int(time.time())
    good = {"iss": cognito["issuer"], "client_id": cognito["client_id"], "iat": now - 10}
    valid = pyjwt.encode({**good, "exp": now + 60}, key, algorithm="RS256", headers={"kid": "dummy"})
    assert _bearer(jwt_api, valid).status_code == 200
    expired = pyjwt.encode({**good, "exp": now - 5}, key, algorithm="RS256", headers={"kid": "dummy"})
    response = _bearer(jwt_api, expired)
    assert response.status_code == 401 and "expired" in response.headers["www-authenticate"]
    other = {**good, "iss": good["iss"] + "x", "exp": now + 60}
    foreign = pyjwt.encode(other, key, algorithm="RS256", headers={"kid": "dummy"})
    assert "valid issuer" in _bearer(jwt_api, foreign).headers["www-authenticate"]
