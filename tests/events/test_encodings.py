"""Every encoding, checked by decoding it back or against an independent implementation."""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import struct
import zlib
from decimal import Decimal
from urllib.parse import unquote_plus

import pytest

from lambda_magic.events import encodings as enc

from .helpers import NOW, records

# --- SQS md5OfBody and md5OfMessageAttributes -----------------------------------------------


@pytest.mark.parametrize("body", ["Hello from SQS!", '{"a": 1}', "ünïcødé ✓", ""])
def test_md5_of_body_is_the_md5_of_the_utf8_body(catalog, body):
    record = records(catalog.render("sqs/receive-message", {"body": body}))[0]
    assert record["md5OfBody"] == hashlib.md5(body.encode("utf-8")).hexdigest()


def test_md5_of_message_attributes_is_absent_without_attributes(catalog):
    record = records(catalog.render("sqs/receive-message"))[0]
    assert record["messageAttributes"] == {} and "md5OfMessageAttributes" not in record


def _sqs_attribute_md5(attributes: dict) -> str:
    """SQS's documented algorithm, written here from the SQS developer guide."""
    digest = hashlib.md5()
    for name in sorted(attributes):
        value = attributes[name]
        for part in (name.encode(), value["dataType"].encode()):
            digest.update(struct.pack(">I", len(part)) + part)
        if "stringValue" in value:
            data = value["stringValue"].encode()
            digest.update(b"\x01" + struct.pack(">I", len(data)) + data)
        else:
            data = base64.b64decode(value["binaryValue"])
            digest.update(b"\x02" + struct.pack(">I", len(data)) + data)
    return digest.hexdigest()


def test_md5_of_message_attributes(catalog):
    attributes = {
        "City": "Any City",
        "Population": 1250800,
        "Ratio": 0.25,
        "Blob": {"dataType": "Binary", "binaryValue": base64.b64encode(b"\x00\x01").decode()},
        "Custom": {"dataType": "Number.int", "stringValue": "5"},
    }
    record = records(catalog.render("sqs/receive-message", {"message_attributes": attributes}))[0]
    sent = record["messageAttributes"]
    assert sent["City"] == {
        "stringValue": "Any City",
        "stringListValues": [],
        "binaryListValues": [],
        "dataType": "String",
    }
    assert sent["Population"]["dataType"] == "Number" and sent["Population"]["stringValue"] == "1250800"
    assert sent["Ratio"]["stringValue"] == "0.25" and sent["Blob"]["dataType"] == "Binary"
    assert record["md5OfMessageAttributes"] == _sqs_attribute_md5(sent)


def test_md5_of_message_attributes_agrees_with_moto():
    models = pytest.importorskip("moto.sqs.models")
    plain = {"b": "x", "a": 12, "c": b"\x00\xff"}
    sent = enc.sqs_message_attributes(plain)
    message = models.Message("id", "body")
    message.message_attributes = {
        name: {
            "DataType": v["dataType"],
            "StringValue": v.get("stringValue"),
            "BinaryValue": base64.b64decode(v["binaryValue"]) if "binaryValue" in v else None,
        }
        for name, v in sent.items()
    }
    assert enc.sqs_attributes_md5(sent) == message.attribute_md5


# --- base64: Kinesis data, HTTP bodies, Firehose and Analytics ------------------------------


@pytest.mark.parametrize(
    "data, expected",
    [
        ("Hello, this is a test 123.", b"Hello, this is a test 123."),
        ({"temp": 21.5}, b'{"temp": 21.5}'),
        ("é", "é".encode()),
    ],
)
def test_kinesis_data_is_base64_of_the_payload(catalog, data, expected):
    record = records(catalog.render("kinesis/get-records", {"records": [data]}))[0]
    assert base64.b64decode(record["kinesis"]["data"], validate=True) == expected


@pytest.mark.parametrize(
    "template_id", ["apigateway/aws-proxy", "apigateway/http-api-proxy", "alb/request", "lambda/function-url"]
)
def test_http_bodies_base64_only_when_asked(catalog, template_id):
    body = '{"test": "body ✓"}'
    plain = catalog.render(template_id, {"body": body})
    assert plain["body"] == body and plain["isBase64Encoded"] is False
    encoded = catalog.render(template_id, {"body": body, "is_base64_encoded": True})
    assert encoded["isBase64Encoded"] is True
    assert base64.b64decode(encoded["body"], validate=True).decode() == body


def test_an_empty_http_body(catalog):
    assert catalog.render("apigateway/aws-proxy", {"body": "", "is_base64_encoded": True})["body"] is None
    assert catalog.render("apigateway/aws-proxy", {"body": ""})["isBase64Encoded"] is False
    assert "body" not in catalog.render("apigateway/http-api-proxy", {"body": ""})
    assert catalog.render("alb/request", {"body": ""})["body"] == ""


@pytest.mark.parametrize(
    "template_id",
    [
        "kinesis/kinesis-firehose",
        "kinesis/apachelog",
        "kinesis/syslog",
        "kinesis/streams-as-source",
        "kinesis/analytics",
        "kinesis/analytics-dynamodb",
    ],
)
def test_firehose_and_analytics_data_decode_to_the_payload(catalog, template_id):
    event = catalog.render(template_id, {"records": ["one", "two"]})
    assert [base64.b64decode(r["data"]).decode() for r in event["records"]] == ["one", "two"]
    default = catalog.get(template_id).param("data").default
    assert base64.b64decode(catalog.render(template_id)["records"][0]["data"]).decode() == default


def test_compressed_analytics_data_is_gzip_then_base64(catalog):
    event = catalog.render("kinesis/analytics-compressed", {"data": '{"ticker": "X"}'})
    raw = base64.b64decode(event["records"][0]["data"])
    assert raw[:2] == b"\x1f\x8b" and json.loads(gzip.decompress(raw)) == {"ticker": "X"}


# --- S3 keys: form-encoded -------------------------------------------------------------------


@pytest.mark.parametrize(
    "key, sent",
    [
        ("red flower.jpg", "red+flower.jpg"),  # the example of the S3 user guide
        ("c++/a+b.txt", "c%2B%2B/a%2Bb.txt"),  # a literal '+' must not read back as a space
        ("photos/2024/é ü.png", "photos/2024/%C3%A9+%C3%BC.png"),
        ("dt=2024-05-04/_SUCCESS", "dt%3D2024-05-04/_SUCCESS"),
        ("a:b (1).log", "a%3Ab+%281%29.log"),
    ],
)
@pytest.mark.parametrize("template_id", ["s3/put", "s3/delete", "s3/delete-marker-created", "rekognition/s3-request"])
def test_s3_keys_are_form_encoded(catalog, template_id, key, sent):
    record = records(catalog.render(template_id, {"key": key}))[0]
    assert record["s3"]["object"]["key"] == sent
    assert unquote_plus(sent) == key  # what a handler (or powertools) decodes


def test_s3_batch_keys_are_encoded_too(catalog):
    task = catalog.render("s3/batch-invocation", {"key": "my file+1.txt"})["tasks"][0]
    assert unquote_plus(task["s3Key"]) == "my file+1.txt" and " " not in task["s3Key"]


# --- CloudWatch Logs: base64(gzip(JSON)) -----------------------------------------------------


def _logs(event: dict) -> dict:
    raw = base64.b64decode(event["awslogs"]["data"], validate=True)
    assert raw[:2] == b"\x1f\x8b"  # gzip, not raw deflate
    assert zlib.decompress(raw, 47) == gzip.decompress(raw)  # the way powertools reads it
    return json.loads(gzip.decompress(raw))


def test_cloudwatch_logs_data_decodes_to_the_events_passed(catalog):
    given = [
        "first line",
        {"message": "second", "timestamp": 1714566890000},
        {"level": "ERROR", "msg": "boom"},
        {"message": "x", "extractedFields": {"status": 500}},
    ]
    payload = _logs(catalog.render("cloudwatch/logs", {"log_events": given, "log_group": "/aws/lambda/f"}, now=NOW))
    assert payload["messageType"] == "DATA_MESSAGE" and payload["owner"] == "123456789012"
    assert payload["logGroup"] == "/aws/lambda/f"
    assert [e["message"] for e in payload["logEvents"]] == [
        "first line",
        "second",
        '{"level": "ERROR", "msg": "boom"}',
        "x",
    ]
    assert payload["logEvents"][1]["timestamp"] == 1714566890000
    assert payload["logEvents"][3]["extractedFields"] == {"status": "500"}
    assert all(isinstance(e["timestamp"], int) and e["id"].isdigit() for e in payload["logEvents"])
    assert len({e["id"] for e in payload["logEvents"]}) == 4


def test_cloudwatch_logs_count_repeats_the_message(catalog):
    payload = _logs(catalog.render("cloudwatch/logs", {"log_events": 3, "message": "tick"}))
    assert [e["message"] for e in payload["logEvents"]] == ["tick"] * 3


def test_firehose_cloudwatch_logs_records(catalog):
    event = catalog.render("kinesis/cloudwatch-logs-processor", {"log_events": ["a", "b"]})
    control, data = (json.loads(gzip.decompress(base64.b64decode(r["data"]))) for r in event["records"])
    assert control["messageType"] == "CONTROL_MESSAGE"
    assert data["messageType"] == "DATA_MESSAGE" and [e["message"] for e in data["logEvents"]] == ["a", "b"]
    assert len(catalog.render("kinesis/cloudwatch-logs-processor", {"control_message": False})["records"]) == 1


# --- DynamoDB attribute values --------------------------------------------------------------

PLAIN_ITEM = {
    "Id": Decimal("101"),
    "Name": "Ann",
    "Price": Decimal("9.5"),
    "Active": True,
    "Gone": None,
    "Blob": b"\x00\x01\x02",
    "Tags": {"a", "b"},
    "Scores": {Decimal("1"), Decimal("2.5")},
    "Blobs": {b"x", b"y"},
    "List": [Decimal("1"), "two", [False]],
    "Map": {"nested": {"deep": "yes"}},
}


def test_dynamodb_values_match_boto3s_serializer():
    types = pytest.importorskip("boto3.dynamodb.types")
    serializer = types.TypeSerializer()
    expected = {name: serializer.serialize(value) for name, value in PLAIN_ITEM.items()}
    ours = enc.dynamodb_item(PLAIN_ITEM)
    for name in ("Tags", "Scores", "Blobs"):  # sets have no order
        ((kind, values),) = expected[name].items()
        expected[name] = {kind: sorted(values if kind != "BS" else [base64.b64encode(v).decode() for v in values])}
        ours[name] = {kind: sorted(next(iter(ours[name].values())))}
    expected["Blob"] = {"B": base64.b64encode(PLAIN_ITEM["Blob"]).decode()}  # boto3 keeps bytes; JSON carries base64
    assert ours == expected


def test_dynamodb_values_round_trip_through_boto3s_deserializer(catalog):
    types = pytest.importorskip("boto3.dynamodb.types")
    deserializer = types.TypeDeserializer()
    event = catalog.render("dynamodb/update", {"records": [{"new_image": {k: v for k, v in PLAIN_ITEM.items()}}]})
    image = records(event)[0]["dynamodb"]["NewImage"]
    decoded = {}
    for name, value in image.items():
        if "B" in value:
            value = {"B": base64.b64decode(value["B"])}
        elif "BS" in value:
            value = {"BS": [base64.b64decode(v) for v in value["BS"]]}
        decoded[name] = deserializer.deserialize(value)
    decoded["Blob"] = bytes(decoded["Blob"])
    decoded["Blobs"] = {bytes(b) for b in decoded["Blobs"]}
    assert decoded == PLAIN_ITEM


def test_dynamodb_values_from_json(catalog):
    item = {
        "Id": 7,
        "F": 1.50,
        "Whole": 2.0,
        "S": {"$set": ["b", "a"]},
        "N": {"$set": [3, 1.5]},
        "Bin": {"$bytes": "AAE="},
        "BS": {"$set": [{"$bytes": "AA=="}]},
        "L": [None, True],
        "M": {"k": "v"},
    }
    image = records(catalog.render("dynamodb/update", {"records": json.dumps([item])}))[0]["dynamodb"]["NewImage"]
    assert image["Id"] == {"N": "7"} and image["F"] == {"N": "1.5"} and image["Whole"] == {"N": "2"}
    assert image["S"] == {"SS": ["a", "b"]} and sorted(image["N"]["NS"], key=float) == ["1.5", "3"]
    assert image["Bin"] == {"B": "AAE="} and image["BS"] == {"BS": ["AA=="]}
    assert image["L"] == {"L": [{"NULL": True}, {"BOOL": True}]} and image["M"] == {"M": {"k": {"S": "v"}}}


def test_numbers_are_strings_and_mixed_sets_are_refused():
    assert enc.dynamodb_value(10**30) == {"N": "1000000000000000000000000000000"}
    assert enc.dynamodb_value(-0.5) == {"N": "-0.5"}
    with pytest.raises(ValueError, match="only strings, only numbers or only binary"):
        enc.dynamodb_value({"a", 1})
    with pytest.raises(ValueError, match="has no DynamoDB type"):
        enc.dynamodb_value(object())


# --- SNS attributes, string values, KPL ------------------------------------------------------


def test_sns_message_attributes(catalog):
    attributes = {"s": "x", "n": 5, "a": ["x", 1], "b": b"\x01", "t": {"Type": "String", "Value": "y"}}
    event = catalog.render("sns/notification", {"message_attributes": attributes})
    sent = records(event)[0]["Sns"]["MessageAttributes"]
    assert sent == {
        "s": {"Type": "String", "Value": "x"},
        "n": {"Type": "Number", "Value": "5"},
        "a": {"Type": "String.Array", "Value": '["x", 1]'},
        "b": {"Type": "Binary", "Value": "AQ=="},
        "t": {"Type": "String", "Value": "y"},
    }


def test_cloudformation_properties_arrive_as_strings(catalog):
    given = {"Flag": True, "Count": 14, "List": [1, False], "Nested": {"N": 2.5}}
    event = catalog.render("cloudformation/create-request", {"resource_properties": given})
    properties = event["ResourceProperties"]
    assert properties["Flag"] == "true" and properties["Count"] == "14"
    assert properties["List"] == ["1", "false"] and properties["Nested"] == {"N": "2.5"}
    assert properties["ServiceToken"] == event["ServiceToken"]


def _protobuf_fields(data: bytes):
    """A minimal protobuf reader (varint and length-delimited fields) for the KPL check."""

    def varint(i):
        shift = result = 0
        while True:
            byte = data[i]
            result |= (byte & 0x7F) << shift
            i += 1
            if not byte & 0x80:
                return result, i
            shift += 7

    i = 0
    while i < len(data):
        key, i = varint(i)
        field, wire = key >> 3, key & 7
        if wire == 0:
            value, i = varint(i)
        else:
            assert wire == 2
            length, i = varint(i)
            value, i = data[i : i + length], i + length
        yield field, value


def test_kpl_aggregate_decodes_to_the_user_records(catalog):
    event = catalog.render("kinesis/analytics-kpl", {"records": ["one", {"two": 2}], "partition_key": "pk"})
    raw = base64.b64decode(event["records"][0]["data"])
    assert raw[:4] == bytes.fromhex("f3899ac2")  # the KPL magic number
    message, checksum = raw[4:-16], raw[-16:]
    assert hashlib.md5(message).digest() == checksum
    fields = list(_protobuf_fields(message))
    assert [value for field, value in fields if field == 1] == [b"pk"]  # partition key table
    datas = [dict(_protobuf_fields(value))[3] for field, value in fields if field == 3]
    assert datas == [b"one", b'{"two": 2}']
