"""Response contracts: each service's reading of the function's answer.

Expected values come from shared/reference/event-catalog.md §D,
callers-apigw-cfn-cognito-alexa.md §1-5 and lambda-semantics.md §6.
"""

from __future__ import annotations

import base64
import copy
import json
import subprocess
import sys

import pytest

from lambda_magic.events.contracts import CONTRACTS, Verdict, check_response, contract_for

REST_502 = {"message": "Internal server error"}
HTTP_500 = {"message": "Internal Server Error"}
MALFORMED_LOG = "Execution failed due to configuration error: Malformed Lambda proxy response"
ERROR = {"errorMessage": "boom", "errorType": "ValueError", "requestId": "r-1", "stackTrace": []}


def rest_502(log: bool = True) -> dict:
    details = {"statusCode": 502, "headers": {"Content-Type": "application/json"}, "body": REST_502}
    if log:
        details["execution_log"] = MALFORMED_LOG
    return details


# --------------------------------------------------------------------------- API Gateway REST (v1)

REST_EVENT = {
    "resource": "/{proxy+}",
    "path": "/x",
    "httpMethod": "GET",
    "headers": {"Accept": "image/png"},
    "requestContext": {"stage": "dev"},
    "body": None,
    "isBase64Encoded": False,
}


def test_rest_answer_becomes_the_http_response():
    verdict = check_response(
        "apigateway-v1", REST_EVENT, {"statusCode": 201, "headers": {"X-A": "1"}, "body": "hi"}, None
    )
    assert verdict == Verdict(
        "API Gateway REST API (proxy, payload 1.0)",
        True,
        "API Gateway answers 201 with body 'hi'",
        {
            "statusCode": 201,
            "headers": {"X-A": "1", "Content-Type": "application/json"},
            "body": "hi",
            "isBase64Encoded": False,
        },
        (),
    )


def test_rest_status_only_gives_an_empty_json_response():
    verdict = check_response("apigateway-v1", REST_EVENT, {"statusCode": 200}, None)
    assert verdict.ok and verdict.summary == "API Gateway answers 200 with an empty body"
    assert verdict.details["headers"] == {"Content-Type": "application/json"} and verdict.details["body"] == ""


def test_rest_numeric_string_status_is_accepted():
    assert check_response("apigateway-v1", REST_EVENT, {"statusCode": "201"}, None).details["statusCode"] == 201


def test_rest_missing_status_code_answers_200():
    verdict = check_response("apigateway-v1", REST_EVENT, {"headers": {"x": "y"}}, None)
    assert verdict.ok and verdict.details["statusCode"] == 200
    assert verdict.details["notes"] == ["no statusCode: a REST API answers 200"]


@pytest.mark.parametrize(
    ("payload", "problem"),
    [
        ({"statusCode": "test"}, "statusCode 'test' is not a number"),
        ({"statusCode": 200, "wrong": 1}, "unexpected top-level key 'wrong'"),
        ({"statusCode": 200, "body": {"a": 1}}, "body must be a string, got an object: json.dumps() it first"),
        ("justAString", "the function returned a string, not an object"),
        (None, "the function returned null (None), not an object"),
        (b"not json", "the function returned bytes that are not JSON"),
        ([1, 2], "the function returned a list"),
        ({"statusCode": 200, "multiValueHeaders": {"t": "m"}}, "multiValueHeaders 't' must be a list of strings"),
        ({"statusCode": 200, "isBase64Encoded": "yes"}, "isBase64Encoded must be true or false"),
        ({"statusCode": 200, "headers": {"x": {"a": 1}}}, "header 'x' has an object value"),
        ({"statusCode": True}, "statusCode must be an integer, got a boolean"),
        ({"statusCode": 200.5}, "statusCode must be an integer, got a number"),
        ({"statusCode": 42}, "statusCode 42 is not an HTTP status"),
        (
            {"statusCode": 200, "isBase64Encoded": True, "body": "***", "headers": {"Content-Type": "image/png"}},
            "isBase64Encoded is true but body is not valid base64",
        ),
    ],
)
def test_rest_malformed_answers_give_502(payload, problem):
    verdict = check_response("apigateway-v1", REST_EVENT, payload, None, binary_media_types=["image/png"])
    assert not verdict.ok
    assert verdict.details == rest_502()
    assert verdict.summary.startswith("API Gateway answers 502 Internal server error: ")
    assert any(p.startswith(problem) for p in verdict.problems), verdict.problems


def test_rest_lists_every_broken_rule():
    verdict = check_response("apigateway-v1", REST_EVENT, {"statusCode": "x", "body": 1, "extra": 2}, None)
    assert len(verdict.problems) == 3
    assert verdict.summary.endswith("(and 2 more problems)")


def test_rest_function_error_gives_502():
    verdict = check_response("apigateway-v1", REST_EVENT, ERROR, "Unhandled")
    assert not verdict.ok and verdict.details == rest_502(log=False)
    assert verdict.problems == ("the function failed (ValueError: boom)",)
    assert verdict.summary == "API Gateway answers 502 Internal server error: the function failed (ValueError: boom)"


def test_rest_merges_headers_multi_first_with_multi_casing():
    payload = {
        "statusCode": 200,
        "multiValueHeaders": {"tesT": ["m"], "Set-Cookie": ["a=1", "b=2"]},
        "headers": {"test": "s", "set-cookie": "a=1", "B": True, "Content-Type": "text/plain"},
    }
    headers = check_response("apigateway-v1", REST_EVENT, payload, None).details["headers"]
    assert headers == {"tesT": "m, s", "Set-Cookie": "a=1, b=2", "B": "true", "Content-Type": "text/plain"}


def test_rest_base64_body_reaches_the_client_as_base64_without_binary_media_types():
    body = base64.b64encode(b"hello").decode()
    verdict = check_response(
        "apigateway-v1",
        REST_EVENT,
        {"statusCode": 200, "isBase64Encoded": True, "body": body, "headers": {"Content-Type": "image/png"}},
        None,
    )
    assert verdict.ok and verdict.details["body"] == body and verdict.details["decoded_body"] == "hello"
    assert "binaryMediaTypes" in verdict.details["notes"][0]


def test_rest_invalid_base64_is_passed_through_when_api_gateway_does_not_decode():
    verdict = check_response(
        "apigateway-v1", REST_EVENT, {"statusCode": 200, "isBase64Encoded": True, "body": "***"}, None
    )
    assert verdict.ok and verdict.details["body"] == "***" and verdict.details["decoded_body"] is None
    assert verdict.details["notes"][0] == "isBase64Encoded is true but body is not valid base64"


@pytest.mark.parametrize(
    ("accept", "decoded"),
    [
        ("image/png", True),
        ("image/*", False),
        ("*/*", False),
        ("image/jpg", False),
        ("image/png, text/html", True),
        ("text/html, image/png", False),
    ],
)
def test_rest_decodes_base64_only_when_the_first_accept_type_is_binary(accept, decoded):
    png = b"\x89PNG\r\n\x1a\n\x00\xff"
    event = dict(REST_EVENT, headers={"accept": accept})
    payload = {
        "statusCode": 200,
        "isBase64Encoded": True,
        "body": base64.b64encode(png).decode(),
        "headers": {"Content-Type": "image/png"},
    }
    verdict = check_response("apigateway-v1", event, payload, None, binary_media_types=["image/png"])
    assert verdict.details["body"] == (png if decoded else payload["body"])


def test_http_api_payload_1_requires_status_code_and_answers_500():
    event = dict(REST_EVENT, version="1.0")
    verdict = check_response("apigateway-v1", event, {"body": "x"}, None)
    assert verdict.source == "API Gateway HTTP API (payload 1.0)"
    assert verdict.details == {"statusCode": 500, "headers": {"Content-Type": "application/json"}, "body": HTTP_500}
    assert verdict.problems == ("statusCode is missing (HTTP API payload 1.0 requires it)",)
    assert check_response("apigateway-v1", event, ERROR, "Unhandled").details["statusCode"] == 500


def test_http_api_payload_1_ignores_extra_keys():
    verdict = check_response("apigateway-v1", {"version": "1.0"}, {"statusCode": 200, "extra": 1}, None)
    assert verdict.ok and verdict.details["notes"] == ["HTTP API ignores the key 'extra'"]


# --------------------------------------------------------------------------- HTTP API payload 2.0

V2_EVENT = {
    "version": "2.0",
    "routeKey": "$default",
    "rawPath": "/",
    "requestContext": {"domainName": "abc.execute-api.us-east-1.amazonaws.com"},
}


@pytest.mark.parametrize(
    ("payload", "body"),
    [("hello", "hello"), ({"a": 1}, '{"a": 1}'), (42, "42"), ([1, "x"], '[1, "x"]'), (None, "null")],
)
def test_v2_infers_200_json_without_status_code(payload, body):
    verdict = check_response("apigateway-v2", V2_EVENT, payload, None)
    assert verdict.source == "API Gateway HTTP API (payload 2.0)"
    assert verdict.details == {
        "statusCode": 200,
        "headers": {"content-type": "application/json"},
        "body": body,
        "cookies": [],
        "inferred": True,
    }
    assert verdict.ok and verdict.summary.endswith("(no statusCode, so it infers 200 and application/json)")


def test_v2_uses_status_code_and_ignores_other_keys():
    verdict = check_response("apigateway-v2", V2_EVENT, {"a": 1, "statusCode": 201}, None)
    assert verdict.ok
    assert verdict.details == {
        "statusCode": 201,
        "headers": {},
        "body": "",
        "cookies": [],
        "inferred": False,
        "notes": ["ignored key: 'a'"],
    }


def test_v2_cookies_and_base64_body_are_always_decoded():
    payload = {
        "statusCode": 201,
        "cookies": ["a=1", "b=2"],
        "isBase64Encoded": True,
        "body": base64.b64encode(b"x").decode(),
        "headers": {"x-h": "v"},
    }
    verdict = check_response("apigateway-v2", V2_EVENT, payload, None)
    assert verdict.details == {
        "statusCode": 201,
        "headers": {"x-h": "v"},
        "body": "x",
        "cookies": ["a=1", "b=2"],
        "inferred": False,
    }


@pytest.mark.parametrize(
    ("payload", "problem"),
    [
        ({"statusCode": 200, "body": {"a": 1}}, "body must be a string"),
        ({"statusCode": 200, "cookies": "a=1"}, "cookies must be a list of strings"),
        ({"statusCode": "abc"}, "statusCode 'abc' is not a number"),
        ({"statusCode": None}, "statusCode is null"),
        (b"\xff", "the function's output is not JSON"),
    ],
)
def test_v2_malformed_answers_give_500(payload, problem):
    verdict = check_response("apigateway-v2", V2_EVENT, payload, None)
    assert not verdict.ok
    assert verdict.details == {"statusCode": 500, "headers": {"Content-Type": "application/json"}, "body": HTTP_500}
    assert verdict.problems[0].startswith(problem)


def test_v2_function_error_gives_500_internal_server_error():
    verdict = check_response("apigateway-v2", V2_EVENT, ERROR, "Unhandled")
    assert verdict.details["statusCode"] == 500 and verdict.details["body"] == {"message": "Internal Server Error"}
    assert verdict.summary == "API Gateway answers 500 Internal Server Error: the function failed (ValueError: boom)"


def test_function_url_uses_payload_2_rules():
    event = {"version": "2.0", "requestContext": {"domainName": "abcdef.lambda-url.us-east-1.on.aws"}}
    verdict = check_response("apigateway-v2", event, {"ok": True}, None)
    assert verdict.source == "Lambda function URL (payload 2.0)" and verdict.details["body"] == '{"ok": true}'


# --------------------------------------------------------------------------- authorizers

METHOD_ARN = "arn:aws:execute-api:us-east-1:123456789012:abcdef123/dev/GET/items"
TOKEN_EVENT = {"type": "TOKEN", "authorizationToken": "Bearer allow", "methodArn": METHOD_ARN}


def policy(effect="Allow", resource="arn:aws:execute-api:us-east-1:123456789012:abcdef123/dev/*", **extra):
    return {
        "principalId": "user-1",
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Action": "execute-api:Invoke", "Effect": effect, "Resource": resource}],
        },
        **extra,
    }


def test_authorizer_allow_passes_principal_and_stringified_context():
    verdict = check_response(
        "apigateway-authorizer-token", TOKEN_EVENT, policy(context={"n": 1, "b": True, "s": "x"}), None
    )
    assert verdict == Verdict(
        "API Gateway Lambda authorizer (TOKEN)",
        True,
        "API Gateway lets the request through as principal 'user-1'",
        {"authorized": True, "authorizer": {"principalId": "user-1", "n": "1", "b": "true", "s": "x"}},
        (),
    )


def test_authorizer_explicit_deny_gives_403_with_capital_message():
    verdict = check_response("apigateway-authorizer-token", TOKEN_EVENT, policy("Deny"), None)
    assert verdict.ok
    assert verdict.details == {
        "authorized": False,
        "statusCode": 403,
        "headers": {"x-amzn-ErrorType": "AccessDeniedException"},
        "body": {"Message": "User is not authorized to access this resource with an explicit deny"},
    }


def test_authorizer_deny_wins_over_allow():
    answer = policy()
    answer["policyDocument"]["Statement"].append(
        {"Action": "execute-api:*", "Effect": "Deny", "Resource": [METHOD_ARN]}
    )
    assert check_response("apigateway-authorizer-request", TOKEN_EVENT, answer, None).details["statusCode"] == 403


def test_authorizer_allow_for_another_method_gives_403():
    verdict = check_response(
        "apigateway-authorizer-token", TOKEN_EVENT, policy(resource=METHOD_ARN.replace("GET", "POST")), None
    )
    assert verdict.details["body"] == {"Message": "User is not authorized to access this resource"}


def test_authorizer_policy_naming_one_method_warns_about_the_cache():
    verdict = check_response("apigateway-authorizer-token", TOKEN_EVENT, policy(resource=METHOD_ARN), None)
    assert verdict.details["authorized"] is True and "caches this policy" in verdict.details["notes"][0]


def test_authorizer_raising_unauthorized_gives_401():
    error = dict(ERROR, errorMessage="Unauthorized", errorType="Exception")
    verdict = check_response("apigateway-authorizer-token", TOKEN_EVENT, error, "Unhandled")
    assert (
        verdict.ok and verdict.details["statusCode"] == 401 and verdict.details["body"] == {"message": "Unauthorized"}
    )


CONFIG_ERROR = {
    "authorized": False,
    "statusCode": 500,
    "headers": {"x-amzn-ErrorType": "AuthorizerConfigurationException"},
    "body": {"message": None},
}


@pytest.mark.parametrize(
    ("answer", "problem"),
    [
        ({"policyDocument": policy()["policyDocument"]}, "principalId is missing"),
        (policy(context={"o": {}}), "context 'o' is an object; values must be strings, numbers or booleans"),
        (policy(context={"l": [1]}), "context 'l' is a list"),
        (policy(effect="allow"), 'Statement[0].Effect must be "Allow" or "Deny"'),
        (
            {"principalId": "u", "policyDocument": {"Version": "2012-10-17", "Statement": {"Effect": "Allow"}}},
            "policyDocument.Statement must be a non-empty list",
        ),
        (
            {"principalId": "u", "policyDocument": {"Statement": policy()["policyDocument"]["Statement"]}},
            "policyDocument.Version must be",
        ),
        ({"principalId": "u"}, "policyDocument is missing"),
        (None, "the authorizer returned null (None)"),
    ],
)
def test_authorizer_malformed_answer_is_a_configuration_error(answer, problem):
    verdict = check_response("apigateway-authorizer-token", TOKEN_EVENT, answer, None)
    assert not verdict.ok and verdict.details == CONFIG_ERROR
    assert any(p.startswith(problem) for p in verdict.problems), verdict.problems


def test_authorizer_other_error_gives_500_message_null():
    verdict = check_response("apigateway-authorizer-request", TOKEN_EVENT, ERROR, "Unhandled")
    assert not verdict.ok and verdict.details == CONFIG_ERROR


def test_http_authorizer_simple_responses():
    event = {"type": "REQUEST", "routeArn": METHOD_ARN}
    allowed = check_response(
        "apigateway-authorizer-http", event, {"isAuthorized": True, "context": {"roles": ["a"]}}, None
    )
    assert allowed.details == {"authorized": True, "authorizer": {"lambda": {"roles": ["a"]}}}
    denied = check_response("apigateway-authorizer-http", event, {"isAuthorized": False}, None)
    assert denied.details["statusCode"] == 403 and denied.details["body"] == {"message": "Forbidden"}
    assert (
        check_response("apigateway-authorizer-http", event, {"isAuthorized": "yes"}, None).details["statusCode"] == 500
    )
    assert check_response("apigateway-authorizer-http", event, policy("Deny"), None).details["statusCode"] == 403


# --------------------------------------------------------------------------- partial batch responses

SQS_EVENT = {
    "Records": [
        {
            "messageId": m,
            "body": "x",
            "eventSource": "aws:sqs",
            "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:q",
        }
        for m in ("m1", "m2", "m3")
    ]
}


@pytest.mark.parametrize("answer", [None, {}, {"batchItemFailures": []}, {"batchItemFailures": None}, b""])
def test_sqs_full_success_answers(answer):
    verdict = check_response("sqs-batch", SQS_EVENT, answer, None)
    assert verdict.ok and verdict.problems == ()
    assert verdict.details == {
        "failed_item_ids": [],
        "retry": "none",
        "report_batch_item_failures": True,
        "deleted_item_ids": ["m1", "m2", "m3"],
    }
    assert verdict.summary == "Lambda deletes all 3 messages from the queue (full success)"


def test_sqs_answer_without_batch_item_failures_is_full_success():
    verdict = check_response("sqs-batch", SQS_EVENT, {"statusCode": 200}, None)
    assert verdict.details["retry"] == "none" and "full success" in verdict.details["notes"][0]


def test_sqs_listed_messages_fail():
    answer = {"batchItemFailures": [{"itemIdentifier": "m3"}, {"itemIdentifier": "m2"}, {"itemIdentifier": "m2"}]}
    verdict = check_response("sqs-batch", SQS_EVENT, answer, None)
    assert verdict.ok
    assert verdict.details == {
        "failed_item_ids": ["m2", "m3"],
        "retry": "items",
        "report_batch_item_failures": True,
        "deleted_item_ids": ["m1"],
    }
    assert verdict.summary == "Lambda deletes 1 message; 2 messages return to the queue for a retry: m2, m3"


@pytest.mark.parametrize(
    ("answer", "problem"),
    [
        ({"batchItemFailures": [{"itemIdentifier": ""}]}, "batchItemFailures[0].itemIdentifier is empty"),
        ({"batchItemFailures": [{"itemIdentifier": None}]}, "batchItemFailures[0].itemIdentifier is null"),
        ({"batchItemFailures": [{"itemId": "m2"}]}, "batchItemFailures[0] has no itemIdentifier (its keys: 'itemId')"),
        ({"batchItemFailures": [{}]}, "batchItemFailures[0] has no itemIdentifier (its keys: none)"),
        (
            {"batchItemFailures": [{"itemIdentifier": "m9"}]},
            "batchItemFailures[0].itemIdentifier 'm9' is not a messageId in this batch",
        ),
        ({"batchItemFailures": [{"itemIdentifier": 2}]}, "batchItemFailures[0].itemIdentifier must be a string"),
        ({"batchItemFailures": ["m2"]}, "batchItemFailures[0] must be an object"),
        ({"batchItemFailures": "m2"}, "batchItemFailures must be a list, got a string"),
        ("ok", "the function returned a string, not an object with batchItemFailures"),
        ([{"itemIdentifier": "m2"}], "the function returned a list"),
        (b"oops", "the function returned bytes that are not JSON"),
    ],
)
def test_sqs_malformed_failures_fail_the_whole_batch(answer, problem):
    verdict = check_response("sqs-batch", SQS_EVENT, answer, None)
    assert not verdict.ok and verdict.problems[0].startswith(problem), verdict.problems
    assert verdict.details == {
        "failed_item_ids": ["m1", "m2", "m3"],
        "retry": "batch",
        "report_batch_item_failures": True,
        "deleted_item_ids": [],
    }
    assert verdict.summary.startswith("the whole batch fails: all 3 messages return to the queue")


def test_sqs_function_error_fails_the_whole_batch():
    verdict = check_response("sqs-batch", SQS_EVENT, ERROR, "Unhandled")
    assert verdict.details["retry"] == "batch" and verdict.problems == ("the function failed (ValueError: boom)",)


def test_sqs_without_report_batch_item_failures_ignores_the_answer():
    answer = {"batchItemFailures": [{"itemIdentifier": "m2"}]}
    verdict = check_response("sqs-batch", SQS_EVENT, answer, None, function_response_types=())
    assert (
        verdict.ok and verdict.details["retry"] == "none" and verdict.details["deleted_item_ids"] == ["m1", "m2", "m3"]
    )
    assert verdict.details["report_batch_item_failures"] is False
    assert verdict.summary.endswith("(batchItemFailures is ignored without ReportBatchItemFailures)")
    failed = check_response("sqs-batch", SQS_EVENT, ERROR, "Unhandled", function_response_types=())
    assert failed.details["retry"] == "batch"


def test_sqs_fifo_warns_when_a_later_message_of_the_group_is_not_reported():
    records = [
        {
            "messageId": m,
            "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:q.fifo",
            "attributes": {"MessageGroupId": g},
        }
        for m, g in (("a", "g1"), ("b", "g1"), ("c", "g2"))
    ]
    event = {"Records": records}
    verdict = check_response("sqs-batch", event, {"batchItemFailures": [{"itemIdentifier": "a"}]}, None)
    assert verdict.ok and "'b' of group 'g1'" in verdict.details["notes"][0]
    fine = check_response(
        "sqs-batch", event, {"batchItemFailures": [{"itemIdentifier": "a"}, {"itemIdentifier": "b"}]}, None
    )
    assert "notes" not in fine.details


def kinesis_event(*sequences: str, **extra) -> dict:
    return {
        "Records": [
            {"kinesis": {"sequenceNumber": s, "data": "eA=="}, "eventSource": "aws:kinesis"} for s in sequences
        ],
        **extra,
    }


KINESIS = kinesis_event("995", "1000", "1005")


def test_kinesis_checkpoints_at_the_lowest_reported_sequence_number():
    answer = {"batchItemFailures": [{"itemIdentifier": "1005"}, {"itemIdentifier": "1000"}]}
    verdict = check_response("kinesis-batch", KINESIS, answer, None)
    assert verdict.ok
    assert verdict.details == {
        "failed_item_ids": ["1000", "1005"],
        "retry": "items",
        "report_batch_item_failures": True,
        "checkpoint": "1000",
        "retried_item_ids": ["1000", "1005"],
    }
    assert verdict.summary == (
        "Lambda checkpoints at sequence number 1000 and retries 2 of 3 records from there (2 reported failed)"
    )


def test_kinesis_compares_sequence_numbers_as_numbers():
    verdict = check_response(
        "kinesis-batch", KINESIS, {"batchItemFailures": [{"itemIdentifier": "1005"}, {"itemIdentifier": "995"}]}, None
    )
    assert verdict.details["checkpoint"] == "995" and verdict.details["retried_item_ids"] == ["995", "1000", "1005"]


def test_kinesis_full_success_and_whole_batch_failure():
    assert check_response("kinesis-batch", KINESIS, None, None).details == {
        "failed_item_ids": [],
        "retry": "none",
        "report_batch_item_failures": True,
        "checkpoint": None,
        "retried_item_ids": [],
    }
    verdict = check_response("kinesis-batch", KINESIS, {"batchItemFailures": [{"itemIdentifier": "7"}]}, None)
    assert not verdict.ok
    assert verdict.details == {
        "failed_item_ids": ["995", "1000", "1005"],
        "retry": "batch",
        "report_batch_item_failures": True,
        "checkpoint": "995",
        "retried_item_ids": ["995", "1000", "1005"],
    }
    assert verdict.problems == (
        "batchItemFailures[0].itemIdentifier '7' is not a kinesis.sequenceNumber in this batch",
    )


def test_tumbling_window_answer_must_carry_state():
    event = kinesis_event("1", "2", window={"start": "a", "end": "b"}, state={})
    verdict = check_response("kinesis-batch", event, {"batchItemFailures": []}, None)
    assert verdict.details["retry"] == "batch"
    assert verdict.problems == ("a tumbling-window invocation must return an object with state",)
    assert check_response("kinesis-batch", event, {"state": {"n": 2}}, None).details["retry"] == "none"


def test_dynamodb_streams_use_the_sequence_number():
    event = {"Records": [{"eventName": "INSERT", "dynamodb": {"SequenceNumber": s}} for s in ("111", "222", "333")]}
    verdict = check_response("dynamodb-batch", event, {"batchItemFailures": [{"itemIdentifier": "222"}]}, None)
    assert verdict.source == "DynamoDB Streams event source mapping"
    assert verdict.details["checkpoint"] == "222" and verdict.details["retried_item_ids"] == ["222", "333"]
    failed = check_response("dynamodb-batch", event, ERROR, "Unhandled")
    assert failed.details["retry"] == "batch" and failed.details["checkpoint"] == "111"


# --------------------------------------------------------------------------- CloudFormation

CFN_CREATE = {
    "RequestType": "Create",
    "ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:f",
    "ResponseURL": "https://example.invalid/put",
    "StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/s/1",
    "RequestId": "req-1",
    "ResourceType": "Custom::Thing",
    "LogicalResourceId": "Thing",
    "ResourceProperties": {"ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:f"},
}


def cfn_document(event=CFN_CREATE, **changes):
    document = {
        "Status": "SUCCESS",
        "PhysicalResourceId": "id-1",
        "StackId": event["StackId"],
        "RequestId": event["RequestId"],
        "LogicalResourceId": event["LogicalResourceId"],
        "Data": {"A": "1"},
    }
    document.update(changes)
    return {k: v for k, v in document.items() if v is not None}


def test_cloudformation_return_value_is_ignored():
    verdict = check_response("cloudformation", CFN_CREATE, None, None)
    assert verdict.ok
    assert verdict.details == {"read_from": "ResponseURL", "checked": False, "resource_status": None, "timeout_s": 3600}
    assert "reads only the response document PUT to ResponseURL" in verdict.summary and "3600 s" in verdict.summary


def test_cloudformation_captured_document_completes_the_resource():
    document = cfn_document()
    verdict = check_response("cloudformation", CFN_CREATE, None, None, response_document=json.dumps(document))
    assert verdict.ok and verdict.summary == "the resource ends CREATE_COMPLETE with PhysicalResourceId 'id-1'"
    assert verdict.details == {
        "read_from": "ResponseURL",
        "checked": True,
        "timeout_s": 3600,
        "document_bytes": len(json.dumps(document)),
        "Status": "SUCCESS",
        "PhysicalResourceId": "id-1",
        "Reason": None,
        "Data": {"A": "1"},
        "NoEcho": None,
        "resource_status": "CREATE_COMPLETE",
        "replacement": False,
        "next_request": None,
    }


def test_cloudformation_returned_document_is_checked_but_flagged_as_unread():
    verdict = check_response("cloudformation", CFN_CREATE, cfn_document(), None)
    assert verdict.ok and verdict.details["read_from"] == "return value"
    assert (
        "CloudFormation ignores" in verdict.summary and "reads only the document PUT to ResponseURL" in verdict.summary
    )


def test_cloudformation_failed_with_reason_fails_the_resource_and_rolls_back():
    verdict = check_response(
        "cloudformation", CFN_CREATE, None, None, response_document=cfn_document(Status="FAILED", Reason="no quota")
    )
    assert verdict.ok and verdict.details["resource_status"] == "CREATE_FAILED"
    assert verdict.details["next_request"] == "Delete"
    assert verdict.summary == "the resource ends CREATE_FAILED with reason 'no quota'"


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"Status": "FAILED"}, "Reason is required when Status is FAILED"),
        ({"Status": "success"}, 'Status must be "SUCCESS" or "FAILED"'),
        ({"PhysicalResourceId": ""}, "PhysicalResourceId is required and must be a non-empty string"),
        ({"PhysicalResourceId": "x" * 1025}, "PhysicalResourceId is longer than 1 KB"),
        ({"StackId": "arn:other"}, "StackId 'arn:other' does not match the request's"),
        ({"RequestId": None}, "RequestId is missing: copy it from the request"),
        ({"NoEcho": "true"}, "NoEcho must be true or false"),
        ({"Data": ["a"]}, "Data must be an object"),
        ({"Data": {"big": "x" * 4000}}, "the response document is"),
    ],
)
def test_cloudformation_bad_documents_fail_the_resource(changes, problem):
    verdict = check_response("cloudformation", CFN_CREATE, None, None, response_document=cfn_document(**changes))
    assert not verdict.ok and verdict.details["resource_status"] == "CREATE_FAILED"
    assert any(p.startswith(problem) for p in verdict.problems), verdict.problems


def test_cloudformation_invalid_json_body():
    verdict = check_response("cloudformation", CFN_CREATE, None, None, response_document=b"{not json")
    assert verdict.problems == ("the response document is not valid JSON",)


def test_cloudformation_new_physical_id_on_update_means_replacement():
    event = dict(CFN_CREATE, RequestType="Update", PhysicalResourceId="id-1", OldResourceProperties={})
    verdict = check_response(
        "cloudformation", event, None, None, response_document=cfn_document(event, PhysicalResourceId="id-2")
    )
    assert verdict.ok and verdict.details["replacement"] is True and verdict.details["next_request"] == "Delete"
    assert verdict.details["resource_status"] == "UPDATE_COMPLETE"
    same = check_response("cloudformation", event, None, None, response_document=cfn_document(event))
    assert same.details["replacement"] is False and same.details["next_request"] is None


def test_cloudformation_delete_must_answer_with_the_id_it_was_sent():
    event = dict(CFN_CREATE, RequestType="Delete", PhysicalResourceId="id-1")
    verdict = check_response(
        "cloudformation", event, None, None, response_document=cfn_document(event, PhysicalResourceId="other")
    )
    assert verdict.problems == ("a Delete must answer with the PhysicalResourceId it was sent ('id-1'), got 'other'",)


def test_cloudformation_function_error_waits_for_the_service_timeout():
    verdict = check_response("cloudformation", dict(CFN_CREATE, ServiceTimeout="60"), ERROR, "Unhandled")
    assert not verdict.ok
    assert verdict.details == {
        "read_from": "ResponseURL",
        "resource_status": "CREATE_FAILED",
        "timeout_s": 60,
        "Reason": "Custom Resource failed to stabilize in expected time",
    }


# --------------------------------------------------------------------------- Cognito


def cognito_event(trigger_source: str, request: dict | None = None, response: dict | None = None) -> dict:
    return {
        "version": "1",
        "triggerSource": trigger_source,
        "region": "us-east-1",
        "userPoolId": "us-east-1_AbC123",
        "userName": "ana",
        "callerContext": {"awsSdkVersion": "aws-sdk-unknown-unknown", "clientId": "client"},
        "request": request or {"userAttributes": {"email": "ana@example.com"}},
        "response": response or {},
    }


def answer(event: dict, **response) -> dict:
    result = copy.deepcopy(event)
    result["response"].update(response)
    return result


SIGN_UP = cognito_event(
    "PreSignUp_SignUp", response={"autoConfirmUser": False, "autoVerifyEmail": False, "autoVerifyPhone": False}
)


def test_pre_sign_up_auto_confirm():
    verdict = check_response(
        "cognito-pre-sign-up", SIGN_UP, answer(SIGN_UP, autoConfirmUser=True, autoVerifyEmail=True), None
    )
    assert verdict.ok and verdict.source == "Cognito User Pool trigger (PreSignUp)"
    assert verdict.summary == "Cognito accepts the answer: the user is CONFIRMED"
    assert verdict.details == {
        "triggerSource": "PreSignUp_SignUp",
        "exception": None,
        "message": None,
        "outcome": {
            "user_status": "CONFIRMED",
            "confirmation_code_sent": False,
            "post_confirmation": True,
            "email_verified": True,
            "phone_number_verified": False,
        },
    }


def test_pre_sign_up_raising_denies_with_the_trigger_message():
    verdict = check_response(
        "cognito-pre-sign-up",
        SIGN_UP,
        dict(ERROR, errorMessage="Registration from this domain is not allowed."),
        "Unhandled",
    )
    assert not verdict.ok
    assert verdict.details == {
        "triggerSource": "PreSignUp_SignUp",
        "exception": "UserLambdaValidationException",
        "message": "PreSignUp failed with error Registration from this domain is not allowed..",
        "outcome": {},
    }


def test_cognito_timeout_is_an_unexpected_lambda_exception():
    timeout = {"errorType": "Sandbox.Timedout", "errorMessage": "RequestId: r Error: Task timed out after 6.00 seconds"}
    verdict = check_response("cognito-pre-sign-up", SIGN_UP, timeout, "Unhandled")
    assert verdict.details["exception"] == "UnexpectedLambdaException"
    assert (
        verdict.details["message"]
        == "PreSignUp invocation failed due to error Socket timeout while invoking Lambda function."
    )


@pytest.mark.parametrize(
    ("payload", "problem"),
    [
        (None, "the function returned null (None); it must return the event it received"),
        ({"autoConfirmUser": True}, "the answer is not the event: it lacks version, triggerSource"),
        (answer(SIGN_UP, autoConfirmUser="yes"), "response.autoConfirmUser must be true or false, got a string"),
        (dict(SIGN_UP, response="ok"), "response must be an object, got a string"),
    ],
)
def test_cognito_unrecognizable_answers(payload, problem):
    verdict = check_response("cognito-pre-sign-up", SIGN_UP, payload, None)
    assert not verdict.ok and verdict.problems[0].startswith(problem)
    assert verdict.details["exception"] == "InvalidLambdaResponseException"
    assert verdict.details["message"] == "Unrecognizable lambda output"


def test_pre_sign_up_auto_verify_needs_the_attribute():
    event = cognito_event("PreSignUp_SignUp", request={"userAttributes": {"name": "Ana"}})
    verdict = check_response("cognito-pre-sign-up", event, answer(event, autoVerifyPhone=True), None)
    assert not verdict.ok and verdict.details["exception"] is None
    assert verdict.problems == (
        "autoVerifyPhone is true but the user has no phone_number attribute, so the sign-up fails",
    )


def test_pre_sign_up_admin_create_user_ignores_the_flags():
    event = cognito_event("PreSignUp_AdminCreateUser")
    verdict = check_response("cognito-pre-sign-up", event, answer(event, autoConfirmUser=True), None)
    assert verdict.ok and verdict.details["outcome"]["user_status"] == "FORCE_CHANGE_PASSWORD"


def test_post_confirmation_response_is_ignored():
    event = cognito_event("PostConfirmation_ConfirmSignUp")
    verdict = check_response("cognito-post-confirmation", event, copy.deepcopy(event), None)
    assert verdict.ok and verdict.summary == "Cognito accepts the answer (this trigger's response is ignored)"


DEFINE = cognito_event(
    "DefineAuthChallenge_Authentication",
    request={
        "userAttributes": {},
        "session": [{"challengeName": "CUSTOM_CHALLENGE", "challengeResult": True, "challengeMetadata": None}],
    },
)


def test_define_auth_challenge_outcomes():
    tokens = check_response(
        "cognito-define-auth-challenge", DEFINE, answer(DEFINE, issueTokens=True, failAuthentication=False), None
    )
    assert tokens.ok and tokens.details["outcome"] == {"next": "issue tokens"}
    fail = check_response(
        "cognito-define-auth-challenge", DEFINE, answer(DEFINE, issueTokens=False, failAuthentication=True), None
    )
    assert fail.ok and fail.details["exception"] == "NotAuthorizedException"
    challenge = check_response(
        "cognito-define-auth-challenge", DEFINE, answer(DEFINE, challengeName="CUSTOM_CHALLENGE"), None
    )
    assert challenge.details["outcome"] == {
        "next": "challenge",
        "challengeName": "CUSTOM_CHALLENGE",
        "next_trigger": "CreateAuthChallenge_Authentication",
    }
    nothing = check_response("cognito-define-auth-challenge", DEFINE, answer(DEFINE), None)
    assert nothing.problems == ("set challengeName, issueTokens or failAuthentication",)
    unknown = check_response("cognito-define-auth-challenge", DEFINE, answer(DEFINE, challengeName="EMAIL_CODE"), None)
    assert unknown.problems[0].startswith("response.challengeName 'EMAIL_CODE' is not a challenge Cognito knows")


def test_define_auth_challenge_warns_when_issuing_tokens_without_a_passed_challenge():
    event = cognito_event("DefineAuthChallenge_Authentication", request={"userAttributes": {}, "session": []})
    verdict = check_response("cognito-define-auth-challenge", event, answer(event, issueTokens=True), None)
    assert verdict.ok and "without a successful challenge" in verdict.details["notes"][0]


def test_create_and_verify_auth_challenge():
    create = cognito_event("CreateAuthChallenge_Authentication")
    good = check_response(
        "cognito-create-auth-challenge",
        create,
        answer(create, publicChallengeParameters={"q": "2+2"}, privateChallengeParameters={"a": "4"}),
        None,
    )
    assert good.ok and good.details["outcome"]["ChallengeParameters"] == {"q": "2+2"}
    bad = check_response(
        "cognito-create-auth-challenge", create, answer(create, privateChallengeParameters={"a": 4}), None
    )
    assert bad.problems == ("response.privateChallengeParameters must be an object of strings",)
    verify = cognito_event("VerifyAuthChallengeResponse_Authentication")
    right = check_response("cognito-verify-auth-challenge-response", verify, answer(verify, answerCorrect=True), None)
    assert right.ok and right.details["outcome"]["challengeResult"] is True
    unset = check_response("cognito-verify-auth-challenge-response", verify, answer(verify), None)
    assert unset.problems == ("response.answerCorrect must be true or false, got null (None)",)


def test_custom_message_must_contain_the_code_placeholder():
    event = cognito_event("CustomMessage_SignUp", request={"userAttributes": {}, "codeParameter": "{####}"})
    good = check_response("cognito-custom-message", event, answer(event, smsMessage="Your code is {####}"), None)
    assert good.ok and good.details["outcome"]["smsMessage"] == "Your code is {####}"
    bad = check_response(
        "cognito-custom-message", event, answer(event, emailMessage="Welcome!", emailSubject="Hi"), None
    )
    assert bad.problems == ("response.emailMessage must contain {####}",)
    default = check_response("cognito-custom-message", event, answer(event), None)
    assert default.summary == "Cognito accepts the answer: Cognito sends its default messages"


def test_custom_message_admin_create_user_needs_the_username_too():
    event = cognito_event(
        "CustomMessage_AdminCreateUser",
        request={"userAttributes": {}, "codeParameter": "{####}", "usernameParameter": "{username}"},
    )
    verdict = check_response("cognito-custom-message", event, answer(event, emailMessage="Password {####}"), None)
    assert verdict.problems == ("response.emailMessage must contain {username}",)


def test_pre_token_generation_rules():
    event = cognito_event("TokenGeneration_Authentication", request={"userAttributes": {}, "groupConfiguration": {}})
    details = {"claimsToAddOrOverride": {"x": "1", "y": "2"}, "claimsToSuppress": ["y", "email"]}
    verdict = check_response("cognito-pre-token-generation", event, answer(event, claimsOverrideDetails=details), None)
    assert verdict.ok and verdict.details["outcome"] == {
        "id_token": {"added": {"x": "1"}, "suppressed": ["y", "email"]}
    }
    reserved = check_response(
        "cognito-pre-token-generation",
        event,
        answer(event, claimsOverrideDetails={"claimsToAddOrOverride": {"sub": "me"}}),
        None,
    )
    assert reserved.problems == ("claimsOverrideDetails changes reserved claims: sub",)
    groups = check_response(
        "cognito-pre-token-generation", event, answer(event, claimsOverrideDetails={"groupOverrideDetails": None}), None
    )
    assert groups.details["outcome"]["cognito:groups"] == []
    v2 = {"accessTokenGeneration": {"claimsToAddOrOverride": {"roles": ["a"]}, "scopesToAdd": ["s"]}}
    assert check_response(
        "cognito-pre-token-generation", event, answer(event, claimsAndScopeOverrideDetails=v2), None
    ).ok


def test_user_migration_rules():
    event = cognito_event("UserMigration_Authentication", request={"password": "pw", "validationData": None})
    attributes = {"email": "ana@example.com", "email_verified": "true"}
    good = check_response(
        "cognito-user-migration",
        event,
        answer(event, userAttributes=attributes, finalUserStatus="CONFIRMED", messageAction="SUPPRESS"),
        None,
    )
    assert good.ok and good.details["outcome"] == {"user_status": "CONFIRMED", "welcome_message": False}
    reset = check_response("cognito-user-migration", event, answer(event, userAttributes=attributes), None)
    assert reset.details["exception"] == "PasswordResetRequiredException"
    missing = check_response("cognito-user-migration", event, answer(event, finalUserStatus="DONE"), None)
    assert missing.problems == (
        "response.userAttributes is required (an object of strings)",
        "response.finalUserStatus must be CONFIRMED or RESET_REQUIRED, got 'DONE'",
    )
    forgot = cognito_event("UserMigration_ForgotPassword")
    unverified = check_response(
        "cognito-user-migration", forgot, answer(forgot, userAttributes={"email": "a@b.c"}), None
    )
    assert unverified.problems == ("forgot-password migration needs a verified email or phone_number to send the code",)


def test_cognito_user_pool_contract_reads_the_trigger_source():
    event = cognito_event("PreAuthentication_Authentication")
    verdict = check_response("cognito-user-pool", event, copy.deepcopy(event), None)
    assert verdict.source == "Cognito User Pool trigger (PreAuthentication)" and verdict.ok
    unknown = check_response("cognito-user-pool", {"triggerSource": "Nope"}, {}, None)
    assert not unknown.ok


def test_custom_sender_triggers_are_asynchronous():
    event = cognito_event("CustomEmailSender_SignUp")
    assert check_response("cognito-custom-email-sender", event, None, None).ok


def test_cognito_sync():
    event = {
        "version": 2,
        "eventType": "SyncTrigger",
        "datasetRecords": {"k": {"oldValue": "a", "newValue": "b", "op": "replace"}},
    }
    assert check_response("cognito-sync", event, copy.deepcopy(event), None).details == {
        "datasetRecords": event["datasetRecords"]
    }
    assert check_response("cognito-sync", event, None, None).problems == (
        "the function returned null (None); it must return the event it received",
    )


# --------------------------------------------------------------------------- Alexa

LAUNCH = {"version": "1.0", "session": {"new": True, "attributes": {}}, "request": {"type": "LaunchRequest"}}
ENDED = {"version": "1.0", "request": {"type": "SessionEndedRequest", "reason": "USER_INITIATED"}}


def alexa(speech=None, **response):
    body = {"outputSpeech": {"type": "PlainText", "text": speech}} if speech is not None else {}
    body.update(response)
    return {"version": "1.0", "sessionAttributes": {"count": 1}, "response": body}


def test_alexa_good_response():
    verdict = check_response("alexa", LAUNCH, alexa("Hello", shouldEndSession=True), None)
    assert verdict.ok and verdict.summary == "Alexa says 'Hello' and the session ends"
    assert verdict.details == {
        "speech": "Hello",
        "reprompt": None,
        "card": None,
        "shouldEndSession": True,
        "session": "ends",
        "sessionAttributes": {"count": 1},
        "response_bytes": len(json.dumps(alexa("Hello", shouldEndSession=True))),
    }


def test_alexa_ssml_is_spoken_without_tags_and_reprompt_keeps_the_mic_open():
    payload = {
        "version": "1.0",
        "response": {
            "outputSpeech": {"type": "SSML", "ssml": "<speak>Hi <break time='1s'/>there</speak>"},
            "reprompt": {"outputSpeech": {"type": "PlainText", "text": "Well?"}},
            "shouldEndSession": False,
        },
    }
    verdict = check_response("alexa", LAUNCH, payload, None)
    assert (
        verdict.ok and verdict.details["speech"] == "Hi there" and verdict.details["session"] == "open, microphone on"
    )
    assert verdict.details["reprompt"] == "Well?" and "notes" not in verdict.details


@pytest.mark.parametrize(
    ("payload", "problem"),
    [
        (
            {"version": "1.0", "response": {"outputSpeech": {"type": "SSML", "ssml": "Hi"}}},
            "response.outputSpeech.ssml must be wrapped in <speak>...</speak>",
        ),
        (alexa("x" * 8001), "response.outputSpeech is 8001 characters; Alexa allows 8000"),
        (
            alexa("hi", card={"type": "Simple", "title": "t" * 4000, "content": "c" * 4001}),
            "the card's text is 8001 characters; Alexa allows 8000 in all",
        ),
        (alexa("hi", card={"type": "Fancy"}), "response.card.type must be one of"),
        (alexa("hi", directives=[{"type": "x", "blob": "y" * 25000}]), "the response is"),
        ({"response": {}}, 'version must be "1.0", got None'),
        ({"version": "1.0"}, "response is missing"),
        (
            {"version": "1.0", "response": {"outputSpeech": {"type": "Text", "text": "x"}}},
            'response.outputSpeech.type must be "PlainText" or "SSML"',
        ),
        (alexa("hi", shouldEndSession="yes"), "response.shouldEndSession must be true, false or absent"),
        (alexa("hi", shouldEndSession={}), "response.shouldEndSession must be true, false or absent"),
        ("Hello", "the function returned a string, not a response envelope"),
    ],
)
def test_alexa_rejects_bad_responses(payload, problem):
    verdict = check_response("alexa", LAUNCH, payload, None)
    assert not verdict.ok and any(p.startswith(problem) for p in verdict.problems), verdict.problems
    assert verdict.summary.startswith("Alexa rejects the response: ")


def test_alexa_session_ended_request_ignores_speech():
    verdict = check_response("alexa", ENDED, alexa("Bye"), None)
    assert not verdict.ok and verdict.details["ignored"] is True
    assert verdict.problems == ("a SessionEndedRequest cannot be answered with speech or a card; Alexa ignores them",)
    assert check_response("alexa", ENDED, {"version": "1.0", "response": {}}, None).ok


def test_alexa_reprompt_without_open_session_is_noted_and_errors_fail():
    verdict = check_response(
        "alexa", LAUNCH, alexa("Hi", reprompt={"outputSpeech": {"type": "PlainText", "text": "?"}}), None
    )
    assert verdict.ok and verdict.details["notes"] == ["a reprompt is spoken only when shouldEndSession is false"]
    assert verdict.details["session"] == "open without the microphone (device-dependent)"
    failed = check_response("alexa", LAUNCH, ERROR, "Unhandled")
    assert not failed.ok and failed.problems == ("the function failed (ValueError: boom)",)


# --------------------------------------------------------------------------- CodePipeline

JOB = {"CodePipeline.job": {"id": "11111111-abcd-1111-abcd-111111abcdef", "accountId": "123456789012", "data": {}}}
JOB_ID = JOB["CodePipeline.job"]["id"]


def test_codepipeline_return_value_is_ignored():
    verdict = check_response("codepipeline", JOB, {"done": True}, None)
    assert verdict.ok
    assert verdict.details == {
        "job_id": JOB_ID,
        "checked": False,
        "action_status": None,
        "timeout_s": 1200,
        "continuation": False,
    }
    assert "must call PutJobSuccessResult or PutJobFailureResult" in verdict.summary and "20 minutes" in verdict.summary


def test_codepipeline_recorded_calls():
    success = check_response(
        "codepipeline", JOB, None, None, service_calls=[("put_job_success_result", {"jobId": JOB_ID})]
    )
    assert success.ok and success.details["action_status"] == "Succeeded" and success.summary == "the action succeeds"
    failure = check_response(
        "codepipeline",
        JOB,
        None,
        None,
        service_calls=[
            (
                "PutJobFailureResult",
                {"jobId": JOB_ID, "failureDetails": {"type": "JobFailed", "message": "tests failed"}},
            )
        ],
    )
    assert failure.ok and failure.details["action_status"] == "Failed"
    assert failure.summary == "the action fails with message 'tests failed'"
    later = check_response(
        "codepipeline",
        JOB,
        None,
        None,
        service_calls=[("PutJobSuccessResult", {"jobId": JOB_ID, "continuationToken": "t1"})],
    )
    assert later.details["action_status"] == "InProgress" and later.details["continuation"] is True


@pytest.mark.parametrize(
    ("calls", "problem"),
    [
        ([], "no PutJobSuccessResult or PutJobFailureResult call"),
        ([("PutJobSuccessResult", {"jobId": "other"})], f"jobId 'other' is not this job's id '{JOB_ID}'"),
        ([("PutJobSuccessResult", {"jobId": JOB_ID})] * 2, "2 result calls for one job"),
        (
            [("PutJobFailureResult", {"jobId": JOB_ID, "failureDetails": {"type": "Oops", "message": "m"}})],
            "failureDetails.type must be one of JobFailed",
        ),
        ([("PutJobFailureResult", {"jobId": JOB_ID})], "PutJobFailureResult needs failureDetails"),
    ],
)
def test_codepipeline_bad_calls(calls, problem):
    verdict = check_response("codepipeline", JOB, None, None, service_calls=calls)
    assert not verdict.ok and verdict.problems[0].startswith(problem)


def test_codepipeline_function_error_hangs_until_the_timeout():
    verdict = check_response("codepipeline", JOB, ERROR, "Unhandled")
    assert not verdict.ok and "20 minutes" in verdict.summary and verdict.details["action_status"] == "Failed"


# --------------------------------------------------------------------------- contract_for and the registry


@pytest.mark.parametrize(
    ("template_id", "contract"),
    [
        ("apigateway/aws-proxy", "apigateway-v1"),
        ("apigateway/http-api-proxy", "apigateway-v2"),
        ("apigateway/authorizer", "apigateway-authorizer-token"),
        ("apigateway/request-authorizer", "apigateway-authorizer-request"),
        ("apigateway/http-api-authorizer", "apigateway-authorizer-http"),
        ("lambda/function-url", "apigateway-v2"),
        ("sqs/receive-message", "sqs-batch"),
        ("sqs/receive-message-fifo", "sqs-batch"),
        ("kinesis/get-records", "kinesis-batch"),
        ("kinesis/kinesis-firehose", None),
        ("kinesis/streams-as-source", None),
        ("dynamodb/update", "dynamodb-batch"),
        ("cloudformation/create-request", "cloudformation"),
        ("cloudformation/update-request", "cloudformation"),
        ("cloudformation/delete-request", "cloudformation"),
        ("alexa-skills-kit/start-session", "alexa"),
        ("alexa-skills-kit/end-session", "alexa"),
        ("alexa-smart-home/smart-home-discovery-request", None),
        ("codepipeline/job", "codepipeline"),
        ("cognito/sync-trigger", "cognito-sync"),
        ("cognito-idp/pre-sign-up", "cognito-pre-sign-up"),
        ("cognito/PreSignUp_AdminCreateUser", "cognito-pre-sign-up"),
        ("cognito-user-pool/post-confirmation", "cognito-post-confirmation"),
        ("cognito-idp/pre-authentication", "cognito-pre-authentication"),
        ("cognito-idp/post-authentication", "cognito-post-authentication"),
        ("cognito-idp/define-auth-challenge", "cognito-define-auth-challenge"),
        ("cognito-idp/create-auth-challenge", "cognito-create-auth-challenge"),
        ("cognito-idp/verify-auth-challenge-response", "cognito-verify-auth-challenge-response"),
        ("cognito-idp/pre-token-generation", "cognito-pre-token-generation"),
        ("cognito-idp/TokenGeneration_HostedAuth", "cognito-pre-token-generation"),
        ("cognito-idp/migrate-user", "cognito-user-migration"),
        ("cognito-idp/user-migration-forgot-password", "cognito-user-migration"),
        ("cognito-idp/custom-message-sign-up", "cognito-custom-message"),
        ("cognito-idp/custom-email-sender", "cognito-custom-email-sender"),
        ("cognito-idp/custom-sms-sender", "cognito-custom-sms-sender"),
        ("cognito-idp/something-else", None),
        ("s3/put", None),
        ("sns/notification", None),
        ("cloudwatch/scheduled-event", None),
        ("alb/request", None),
    ],
)
def test_contract_for(template_id, contract):
    assert contract_for(template_id) == contract


def test_every_sam_template_maps_to_a_known_contract_or_none():
    import pathlib

    catalog = pathlib.Path("/work/shared/reference/sam-generate-event-catalog.json")
    if not catalog.exists():
        pytest.skip("reference catalog not present")
    for template_id in json.loads(catalog.read_text()):
        contract = contract_for(template_id)
        assert contract is None or contract in CONTRACTS, template_id


def test_every_contract_is_checkable():
    for contract in CONTRACTS:
        verdict = check_response(contract, {}, None, None)
        assert isinstance(verdict, Verdict) and verdict.summary and verdict.source


ODD_EVENTS = [
    None,
    {"Records": "x"},
    {"Records": [None, {"messageId": None}]},
    {"request": "x", "triggerSource": 5},
    {"CodePipeline.job": "x"},
    {"requestContext": "x", "headers": [1]},
    {"RequestType": "Update", "ServiceTimeout": "x"},
]
ODD_ANSWERS = [
    None,
    b"\xff",
    "x",
    [None],
    {"response": []},
    {"statusCode": {}, "headers": [1]},
    {"batchItemFailures": [None, {"itemIdentifier": []}]},
    {"response": {"desiredDeliveryMediums": [[1]]}},
]


@pytest.mark.parametrize("contract", sorted(CONTRACTS))
def test_odd_events_and_answers_never_crash_and_ok_means_no_problems(contract):
    for event in ODD_EVENTS:
        for payload in ODD_ANSWERS:
            for error in (None, "Unhandled"):
                verdict = check_response(contract, event, payload, error)
                assert verdict.ok == (not verdict.problems), verdict


def test_unknown_contract_suggests_close_names():
    with pytest.raises(ValueError, match=r"unknown response contract 'sqs-bach'; did you mean sqs-batch"):
        check_response("sqs-bach", {}, None, None)


def test_verdict_text_lists_problems_and_notes():
    verdict = check_response("apigateway-v1", REST_EVENT, {"statusCode": 200, "body": 1}, None)
    assert str(verdict).splitlines() == [
        "API Gateway REST API (proxy, payload 1.0): API Gateway answers 502 Internal server error: "
        "body must be a string, got a number: json.dumps() it first",
        "  - body must be a string, got a number: json.dumps() it first",
    ]


def test_contracts_module_is_pure():
    probe = (
        "import sys, lambda_magic.events.contracts\n"
        "print(' '.join(m for m in ('IPython', 'pandas', 'ipywidgets') if m in sys.modules))"
    )
    output = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert output.strip() == ""
