"""Rendering: typed values, records, freshness and reproducibility, errors, and the engine."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from lambda_magic.common.errors import (
    InvalidParameterValueException,
    LambdaMagicError,
    UnknownParameterError,
)
from lambda_magic.events import Catalog
from lambda_magic.events.render import TemplateBodyError

from .helpers import NOW, NOW_EPOCH_MS, is_uuid, records

# --- values go in as JSON values ------------------------------------------------------------


@pytest.mark.parametrize("body", ['{"a":1}', 'say "hi"\n\tand \\ leave', "ünïcødé ✓ 🚀", "", "</script>"])
def test_any_text_survives_as_a_json_value(catalog, body):
    event = catalog.render("sqs/receive-message", {"body": body})
    assert json.loads(json.dumps(event))["Records"][0]["body"] == body  # valid JSON, exact text


def test_a_json_body_is_the_text_a_handler_parses(catalog):
    event = catalog.render("sqs/receive-message", {"body": '{"a": 1}'})
    assert json.loads(event["Records"][0]["body"]) == {"a": 1}
    as_object = catalog.render("sqs/receive-message", {"body": {"a": [1, "x"]}})
    assert json.loads(as_object["Records"][0]["body"]) == {"a": [1, "x"]}


def test_user_values_are_never_read_as_placeholders(catalog):
    sneaky = {"$param": "queue_name", "$fmt": "{account_id}"}
    event = catalog.render("eventbridge/custom-event", {"detail": sneaky, "source": "{region}"})
    assert event["detail"] == sneaky and event["source"] == "{region}"


def test_quotes_in_names_keep_arns_intact(catalog):
    event = catalog.render("sns/notification", {"topic": 'we"ird'})
    assert event["Records"][0]["Sns"]["TopicArn"].endswith(':we"ird')


def test_rendering_returns_plain_json_that_shares_nothing(catalog):
    detail = {"k": [1, 2]}
    event = catalog.render("eventbridge/custom-event", {"detail": detail})
    event["detail"]["k"].append(3)
    assert detail == {"k": [1, 2]}
    assert catalog.render("eventbridge/custom-event", {"detail": detail})["detail"] == {"k": [1, 2]}
    assert catalog.get("eventbridge/custom-event").param("detail").default["items"] == ["book", "pen"]


# --- typed parameters and coercion from strings (--param K=V) -----------------------------


@pytest.mark.parametrize("given, expected", [(2048, 2048), ("2048", 2048), (" 7 ", 7)])
def test_integers_from_strings(catalog, given, expected):
    assert records(catalog.render("s3/put", {"size": given}))[0]["s3"]["object"]["size"] == expected


@pytest.mark.parametrize("given, expected", [(True, True), ("true", True), ("YES", True), ("0", False), ("off", False)])
def test_booleans_from_strings(catalog, given, expected):
    event = catalog.render("apigateway/aws-proxy", {"is_base64_encoded": given})
    assert event["isBase64Encoded"] is expected


def test_json_from_strings_and_objects(catalog):
    text = catalog.render("apigateway/aws-proxy", {"querystringparameters": '{"q": "x", "n": ["1", "2"]}'})
    objects = catalog.render("apigateway/aws-proxy", {"querystringparameters": {"q": "x", "n": ["1", "2"]}})
    for event in (text, objects):
        assert event["queryStringParameters"] == {"q": "x", "n": "2"}
        assert event["multiValueQueryStringParameters"] == {"q": ["x"], "n": ["1", "2"]}


def test_none_for_a_generated_parameter_means_generate(catalog):
    event = catalog.render("kinesis/get-records", {"sequence": None})
    assert records(event)[0]["kinesis"]["sequenceNumber"].isdigit()


@pytest.mark.parametrize(
    "template_id, params, expected",
    [
        ("s3/put", {"size": "big"}, "parameter 'size' of s3/put expects an integer, e.g. 1024"),
        ("s3/put", {"size": True}, "parameter 'size' of s3/put expects an integer"),
        ("s3/put", {"size": None}, "parameter 'size' of s3/put expects an integer"),
        ("s3/put", {"bucket": 5}, "parameter 'bucket' of s3/put expects a string; got 5"),
        ("apigateway/aws-proxy", {"is_base64_encoded": "maybe"}, "expects true or false; got 'maybe'"),
        ("apigateway/aws-proxy", {"querystringparameters": "{not json"}, "expects JSON, e.g."),
        ("apigateway/aws-proxy", {"querystringparameters": "{not json"}, "invalid JSON: Expecting property name"),
        ("apigateway/aws-proxy", {"method": "FETCH"}, "expects one of 'GET', 'POST'"),
        ("sqs/receive-message", {"records": 0}, "expects a count from 1 to 10000 or a non-empty list of records"),
        ("sqs/receive-message", {"records": []}, "non-empty list"),
        ("sqs/receive-message", {"records": "many"}, "expects a count from 1 to 10000"),
        ("sqs/receive-message", {"records": 10001}, "expects a count from 1 to 10000"),
        ("eventbridge/custom-event", {"detail": {"x": float("nan")}}, "NaN and infinity are not JSON"),
        ("eventbridge/custom-event", {"detail": {1: "x"}}, "object keys must be strings"),
        ("eventbridge/custom-event", {"detail": object()}, "object is not JSON"),
        ("sqs/receive-message-fifo", {"records": 11}, "asks for 11 records; this source sends at most 10 in one event"),
        ("sqs/receive-message-fifo", {"queue_name": "Plain"}, "a FIFO queue's name ends in '.fifo'"),
        ("kinesis/get-records", {"sequence": "12ab"}, "a sequence number must be a string of decimal digits"),
        ("dynamodb/update", {"records": [{"Other": 1}]}, "lacks the key attributes ['Id']"),
        (
            "dynamodb/update",
            {"records": [{"event_name": "UPSERT", "new_image": {"Id": 1}}]},
            "INSERT, MODIFY or REMOVE",
        ),
        (
            "dynamodb/update",
            {"records": [{"event_name": "MODIFY", "new_image": {"Id": 1}}]},
            "needs new_image and old_image",
        ),
        ("dynamodb/update", {"new_image": {"Id": 1, "S": {"$set": []}}}, "DynamoDB does not allow an empty set"),
        ("apigateway/aws-proxy", {"resource": "/items/{id}", "path": "/users/1"}, "does not match the resource"),
        ("sqs/receive-message", {"message_attributes": {"bad name": "x"}}, "message attribute name 'bad name'"),
        ("cloudwatch/logs", {"log_events": [{"message": "m", "timestamp": "now"}]}, "epoch milliseconds"),
    ],
)
def test_bad_values_say_what_is_expected_in_one_line(catalog, template_id, params, expected):
    with pytest.raises(InvalidParameterValueException) as info:
        catalog.render(template_id, params)
    message = str(info.value)
    assert expected in message and "\n" not in message
    assert isinstance(info.value, LambdaMagicError)


def test_values_json_cannot_carry_are_refused_outside_dynamodb(catalog):
    with pytest.raises(InvalidParameterValueException, match="sets and bytes belong in DynamoDB images only"):
        catalog.render("eventbridge/custom-event", {"detail": {"tags": {"a", "b"}}})
    with pytest.raises(InvalidParameterValueException, match="expects a string"):
        catalog.render("sqs/receive-message", {"body": {"raw": b"x"}})
    with pytest.raises(InvalidParameterValueException, match="params must map parameter names to values"):
        catalog.render("s3/put", ["bucket"])  # type: ignore[arg-type]


def test_unknown_parameter_names_the_closest(catalog):
    with pytest.raises(UnknownParameterError) as info:
        catalog.render("s3/put", {"buckt": "b"})
    message = str(info.value)
    assert message.startswith("unknown parameter 'buckt' for s3/put; did you mean 'bucket'?")
    assert "(parameters: bucket, key, size, event_name, etag, version_id)" in message
    assert isinstance(info.value, InvalidParameterValueException)


def test_sam_style_spellings_find_the_snake_case_name(catalog):
    with pytest.raises(UnknownParameterError, match=r"did you mean 'queue_name'\?"):
        catalog.render("sqs/receive-message", {"queue-name": "q"})
    with pytest.raises(UnknownParameterError, match=r"did you mean 'partition_key'\?"):
        catalog.render("kinesis/get-records", {"partitionKey": "k"})


def test_region_as_a_parameter_points_to_the_render_option(catalog):
    with pytest.raises(UnknownParameterError) as info:
        catalog.render("s3/put", {"region": "eu-west-1"})
    assert str(info.value) == (
        "'region' is not a parameter of s3/put; it is an option of every template: pass region=... to render()"
    )


# --- records: a count or a list ----------------------------------------------------------


def test_records_as_a_count(catalog):
    event = catalog.render("sqs/receive-message", {"records": 3, "body": "same"})
    batch = records(event)
    assert [r["body"] for r in batch] == ["same"] * 3
    assert len({r["messageId"] for r in batch}) == 3 and all(is_uuid(r["messageId"]) for r in batch)
    assert len({r["receiptHandle"] for r in batch}) == 3


def test_records_as_a_list(catalog):
    event = catalog.render("sqs/receive-message", {"records": ["a", "b", {"c": 1}, [1, 2]]})
    assert [r["body"] for r in records(event)] == ["a", "b", '{"c": 1}', "[1, 2]"]


@pytest.mark.parametrize(
    "template_id",
    [
        "sqs/receive-message",
        "sqs/receive-message-fifo",
        "sns/notification",
        "kinesis/get-records",
        "dynamodb/update",
        "kinesis/kinesis-firehose",
        "kinesis/streams-as-source",
        "kinesis/analytics",
    ],
)
def test_records_parameter_on_every_batch_source(catalog, template_id):
    param = catalog.get(template_id).param("records")
    assert param is not None and param.type == "records"
    assert len(catalog.render(template_id, {"records": 2})[_batch_key(template_id)]) == 2
    assert len(catalog.render(template_id, {"records": "4"})[_batch_key(template_id)]) == 4


def _batch_key(template_id: str) -> str:
    return (
        "Records"
        if template_id.split("/")[0] in ("sqs", "sns", "dynamodb") or template_id.endswith("get-records")
        else "records"
    )


def test_records_from_a_json_string(catalog):
    event = catalog.render("kinesis/get-records", {"records": '["x", "y"]'})
    assert [r["kinesis"]["data"] for r in records(event)] == ["eA==", "eQ=="]


@pytest.mark.parametrize(
    "template_id, path",
    [
        ("kinesis/get-records", ("kinesis", "sequenceNumber")),
        ("dynamodb/update", ("dynamodb", "SequenceNumber")),
        ("sqs/receive-message-fifo", ("attributes", "SequenceNumber")),
    ],
)
def test_sequence_numbers_increase_along_the_batch(catalog, template_id, path):
    batch = records(catalog.render(template_id, {"records": 6 if "fifo" not in template_id else 10}))
    numbers = [int(r[path[0]][path[1]]) for r in batch]
    assert numbers == sorted(numbers) and len(set(numbers)) == len(numbers)


def test_kinesis_sequence_starts_where_asked(catalog):
    start = "49545115243490985018280067714973144582180062593244200961"
    batch = records(catalog.render("kinesis/get-records", {"records": 3, "sequence": start}))
    assert batch[0]["kinesis"]["sequenceNumber"] == start
    assert int(batch[2]["kinesis"]["sequenceNumber"]) > int(batch[1]["kinesis"]["sequenceNumber"]) > int(start)


# --- fresh by default, reproducible with seed and now -------------------------------------


def test_same_seed_and_now_give_identical_json(catalog):
    for template in catalog.templates():
        first = catalog.render(template.id, seed=11, now=NOW)
        second = catalog.render(template.id, seed=11, now=NOW)
        assert json.dumps(first, sort_keys=True) == json.dumps(second, sort_keys=True), template.id


def test_another_seed_gives_other_ids(catalog):
    one = records(catalog.render("sqs/receive-message", seed=1, now=NOW))[0]
    two = records(catalog.render("sqs/receive-message", seed=2, now=NOW))[0]
    assert one["messageId"] != two["messageId"]
    assert one["attributes"]["SentTimestamp"] == two["attributes"]["SentTimestamp"]


def test_ids_are_fresh_and_time_current_without_seed(catalog):
    before = datetime.now(timezone.utc)
    events = [catalog.render("cloudwatch/scheduled-event") for _ in range(3)]
    after = datetime.now(timezone.utc)
    assert len({e["id"] for e in events}) == 3
    for event in events:
        moment = datetime.strptime(event["time"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
        assert before - timedelta(seconds=1) <= moment <= after
    request_ids = {catalog.render("apigateway/aws-proxy")["requestContext"]["requestId"] for _ in range(3)}
    assert len(request_ids) == 3


def test_now_sets_every_timestamp(catalog):
    event = catalog.render("sqs/receive-message", now=NOW)
    assert records(event)[0]["attributes"]["ApproximateFirstReceiveTimestamp"] == str(NOW_EPOCH_MS)
    naive = catalog.render("cloudwatch/scheduled-event", now=NOW.replace(tzinfo=None))
    assert naive["time"] == "2024-05-01T12:34:56Z"
    other_zone = NOW.astimezone(timezone(timedelta(hours=2)))
    assert catalog.render("cloudwatch/scheduled-event", now=other_zone)["time"] == "2024-05-01T12:34:56Z"


def test_resource_ids_stay_the_same_across_requests(catalog):
    stacks = {catalog.render(f"cloudformation/{kind}-request")["StackId"] for kind in ("create", "update", "delete")}
    assert len(stacks) == 1
    requests = {
        catalog.render(f"cloudformation/{kind}-request")["RequestId"] for kind in ("create", "update", "delete")
    }
    assert len(requests) == 3


# --- account, region, partition -------------------------------------------------------------


def test_arns_follow_region_and_account(catalog):
    event = catalog.render("sqs/receive-message", region="eu-west-2", account_id="111122223333")
    record = records(event)[0]
    assert record["eventSourceARN"] == "arn:aws:sqs:eu-west-2:111122223333:MyQueue"
    assert record["awsRegion"] == "eu-west-2"
    china = records(catalog.render("kinesis/get-records", region="cn-north-1"))[0]
    assert china["eventSourceARN"].startswith("arn:aws-cn:kinesis:cn-north-1:")
    gov = catalog.render("cloudwatch/scheduled-event", region="us-gov-west-1")
    assert gov["resources"][0].startswith("arn:aws-us-gov:events:us-gov-west-1:")


@pytest.mark.parametrize(
    "options, expected",
    [
        ({"region": "Europe"}, "region must look like 'us-east-1'"),
        ({"account_id": "12345"}, "account_id must be 12 digits"),
        ({"account_id": 123456789012}, "account_id must be 12 digits"),
        ({"seed": "x"}, "seed must be an integer"),
        ({"now": "2024-01-01"}, "now must be a datetime"),
    ],
)
def test_bad_render_options(catalog, options, expected):
    with pytest.raises(InvalidParameterValueException, match=expected):
        catalog.render("s3/put", **options)


# --- the engine, on small synthetic templates ---------------------------------------------


def _catalog(body, params=(), variables=None) -> Catalog:
    data = {
        "id": "demo/event",
        "service": "demo",
        "event": "event",
        "description": "A demo.",
        "params": [dict({"choices": None, "encoding": None, "description": "A parameter."}, **p) for p in params],
        "body": body,
    }
    if variables is not None:
        data["vars"] = variables
    return Catalog.from_files(iter([("templates/demo/event.json", json.dumps(data))]))


def test_if_omit_literal_and_optional_vars():
    body = {
        "a": {"$if": {"$param": "flag"}, "then": 1, "else": 2},
        "b": {"$if": {"$param": "flag"}, "then": "kept"},
        "c": {"$if": {"$param": "mode"}, "equals": "x", "then": "is x", "else": "not x"},
        "d": {"$if": {"$param": "mode"}, "in": ["y", "z"], "then": "y or z"},
        "e": {"$omit": True},
        "f": {"$literal": {"$param": "flag"}},
        "g": {"$var": "thing.missing", "optional": True},
        "h": [1, {"$omit": True}, 3],
    }
    params = [{"name": "flag", "type": "boolean", "default": False}, {"name": "mode", "type": "string", "default": "x"}]
    catalog = _catalog(body, params, {"thing": {"present": 1}})
    assert catalog.render("demo/event") == {"a": 2, "c": "is x", "f": {"$param": "flag"}, "h": [1, 3]}
    assert catalog.render("demo/event", {"flag": True, "mode": "z"}) == {
        "a": 1,
        "b": "kept",
        "c": "not x",
        "d": "y or z",
        "f": {"$param": "flag"},
        "h": [1, 3],
    }


def test_vars_are_computed_once_and_in_order():
    body = {"first": {"$var": "id"}, "again": {"$var": "id"}, "arn": {"$var": "arn"}}
    variables = {"id": {"$id": "uuid"}, "arn": {"$fmt": "arn:{partition}:x:{region}:{account_id}:{id}"}}
    event = _catalog(body, variables=variables).render("demo/event", region="eu-west-1")
    assert event["first"] == event["again"] and is_uuid(event["first"])
    assert event["arn"] == f"arn:aws:x:eu-west-1:123456789012:{event['first']}"


@pytest.mark.parametrize(
    "body, message",
    [
        ({"x": {"$nope": 1}}, "unknown placeholder '$nope'"),
        ({"x": {"$param": "missing"}}, "$param 'missing' is not a parameter"),
        ({"x": {"$var": "missing"}}, "$var 'missing' is not defined"),
        ({"x": {"$fmt": "{missing}"}}, "missing is not defined"),
        ({"x": {"$derive": "rot13", "of": "a"}}, "unknown derivation 'rot13'"),
        ({"x": {"$time": "stardate"}}, "unknown time format 'stardate'"),
    ],
)
def test_template_body_mistakes_are_packaging_errors(body, message):
    catalog = _catalog(body)
    with pytest.raises((TemplateBodyError, ValueError)) as info:
        catalog.render("demo/event")
    assert message in str(info.value)
    assert not isinstance(info.value, LambdaMagicError)
