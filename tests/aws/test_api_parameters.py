"""The AWS backend's API Gateway parameters, built from lm.http_api / lm.rest_api settings (no service needed)."""

from __future__ import annotations

import pytest

from lambda_magic.aws.http_api import authorizer_parameters as http_authorizer
from lambda_magic.aws.http_api import identity_source
from lambda_magic.aws.rest_api import authorizer_parameters as rest_authorizer
from lambda_magic.aws.rest_api import method_identity_source
from lambda_magic.common.errors import InvalidParameterValueException


def arn(name: str) -> str:
    return f"arn:aws:lambda:eu-west-1:123456789012:function:{name}"


@pytest.mark.parametrize(
    ("given", "http", "rest"),
    [
        ("Authorization", "$request.header.Authorization", "method.request.header.Authorization"),
        ("$request.header.X-Key", "$request.header.X-Key", "method.request.header.X-Key"),
        ("method.request.querystring.q", "$request.querystring.q", "method.request.querystring.q"),
        ("$stageVariables.secret", "$stageVariables.secret", "stageVariables.secret"),
        ("$context.requestId", "$context.requestId", "context.requestId"),
    ],
)
def test_identity_sources_are_written_as_each_api_type_writes_them(given, http, rest):
    assert identity_source(given) == http
    assert method_identity_source(given) == rest


@pytest.mark.parametrize("bad", ["", "request.body.x", "$request.header."])
def test_an_identity_source_api_gateway_cannot_read_is_refused(bad):
    with pytest.raises(InvalidParameterValueException, match="identity source"):
        identity_source(bad)


def test_a_jwt_authorizer_names_its_issuer_and_audiences():
    params = http_authorizer(
        "cognito",
        {"issuer": "https://cognito-idp.eu-west-1.amazonaws.com/pool", "audience": ["a", "b"]},
        function_arn=arn,
        region="eu-west-1",
    )
    assert params == {
        "Name": "cognito",
        "AuthorizerType": "JWT",
        "IdentitySource": ["$request.header.Authorization"],
        "JwtConfiguration": {"Issuer": "https://cognito-idp.eu-west-1.amazonaws.com/pool", "Audience": ["a", "b"]},
    }


def test_an_http_api_lambda_authorizer_uses_payload_2_and_simple_responses_unless_told():
    params = http_authorizer(
        "gate", {"function": "gate", "simple_responses": False, "ttl_s": 30}, function_arn=arn, region="eu-west-1"
    )
    assert params["AuthorizerUri"] == (
        f"arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/{arn('gate')}/invocations"
    )
    assert (params["AuthorizerPayloadFormatVersion"], params["EnableSimpleResponses"]) == ("2.0", False)
    assert params["AuthorizerResultTtlInSeconds"] == 30


def test_a_rest_api_token_authorizer_caches_for_300_seconds_by_default():
    params = rest_authorizer("token", {"type": "TOKEN", "function": "gate"}, function_arn=arn, region="eu-west-1")
    assert (params["type"], params["identitySource"], params["authorizerResultTtlInSeconds"]) == (
        "TOKEN",
        "method.request.header.Authorization",
        300,
    )
    assert "identityValidationExpression" not in params


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"type": "REQUEST"}, "needs function=NAME"),
        ({"type": "JWT", "issuer": "https://x"}, "needs issuer and audience"),
        ({"function": "gate", "ttl_s": 3601}, "between 0 and 3600"),
        ({"function": "gate", "identity_source": [], "ttl_s": 60}, "needs an identity source"),
        ({"function": "gate", "colour": "red"}, "unknown setting 'colour'"),
    ],
)
def test_http_api_authorizer_mistakes_are_one_line_errors(spec, message):
    with pytest.raises(InvalidParameterValueException, match=message):
        http_authorizer("gate", spec, function_arn=arn, region="eu-west-1")


def test_a_rest_api_validation_must_be_a_regular_expression():
    with pytest.raises(InvalidParameterValueException, match="is not a regular expression"):
        rest_authorizer("t", {"type": "TOKEN", "function": "g", "validation": "("}, function_arn=arn, region="r")
