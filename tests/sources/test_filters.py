"""FilterCriteria: Lambda event filtering with EventBridge patterns, for SQS, Kinesis and DynamoDB Streams.

The expected results come from AWS's documentation; where a test uses a doc example, the
example is quoted in a comment with its page:

* DG-FILTER  https://docs.aws.amazon.com/lambda/latest/dg/invocation-eventfiltering.html
  (archived: github.com/awsdocs/aws-lambda-developer-guide doc_source/invocation-eventfiltering.md)
* DG-SQS / DG-KINESIS / DG-DDB  .../lambda/latest/dg/with-sqs-filtering.html, with-kinesis-filtering.html,
  with-ddb-filtering.html
* EB-OPS  https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html
* EB-CONTENT  .../eventbridge/latest/userguide/eb-event-patterns-content-based-filtering.html
* EB-ARRAYS / EB-NULL  .../eb-event-patterns-arrays.html, .../eb-event-patterns-null-values.html
* RULER  github.com/aws/event-ruler README.md (the engine behind EventBridge patterns)
"""

from __future__ import annotations

import base64
import copy
import json

import pytest

from lambda_magic.common.errors import InvalidParameterValueException
from lambda_magic.sources.filters import MAX_FILTERS, FilterCriteria, record_view


def criteria(*patterns: dict | str) -> FilterCriteria:
    filters = [{"Pattern": p if isinstance(p, str) else json.dumps(p)} for p in patterns]
    return FilterCriteria.parse({"Filters": filters})


def match(pattern: dict | str, record: dict) -> bool:
    return criteria(pattern).matches(record)


def sqs_record(body: str, **extra) -> dict:
    # DG-SQS example record, with the body replaced.
    record = {
        "messageId": "059f36b4-87a3-44ab-83d2-661975830a7d",
        "receiptHandle": "AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a...",
        "body": body,
        "attributes": {
            "ApproximateReceiveCount": "1",
            "SentTimestamp": "1545082649183",
            "SenderId": "AIDAIENQZJOLO23YVJ4VO",
            "ApproximateFirstReceiveTimestamp": "1545082649185",
        },
        "messageAttributes": {},
        "md5OfBody": "e4e68fb7bd0e697a0ae8f1bb342846b3",
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-west-2:123456789012:my-queue",
        "awsRegion": "us-west-2",
    }
    record.update(extra)
    return record


def kinesis_record(data: bytes | str, partition_key: str = "1") -> dict:
    # DG-KINESIS example record, with the data replaced.
    encoded = data if isinstance(data, str) else base64.b64encode(data).decode()
    return {
        "kinesis": {
            "kinesisSchemaVersion": "1.0",
            "partitionKey": partition_key,
            "sequenceNumber": "49590338271490256608559692538361571095921575989136588898",
            "data": encoded,
            "approximateArrivalTimestamp": 1545084650.987,
        },
        "eventSource": "aws:kinesis",
        "eventVersion": "1.0",
        "eventID": "shardId-000000000006:49590338271490256608559692538361571095921575989136588898",
        "eventName": "aws:kinesis:record",
        "invokeIdentityArn": "arn:aws:iam::123456789012:role/lambda-role",
        "awsRegion": "us-east-2",
        "eventSourceARN": "arn:aws:kinesis:us-east-2:123456789012:stream/lambda-stream",
    }


def ddb_record(event_name: str = "INSERT", **images) -> dict:
    # DG-DDB example record (primary key CustomerName; AccountManager, PaymentTerms).
    new_image = images.get(
        "NewImage",
        {
            "AccountManager": {"S": "Pat Candella"},
            "PaymentTerms": {"S": "60 days"},
            "CustomerName": {"S": "AnyCompany Industries"},
        },
    )
    return {
        "eventID": "1",
        "eventName": event_name,
        "eventVersion": "1.0",
        "eventSource": "aws:dynamodb",
        "awsRegion": "us-east-1",
        "eventSourceARN": "arn:aws:dynamodb:us-east-1:123456789012:table/Customers/stream/2024-01-01T00:00:00.000",
        "dynamodb": {
            "ApproximateCreationDateTime": 1678831218.0,
            "Keys": {"CustomerName": {"S": "AnyCompany Industries"}},
            "NewImage": new_image,
            "SequenceNumber": "111",
            "SizeBytes": 26,
            "StreamViewType": "NEW_IMAGE",
        },
    }


# --- parse: AWS's shape and the conveniences -----------------------------------------------------


def test_aws_shape_with_pattern_strings():
    # DG-FILTER (CLI): --filter-criteria "{\"Filters\": [{\"Pattern\": \"{ \\\"a\\\" : [ 1, 2 ]}\"}]}"
    # "This instructs Lambda to process only the records where field a is equal to 1 or 2."
    crit = FilterCriteria.parse({"Filters": [{"Pattern": '{ "a" : [ 1, 2 ] }'}]})
    assert crit.matches({"a": 1}) and crit.matches({"a": 2})
    assert not crit.matches({"a": 3}) and not crit.matches({"b": 1})
    assert crit.to_dict() == {"Filters": [{"Pattern": '{ "a" : [ 1, 2 ] }'}]}


def test_the_criteria_may_come_as_a_json_string_as_the_cli_takes_it():
    crit = FilterCriteria.parse('{"Filters": [{"Pattern": "{ \\"a\\" : [ 1, 2 ]}"}]}')
    assert crit.matches({"a": 2}) and not crit.matches({"a": 5})


@pytest.mark.parametrize("empty", [None, {}, {"Filters": []}, {"Filters": None}, [], "{}"])
def test_no_filters_match_everything(empty):
    # DG-FILTER: "To remove filter criteria ... update-event-source-mapping ... --filter-criteria "{}""
    crit = FilterCriteria.parse(empty)
    assert crit.patterns == ()
    assert crit.matches({"anything": 1}) and crit.matches({})
    assert FilterCriteria().matches({"x": 1})


def test_convenience_list_of_filters_dicts_and_strings():
    crit = FilterCriteria.parse([{"Pattern": '{"a": ["x"]}'}, {"b": ["y"]}, '{"c": ["z"]}', {"Pattern": {"d": [1]}}])
    assert len(crit.patterns) == 4
    assert all(isinstance(p, str) for p in crit.patterns)
    for record in ({"a": "x"}, {"b": "y"}, {"c": "z"}, {"d": 1}):
        assert crit.matches(record)
    assert not crit.matches({"a": "y"})


def test_parse_accepts_parsed_criteria_and_keeps_equality():
    crit = criteria({"a": ["x"]})
    again = FilterCriteria.parse(crit)
    assert again == crit and again.matches({"a": "x"})
    assert FilterCriteria.parse(crit.to_dict()) == crit


def test_filters_are_ored():
    # DG-FILTER: "Your filters are logically ORed together. If a record from your event source
    # satisfies one or more of your filters, Lambda includes the record"
    crit = criteria({"body": {"RequestCode": ["AAAA"]}}, {"body": {"RequestCode": ["BBBB"]}})
    assert crit.matches(record_view("sqs", sqs_record('{"RequestCode": "BBBB"}')))
    assert crit.matches(record_view("sqs", sqs_record('{"RequestCode": "AAAA"}')))
    assert not crit.matches(record_view("sqs", sqs_record('{"RequestCode": "CCCC"}')))


def test_five_filters_is_the_limit():
    # DG-FILTER: "By default, you can define up to five different filters for a single event source mapping."
    five = [{"n": [i]} for i in range(MAX_FILTERS)]
    assert MAX_FILTERS == 5
    assert FilterCriteria.parse(five).matches({"n": 4})
    with pytest.raises(InvalidParameterValueException, match=r"6 filters given.*at most 5"):
        FilterCriteria.parse([*five, {"n": [5]}])


def test_duplicate_keys_last_one_wins():
    # DG-FILTER "Duplicate keys": {"data": {"duplicateKey": ["hello"], "uniqueKey": ["test123"],
    # "duplicateKey": ["world"]}} is read as {"data": {"uniqueKey": ["test123"], "duplicateKey": ["world"]}}
    pattern = '{"data": {"duplicateKey": ["hello"], "uniqueKey": ["test123"], "duplicateKey": ["world"]}}'
    assert match(pattern, {"data": {"duplicateKey": "world", "uniqueKey": "test123"}})
    assert not match(pattern, {"data": {"duplicateKey": "hello", "uniqueKey": "test123"}})


# --- parse: validation ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "pattern, reason",
    [
        ('{"a": [1, }', "not valid JSON"),
        ("", "not valid JSON"),
        ('["a"]', "must be a JSON object"),
        ('{"a": NaN}', "not valid JSON"),
        ('{"a": "x"}', "must be an object or an array"),
        ('{"a": 5}', "must be an object or an array"),
        ('{"a": []}', "empty arrays are not allowed"),
        ('{"a": [["x"]]}', "array values must be"),
        ('{"a": [{"prefix": "x", "suffix": "y"}]}', "exactly one operator"),
        ('{"a": [{"contains": "x"}]}', "unrecognized match type 'contains'"),
        ('{"a": [{"one-of": "x"}]}', "unrecognized match type 'one-of'"),
        ('{"a": [{"prefix": 5}]}', "prefix takes a string"),
        ('{"a": [{"prefix": {"other": "x"}}]}', "prefix takes a string"),
        ('{"a": [{"suffix": ["x"]}]}', "suffix takes a string"),
        ('{"a": [{"equals-ignore-case": 1}]}', "equals-ignore-case takes a string"),
        ('{"a": [{"exists": "yes"}]}', "exists takes true or false"),
        ('{"a": [{"numeric": 5}]}', "operator/number pairs"),
        ('{"a": [{"numeric": []}]}', "operator/number pairs"),
        ('{"a": [{"numeric": [">"]}]}', "operator/number pairs"),
        ('{"a": [{"numeric": ["!=", 5]}]}', "unknown numeric operator"),
        ('{"a": [{"numeric": [">", "5"]}]}', "needs a number"),
        ('{"a": [{"numeric": [">", true]}]}', "needs a number"),
        ('{"a": [{"numeric": ["<", 5, ">", 1]}]}', "a numeric range is"),
        ('{"a": [{"numeric": ["=", 1, "<", 5]}]}', "a numeric range is"),
        ('{"a": [{"numeric": [">", 5, "<", 5]}]}', "bottom 5 must be less than top 5"),
        ('{"a": [{"numeric": [">", 0, "<", 5, "<", 9]}]}', "at most two comparisons"),
        ('{"a": [{"anything-but": null}]}', "anything-but takes"),
        ('{"a": [{"anything-but": true}]}', "anything-but takes"),
        ('{"a": [{"anything-but": []}]}', "anything-but takes"),
        ('{"a": [{"anything-but": ["x", 1]}]}', "only strings or only numbers"),
        ('{"a": [{"anything-but": {"prefix": ["us-", "eu-"]}}]}', "one non-empty string (not a list)"),
        ('{"a": [{"anything-but": {"prefix": ""}}]}', "one non-empty string"),
        ('{"a": [{"anything-but": {"equals-ignore-case": 5}}]}', "equals-ignore-case takes a string or a list"),
        ('{"a": [{"anything-but": {"numeric": [">", 1]}}]}', "anything-but takes"),
        ('{"a": [{"cidr": "10.0.0.0/33"}]}', "cidr takes an IPv4 or IPv6 network"),
        ('{"a": [{"cidr": "not-an-ip"}]}', "cidr takes an IPv4 or IPv6 network"),
        ('{"a": [{"cidr": 10}]}', "cidr takes an IPv4 or IPv6 network"),
        ('{"a": [{"wildcard": "dir/*.png"}]}', "wildcard is not in Lambda's event filtering operators"),
        ('{"$or": [{"a": ["x"]}]}', "at least two pattern objects"),
    ],
)
def test_malformed_patterns_are_refused_with_a_one_line_reason(pattern, reason):
    crit = {"Filters": [{"Pattern": '{"ok": ["fine"]}'}, {"Pattern": pattern}]}
    with pytest.raises(InvalidParameterValueException) as caught:
        FilterCriteria.parse(crit)
    message = str(caught.value)
    assert reason in message
    assert message.startswith("Invalid FilterCriteria: Filters[1].Pattern")
    assert "\n" not in message


def test_the_message_names_the_field_at_fault():
    with pytest.raises(InvalidParameterValueException, match=r'at "body.Price": unknown numeric operator'):
        criteria({"body": {"Price": [{"numeric": ["=>", 5]}]}})


def test_pattern_length_is_limited_to_4096_characters():
    # API Filter: "Pattern ... Length Constraints: Minimum length of 0. Maximum length of 4096."
    values = ", ".join(f'"{i:05d}"' for i in range(600))
    pattern = '{"a": [' + values + "]}"
    assert len(pattern) > 4096
    with pytest.raises(InvalidParameterValueException, match="at most 4096"):
        FilterCriteria.parse([pattern])
    FilterCriteria.parse([pattern[:4000].rsplit(",", 1)[0] + "]}"])


@pytest.mark.parametrize(
    "value, reason",
    [
        ({"Filters": "x"}, "Filters must be a list"),
        ({"Filters": {}}, "Filters must be a list"),
        ([{"a": [object()]}], "not JSON-serialisable"),
        ({"Filters": [], "Extra": 1}, "unexpected keys"),
        ({"body": {"a": ["x"]}}, "unexpected keys"),
        ("{not json", "not valid JSON"),
        ("42", "FilterCriteria must look like"),
        (42, "Filters must be a list"),
        ([42], "must be a JSON string"),
        ([{"Pattern": 42}], "must be a JSON string"),
    ],
)
def test_malformed_criteria_are_refused(value, reason):
    with pytest.raises(InvalidParameterValueException) as caught:
        FilterCriteria.parse(value)
    assert reason in str(caught.value) and "\n" not in str(caught.value)


@pytest.mark.parametrize("source, key", [("kinesis", "data"), ("dynamodb", "dynamodb"), ("aws:kinesis", "data")])
def test_streams_refuse_a_non_json_pattern_for_their_data(source, key):
    # DG-FILTER, streams table: Valid JSON data | Non-JSON filter pattern -> "Lambda throws an exception
    # at the time of the event source mapping creation or update."
    with pytest.raises(InvalidParameterValueException, match=f'at "{key}": must be a JSON object'):
        FilterCriteria.parse([{key: [{"prefix": "x"}]}], source=source)
    with pytest.raises(InvalidParameterValueException, match="must be a JSON object"):
        FilterCriteria.parse([{"$or": [{key: ["x"]}, {"eventName": ["INSERT"]}]}], source=source)
    assert FilterCriteria.parse([{key: {"x": ["y"]}}], source=source).patterns


def test_sqs_accepts_a_plain_string_pattern_for_its_body():
    # DG-FILTER, SQS table: Plain string body | Plain string filter pattern -> "Lambda filters based on your criteria."
    crit = FilterCriteria.parse([{"body": [{"prefix": "I like"}]}], source="sqs")
    assert crit.matches(record_view("sqs", sqs_record("I like cheese")))


def test_unknown_source_is_a_programming_error():
    with pytest.raises(ValueError, match="unknown event source"):
        record_view("s3", {})
    with pytest.raises(ValueError, match="unknown event source"):
        FilterCriteria.parse([], source="mq")


# --- the operators, as Lambda's table lists them --------------------------------------------------


def test_null_and_empty_are_not_interchangeable():
    # DG-FILTER table: Null "UserID": [ null ]; Empty "LastName": [""]
    # EB-NULL: "Null values and empty strings are not interchangeable in pattern matching."
    assert match({"UserID": [None]}, {"UserID": None})
    assert not match({"UserID": [None]}, {"UserID": ""})
    assert not match({"UserID": [None]}, {})
    assert match({"LastName": [""]}, {"LastName": ""})
    assert not match({"LastName": [""]}, {"LastName": None})


def test_equals_is_exact_and_case_sensitive():
    # DG-FILTER table: Equals "Name": [ "Alice" ]; "Lambda uses exact character-by-character matching
    # without case-folding or any other string normalization."
    assert match({"Name": ["Alice"]}, {"Name": "Alice"})
    assert not match({"Name": ["Alice"]}, {"Name": "alice"})
    assert not match({"Name": ["Alice"]}, {"Name": "Alice "})


def test_equals_keeps_json_types_apart():
    assert not match({"n": [1]}, {"n": "1"})
    assert not match({"n": ["1"]}, {"n": 1})
    assert not match({"flag": [True]}, {"flag": "true"})
    assert not match({"flag": [True]}, {"flag": 1})
    assert not match({"n": [1]}, {"n": True})
    assert match({"flag": [False]}, {"flag": False})


def test_numbers_match_by_their_written_form():
    # DG-FILTER note: "For numbers, Lambda also uses string representation. For example, 300, 300.0,
    # and 3.0e2 are not considered equal."
    for body, pattern, expected in [
        ('{"Price": 300}', '{"body": {"Price": [300]}}', True),
        ('{"Price": 300.0}', '{"body": {"Price": [300.0]}}', True),
        ('{"Price": 3.0e2}', '{"body": {"Price": [3.0e2]}}', True),
        ('{"Price": 300}', '{"body": {"Price": [300.0]}}', False),
        ('{"Price": 300.0}', '{"body": {"Price": [3.0e2]}}', False),
        ('{"Price": 3.0e2}', '{"body": {"Price": [300]}}', False),
    ]:
        assert match(pattern, record_view("sqs", sqs_record(body))) is expected, (body, pattern)
    # numeric comparison, by contrast, compares values
    for body in ('{"Price": 300}', '{"Price": 300.0}', '{"Price": 3.0e2}'):
        assert match('{"body": {"Price": [{"numeric": ["=", 300]}]}}', record_view("sqs", sqs_record(body)))


def test_and_between_fields_or_within_a_field():
    # DG-FILTER table: And "Location": [ "New York" ], "Day": ["Monday"]; Or "PaymentType": [ "Credit", "Debit"]
    both = {"Location": ["New York"], "Day": ["Monday"]}
    assert match(both, {"Location": "New York", "Day": "Monday", "Other": 1})
    assert not match(both, {"Location": "New York", "Day": "Tuesday"})
    assert not match(both, {"Location": "New York"})
    either = {"PaymentType": ["Credit", "Debit"]}
    assert match(either, {"PaymentType": "Credit"}) and match(either, {"PaymentType": "Debit"})
    assert not match(either, {"PaymentType": "Cash"})


def test_not_anything_but_a_list():
    # DG-FILTER table: Not "Weather": [ { "anything-but": [ "Raining" ] } ]
    pattern = {"Weather": [{"anything-but": ["Raining"]}]}
    assert match(pattern, {"Weather": "Sunny"})
    assert not match(pattern, {"Weather": "Raining"})
    assert not match(pattern, {}), "anything-but needs the field to be there"


def test_numeric_equals_and_range():
    # DG-FILTER table: "Price": [ { "numeric": [ "=", 100 ] } ];
    # "Price is more than 10, and less than or equal to 20": "Price": [ { "numeric": [ ">", 10, "<=", 20 ] } ]
    assert match({"Price": [{"numeric": ["=", 100]}]}, {"Price": 100})
    assert match({"Price": [{"numeric": ["=", 100]}]}, {"Price": 100.0})
    assert not match({"Price": [{"numeric": ["=", 100]}]}, {"Price": 101})
    in_range = {"Price": [{"numeric": [">", 10, "<=", 20]}]}
    assert [match(in_range, {"Price": p}) for p in (10, 10.5, 20, 20.01)] == [False, True, True, False]


def test_numeric_matches_only_json_numbers():
    # EB-CONTENT: "Numeric matching works with values that are JSON numbers."
    pattern = {"c": [{"numeric": [">", 0]}]}
    assert match(pattern, {"c": 1})
    assert not match(pattern, {"c": "1"})
    assert not match(pattern, {"c": True})
    assert not match(pattern, {"c": None})


def test_numeric_comparisons_one_by_one():
    # RULER: "d-count": [ { "numeric": [ "<", 10 ] } ], "x-limit": [ { "numeric": [ "=", 3.018e2 ] } ]
    assert match({"d": [{"numeric": ["<", 10]}]}, {"d": 3})
    assert not match({"d": [{"numeric": ["<", 10]}]}, {"d": 10})
    assert match({"d": [{"numeric": ["<=", 10]}]}, {"d": 10})
    assert match({"d": [{"numeric": [">=", 10]}]}, {"d": 10})
    assert match({"x": [{"numeric": ["=", 3.018e2]}]}, {"x": 301.8})
    assert match({"x": [{"numeric": [">=", -5, "<", 0]}]}, {"x": -5})


def test_exists_and_does_not_exist():
    # DG-FILTER table: "ProductName": [ { "exists": true } ] / [ { "exists": false } ]
    assert match({"ProductName": [{"exists": True}]}, {"ProductName": "x"})
    assert not match({"ProductName": [{"exists": True}]}, {"Other": "x"})
    assert match({"ProductName": [{"exists": False}]}, {"Other": "x"})
    assert not match({"ProductName": [{"exists": False}]}, {"ProductName": "x"})


def test_exists_false_matches_when_the_parent_is_missing_too():
    assert match({"detail": {"c-count": [{"exists": False}]}}, {"source": "aws.ec2"})
    assert not match({"detail": {"c-count": [{"exists": True}]}}, {"source": "aws.ec2"})


def test_exists_works_on_leaf_nodes_only():
    # EB-CONTENT: "Exists matching only works on leaf nodes. It does not work on intermediate nodes."
    # The pattern { "detail": { "state": [ { "exists": true } ] } } does NOT match an event whose detail
    # has only "c-count": { "c1": 100 }.
    event = {"detail": {"c-count": {"c1": 100}}}
    assert not match({"detail": {"state": [{"exists": True}]}}, event)
    assert not match({"detail": {"c-count": [{"exists": True}]}}, event)
    # RULER: { "detail": { "c-count": [ { "exists": false } ] } } "would also match ... because c-count
    # is not a leaf node"
    assert match({"detail": {"c-count": [{"exists": False}]}}, event)
    assert match({"detail": {"c-count": {"c1": [{"exists": True}]}}}, event)


def test_begins_with_and_ends_with():
    # DG-FILTER / EB-OPS: Begins with "Region": [ {"prefix": "us-" } ]; Ends with "FileName": [ { "suffix": ".png" } ]
    assert match({"Region": [{"prefix": "us-"}]}, {"Region": "us-east-1"})
    assert not match({"Region": [{"prefix": "us-"}]}, {"Region": "eu-west-1"})
    assert not match({"Region": [{"prefix": "us-"}]}, {"Region": "US-east-1"})
    assert match({"FileName": [{"suffix": ".png"}]}, {"FileName": "cat.png"})
    assert not match({"FileName": [{"suffix": ".png"}]}, {"FileName": "cat.PNG"})
    # RULER: "Prefix matches only work on string-valued fields."
    assert not match({"n": [{"prefix": "1"}]}, {"n": 123})
    assert not match({"n": [{"suffix": "3"}]}, {"n": 123})


def test_prefix_and_suffix_ignoring_case():
    # EB-OPS: {"service" : [{ "prefix": { "equals-ignore-case": "eventb" }}]}
    #         {"service" : [{ "suffix": { "equals-ignore-case": "tbridge" }}]}
    for name in ("EventBridge", "EVENTBRIDGE", "eventbridge"):
        assert match({"service": [{"prefix": {"equals-ignore-case": "eventb"}}]}, {"service": name})
        assert match({"service": [{"suffix": {"equals-ignore-case": "tbridge"}}]}, {"service": name})
    assert not match({"service": [{"prefix": {"equals-ignore-case": "eventb"}}]}, {"service": "SNS"})


def test_equals_ignore_case():
    # EB-OPS: Equals (ignore case) "Name": [ { "equals-ignore-case": "alice" } ]
    pattern = {"Name": [{"equals-ignore-case": "alice"}]}
    assert match(pattern, {"Name": "Alice"}) and match(pattern, {"Name": "ALICE"})
    assert not match(pattern, {"Name": "Alicia"})
    assert not match({"n": [{"equals-ignore-case": "1"}]}, {"n": 1})


def test_anything_but_values_and_lists():
    # EB-CONTENT: "state": [ { "anything-but": "initializing" } ]; "x-limit": [ { "anything-but": 123 } ];
    # "state": [ { "anything-but": [ "stopped", "overloaded" ] } ]; "x-limit": [ { "anything-but": [ 100, 200, 300 ] } ]
    assert match({"state": [{"anything-but": "initializing"}]}, {"state": "running"})
    assert not match({"state": [{"anything-but": "initializing"}]}, {"state": "initializing"})
    assert match({"x-limit": [{"anything-but": 123}]}, {"x-limit": 124})
    assert not match({"x-limit": [{"anything-but": 123}]}, {"x-limit": 123})
    listed = {"state": [{"anything-but": ["stopped", "overloaded"]}]}
    assert match(listed, {"state": "running"}) and not match(listed, {"state": "stopped"})
    numbers = {"x-limit": [{"anything-but": [100, 200, 300]}]}
    assert match(numbers, {"x-limit": 301.8}) and not match(numbers, {"x-limit": 200})


def test_anything_but_prefix_suffix_and_ignore_case():
    # EB-CONTENT: "state": [ { "anything-but": { "prefix": "init" } } ]
    # EB-OPS: "Region": [ { "anything-but": {"prefix": "us-" } } ];
    #         "FileName": [ { "anything-but": { "suffix": ".png" } } ];
    #         "state": [{ "anything-but": { "equals-ignore-case": "initializing" }}]
    assert match({"state": [{"anything-but": {"prefix": "init"}}]}, {"state": "running"})
    assert not match({"state": [{"anything-but": {"prefix": "init"}}]}, {"state": "initializing"})
    assert match({"Region": [{"anything-but": {"prefix": "us-"}}]}, {"Region": "eu-west-1"})
    assert not match({"Region": [{"anything-but": {"prefix": "us-"}}]}, {"Region": "us-east-1"})
    assert match({"FileName": [{"anything-but": {"suffix": ".png"}}]}, {"FileName": "a.jpg"})
    assert not match({"FileName": [{"anything-but": {"suffix": ".png"}}]}, {"FileName": "a.png"})
    ignore = {"state": [{"anything-but": {"equals-ignore-case": "initializing"}}]}
    assert not match(ignore, {"state": "INITIALIZING"}) and match(ignore, {"state": "running"})
    several = {"state": [{"anything-but": {"equals-ignore-case": ["a", "B"]}}]}
    assert not match(several, {"state": "b"}) and match(several, {"state": "c"})


def test_cidr_matches_ip_addresses():
    # EB-CONTENT: "sourceIPAddress": [ { "cidr": "10.0.0.0/24" } ] -- "IP addresses that start with 10.0.0
    # and end with a number between 0 and 255"; "You can use IP address matching for IPv4 and IPv6 addresses."
    pattern = {"detail": {"sourceIPAddress": [{"cidr": "10.0.0.0/24"}]}}
    assert match(pattern, {"detail": {"sourceIPAddress": "10.0.0.255"}})
    assert not match(pattern, {"detail": {"sourceIPAddress": "10.0.1.5"}})
    assert not match(pattern, {"detail": {"sourceIPAddress": "not an ip"}})
    assert not match(pattern, {"detail": {"sourceIPAddress": 10}})
    assert match({"ip": [{"cidr": "2001:db8::/32"}]}, {"ip": "2001:db8::1"})
    assert not match({"ip": [{"cidr": "2001:db8::/32"}]}, {"ip": "10.0.0.1"})


def test_or_across_fields():
    # RULER "$or": { "source": [ "aws.cloudwatch" ], "$or": [ { "metricName": [ "CPUUtilization",
    # "ReadLatency" ] }, { "namespace": [ "AWS/EC2", "AWS/ES" ] } ] }
    pattern = {
        "source": ["aws.cloudwatch"],
        "$or": [{"metricName": ["CPUUtilization", "ReadLatency"]}, {"namespace": ["AWS/EC2", "AWS/ES"]}],
    }
    assert match(pattern, {"source": "aws.cloudwatch", "metricName": "ReadLatency"})
    assert match(pattern, {"source": "aws.cloudwatch", "namespace": "AWS/ES"})
    assert not match(pattern, {"source": "aws.cloudwatch", "metricName": "Other"})
    assert not match(pattern, {"source": "aws.ec2", "namespace": "AWS/ES"})


def test_a_field_named_dollar_or_with_values_stays_a_field():
    # RULER: "$or" is an OR only for an array of two or more objects; otherwise it is a field name.
    assert match({"$or": ["x"]}, {"$or": "x"})


def test_arrays_in_the_record_match_when_any_element_matches():
    # EB-ARRAYS: "If the value in the event is an array, then the event pattern matches if the
    # intersection of the event pattern array and the event array is non-empty."
    pattern = {
        "resources": [
            "arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f",
            "arn:aws:ec2:us-east-1:111122223333:instance/i-b188560f",
            "arn:aws:ec2:us-east-1:444455556666:instance/i-b188560f",
        ]
    }
    event = {
        "resources": [
            "arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:eb56d16b-bbf0-401d-b893-d5978ed4a025:"
            "autoScalingGroupName/ASGTerminate",
            "arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f",
        ]
    }
    assert match(pattern, event)
    assert not match(pattern, {"resources": ["arn:aws:ec2:us-east-1:999999999999:instance/i-x"]})
    assert match({"tags": [{"prefix": "b"}]}, {"tags": ["alpha", ["beta"]]})
    assert match({"n": [{"numeric": [">", 5]}]}, {"n": [1, 9]})
    assert match({"n": [{"anything-but": [1, 2]}]}, {"n": [1, 3]})


def test_empty_arrays_hold_no_value():
    assert not match({"tags": [{"exists": True}]}, {"tags": []})
    assert match({"tags": [{"exists": False}]}, {"tags": []})


def test_objects_inside_arrays_match_element_by_element():
    # RULER: {"employees":[{"firstName":"John","lastName":"Doe"},{"firstName":"Anna","lastName":"Smith"},
    # {"firstName":"Peter","lastName":"Jones"}]} matches { "employees": { "firstName": [ "Anna" ] } } but not
    # { "employees": { "firstName": [ "Anna" ], "lastName": [ "Jones" ] } } (fields from different elements)
    event = {
        "employees": [
            {"firstName": "John", "lastName": "Doe"},
            {"firstName": "Anna", "lastName": "Smith"},
            {"firstName": "Peter", "lastName": "Jones"},
        ]
    }
    assert match({"employees": {"firstName": ["Anna"]}}, event)
    assert match({"employees": {"firstName": ["Anna"], "lastName": ["Smith"]}}, event)
    assert not match({"employees": {"firstName": ["Anna"], "lastName": ["Jones"]}}, event)
    nested = {"employees": [[event["employees"][0], event["employees"][1]], [event["employees"][2]]]}
    assert match({"employees": {"firstName": ["Peter"]}}, nested)


def test_complex_example_with_multiple_matching():
    # EB-CONTENT / RULER "Complex example": { "time": [ { "prefix": "2017-10-02" } ], "detail": { "state":
    # [ { "anything-but": "initializing" } ], "c-count": [ { "numeric": [ ">", 0, "<=", 5 ] } ], "d-count":
    # [ { "numeric": [ "<", 10 ] } ], "x-limit": [ { "anything-but": [ 100, 200, 300 ] } ], "source-ip":
    # [ { "cidr": "10.0.0.0/8" } ] } } -- against RULER's sample event.
    pattern = {
        "time": [{"prefix": "2017-10-02"}],
        "detail": {
            "state": [{"anything-but": "initializing"}],
            "c-count": [{"numeric": [">", 0, "<=", 5]}],
            "d-count": [{"numeric": ["<", 10]}],
            "x-limit": [{"anything-but": [100, 200, 300]}],
            "source-ip": [{"cidr": "10.0.0.0/8"}],
        },
    }
    event = {
        "version": "0",
        "id": "ddddd4-aaaa-7777-4444-345dd43cc333",
        "detail-type": "EC2 Instance State-change Notification",
        "source": "aws.ec2",
        "account": "012345679012",
        "time": "2017-10-02T16:24:49Z",
        "region": "us-east-1",
        "resources": ["arn:aws:ec2:us-east-1:123456789012:instance/i-000000aaaaaa00000"],
        "detail": {
            "c-count": 5,
            "d-count": 3,
            "x-limit": 301.8,
            "source-ip": "10.0.0.33",
            "instance-id": "i-000000aaaaaa00000",
            "state": "running",
        },
    }
    assert match(pattern, event)
    for field, value in [("c-count", 6), ("state", "initializing"), ("x-limit", 300), ("source-ip", "11.0.0.1")]:
        changed = copy.deepcopy(event)
        changed["detail"][field] = value
        assert not match(pattern, changed), field


def test_several_values_mixing_operators_are_ored():
    pattern = {"status": ["ok", {"prefix": "warn"}, {"numeric": [">=", 500]}, None]}
    for value in ("ok", "warning", 503, None):
        assert match(pattern, {"status": value})
    for value in ("error", 404, ""):
        assert not match(pattern, {"status": value})


# --- SQS -----------------------------------------------------------------------------------------


def test_sqs_doc_example_filters_on_the_body():
    # DG-SQS: messages like {"RecordNumber": 1234, "TimeStamp": "yyyy-mm-ddThh:mm:ss", "RequestCode": "AAAA"};
    # to process only RequestCode "BBBB": { "body" : { "RequestCode" : [ "BBBB" ] } }
    body = '{\n "RecordNumber": 1234,\n "TimeStamp": "yyyy-mm-ddThh:mm:ss",\n "RequestCode": "AAAA"\n}'
    view = record_view("sqs", sqs_record(body))
    assert view["body"] == {"RecordNumber": 1234, "TimeStamp": "yyyy-mm-ddThh:mm:ss", "RequestCode": "AAAA"}
    assert not match({"body": {"RequestCode": ["BBBB"]}}, view)
    assert match({"body": {"RequestCode": ["AAAA"]}}, view)
    assert match({"body": {"RecordNumber": [{"numeric": [">", 1000]}]}}, view)


def test_sqs_view_leaves_the_record_alone():
    record = sqs_record('{"a": 1}')
    before = copy.deepcopy(record)
    view = record_view("sqs", record)
    assert record == before
    assert {k: v for k, v in view.items() if k != "body"} == {k: v for k, v in record.items() if k != "body"}
    assert isinstance(view["body"], dict)


@pytest.mark.parametrize("body", ["I like cheese", "42", "[1, 2]", '"quoted"', "{not json", ""])
def test_sqs_body_that_is_not_a_json_object_stays_a_string(body):
    assert record_view("sqs", sqs_record(body))["body"] == body


def test_sqs_plain_string_body_with_a_json_pattern_is_dropped():
    # DG-FILTER, SQS table: Plain string body | Valid JSON filter pattern -> "Lambda drops the message."
    view = record_view("sqs", sqs_record("I like cheese"))
    assert not match({"body": {"RequestCode": ["BBBB"]}}, view)
    assert not match({"body": {"RequestCode": [{"exists": False}]}}, view)
    # LocalStack's AWS-validated case: {"body": {"test2": [{"numeric": [">", 100]}]}} vs 'this is a test string'
    text = record_view("sqs", sqs_record("this is a test string"))
    assert not match({"body": {"test2": [{"numeric": [">", 100]}]}}, text)


def test_sqs_json_body_with_a_plain_string_pattern_is_dropped():
    # DG-FILTER, SQS table: Valid JSON body | Plain string filter pattern -> "Lambda drops the message."
    view = record_view("sqs", sqs_record('{"RequestCode": "AAAA"}'))
    for pattern in (
        {"body": ['{"RequestCode": "AAAA"}']},
        {"body": [{"prefix": "{"}]},
        {"body": [{"exists": True}]},
        {"body": [{"exists": False}]},
        {"body": [{"anything-but": "x"}]},
    ):
        assert not match(pattern, view), pattern


def test_sqs_plain_string_body_with_a_plain_string_pattern_is_filtered():
    # DG-FILTER, SQS table: Plain string | Plain string -> "Lambda filters based on your filter criteria."
    view = record_view("sqs", sqs_record("I like cheese"))
    assert match({"body": ["I like cheese"]}, view)
    assert match({"body": [{"prefix": "I like"}]}, view)
    assert not match({"body": [{"prefix": "I love"}]}, view)
    assert match({"body": [{"exists": True}]}, view)


def test_sqs_without_a_body_pattern_filters_on_the_metadata_only():
    # DG-FILTER (archived), SQS table: Plain string or Valid JSON body | No filter pattern for data
    # properties -> "Lambda filters (on the other metadata properties only)"
    pattern = {"attributes": {"ApproximateReceiveCount": ["1"]}, "eventSource": ["aws:sqs"]}
    assert match(pattern, record_view("sqs", sqs_record("plain")))
    assert match(pattern, record_view("sqs", sqs_record('{"a": 1}')))
    assert not match(pattern, record_view("sqs", sqs_record("plain", attributes={"ApproximateReceiveCount": "2"})))


def test_sqs_message_attributes_are_visible_to_patterns():
    record = sqs_record(
        "x",
        messageAttributes={
            "kind": {"stringValue": "audit", "dataType": "String", "stringListValues": [], "binaryListValues": []}
        },
    )
    assert match({"messageAttributes": {"kind": {"stringValue": ["audit"]}}}, record_view("sqs", record))


def test_admits_is_the_view_then_the_match():
    crit = criteria({"body": {"RequestCode": ["BBBB"]}})
    assert crit.admits("sqs", sqs_record('{"RequestCode": "BBBB"}'))
    assert not crit.admits("sqs", sqs_record('{"RequestCode": "AAAA"}'))
    assert FilterCriteria().admits("sqs", {"body": None})


# --- Kinesis -------------------------------------------------------------------------------------


def test_kinesis_doc_example_data_is_decoded():
    # DG-KINESIS example record: "data": "eyJSZWNvcmROdW1iZXIiOiAiMDAwMSIsICJUaW1lU3RhbXAiOiAieXl5eS1tbS1kZFRo
    # aDptbTpzcyIsICJSZXF1ZXN0Q29kZSI6ICJBQUFBIn0=" (JSON with RecordNumber "0001" and RequestCode "AAAA")
    record = kinesis_record(
        "eyJSZWNvcmROdW1iZXIiOiAiMDAwMSIsICJUaW1lU3RhbXAiOiAieXl5eS1tbS1kZFRoaDptbTpz"
        "cyIsICJSZXF1ZXN0Q29kZSI6ICJBQUFBIn0="
    )
    before = copy.deepcopy(record)
    view = record_view("kinesis", record)
    assert view["data"] == {"RecordNumber": "0001", "TimeStamp": "yyyy-mm-ddThh:mm:ss", "RequestCode": "AAAA"}
    assert record == before and view["kinesis"] == record["kinesis"]
    assert view["eventSource"] == "aws:kinesis" and view["partitionKey"] == "1"
    assert match({"data": {"RequestCode": ["AAAA"]}}, view)
    assert not match({"data": {"RequestCode": ["BBBB"]}}, view)


def test_kinesis_doc_example_nested_order_type():
    # DG-KINESIS: records like {"record": 12345, "order": {"type": "buy", "stock": "ANYCO", "quantity": 1000}};
    # to keep only buys: { "data" : { "order" : { "type" : [ "buy" ] } } }
    crit = FilterCriteria.parse([{"data": {"order": {"type": ["buy"]}}}], source="kinesis")
    buy = {"record": 12345, "order": {"type": "buy", "stock": "ANYCO", "quantity": 1000}}
    sell = {"record": 12346, "order": {"type": "sell", "stock": "ANYCO", "quantity": 1000}}
    assert crit.admits("kinesis", kinesis_record(json.dumps(buy).encode()))
    assert not crit.admits("kinesis", kinesis_record(json.dumps(sell).encode()))


def test_kinesis_metadata_and_data_together():
    # DG-FILTER (archived) "Filtering examples": { "partitionKey": [ "1" ], "data": { "Location": [ "Los Angeles" ] } }
    # and { "data": { "Temperature": [ {"numeric": [ ">", 50, "<=", 60 ] } ] } }
    la = json.dumps({"Location": "Los Angeles", "Temperature": 55}).encode()
    crit = criteria({"partitionKey": ["1"], "data": {"Location": ["Los Angeles"]}})
    assert crit.admits("kinesis", kinesis_record(la, partition_key="1"))
    assert not crit.admits("kinesis", kinesis_record(la, partition_key="2"))
    warm = criteria({"data": {"Temperature": [{"numeric": [">", 50, "<=", 60]}]}})
    assert warm.admits("kinesis", kinesis_record(la))
    assert not warm.admits("kinesis", kinesis_record(json.dumps({"Temperature": 61}).encode()))


def test_kinesis_non_json_data():
    # DG-FILTER, streams table: Non-JSON data | Valid JSON pattern -> "Lambda drops the record.";
    # Non-JSON data | No filter pattern for data properties -> filters on the metadata only.
    record = kinesis_record(b"plain text, not JSON")
    view = record_view("kinesis", record)
    assert view["data"] == "plain text, not JSON"
    assert not match({"data": {"a": ["x"]}}, view)
    assert not match({"data": {"a": [{"exists": False}]}}, view)
    assert match({"eventName": ["aws:kinesis:record"]}, view)
    binary = record_view("kinesis", kinesis_record(b"\xff\xfe\x00binary"))
    assert not match({"data": {"a": [{"exists": False}]}}, binary)
    garbage = record_view("kinesis", kinesis_record("!!! not base64 !!!"))
    assert garbage["data"] == "!!! not base64 !!!"
    assert not match({"data": {"a": [{"exists": False}]}}, garbage)


def test_kinesis_json_scalars_and_flat_records():
    assert record_view("kinesis", kinesis_record(b"42"))["data"] == 42
    assert record_view("kinesis", kinesis_record(b"[1, 2]"))["data"] == [1, 2]
    flat = {"partitionKey": "k", "data": base64.b64encode(b'{"a": 1}').decode()}
    assert record_view("kinesis", flat)["data"] == {"a": 1}
    assert record_view("kinesis", {"data": b'{"a": 2}'})["data"] == {"a": 2}


# --- DynamoDB Streams ----------------------------------------------------------------------------


def test_dynamodb_view_is_the_record():
    record = ddb_record()
    view = record_view("dynamodb", record)
    assert view == record and view is not record


def test_dynamodb_doc_example_filter_on_a_key():
    # DG-DDB "Filtering with table keys":
    # { "dynamodb": { "Keys": { "CustomerName": { "S": [ "AnyCompany Industries" ] } } } }
    crit = FilterCriteria.parse(
        [{"dynamodb": {"Keys": {"CustomerName": {"S": ["AnyCompany Industries"]}}}}], source="dynamodb"
    )
    assert crit.admits("dynamodb", ddb_record())
    other = ddb_record()
    other["dynamodb"]["Keys"]["CustomerName"]["S"] = "Example Corp"
    assert not crit.admits("dynamodb", other)


def test_dynamodb_doc_example_number_key_is_a_string():
    # DG-FILTER (archived) "Multi-level filtering": { "dynamodb": { "Keys": { "Id": { "N": [ "101" ] } } } }
    record = ddb_record(NewImage={"Message": {"S": "New item!"}, "Id": {"N": "101"}})
    record["dynamodb"]["Keys"] = {"Id": {"N": "101"}}
    assert match({"dynamodb": {"Keys": {"Id": {"N": ["101"]}}}}, record)
    assert not match({"dynamodb": {"Keys": {"Id": {"N": [101]}}}}, record)
    # "N" values are JSON strings, so numeric matching does not apply to them
    assert not match({"dynamodb": {"Keys": {"Id": {"N": [{"numeric": [">", 100]}]}}}}, record)


def test_dynamodb_attributes_and_boolean_and():
    # DG-DDB "Filtering with table attributes" / "Filtering with Boolean expressions" (AND of attributes)
    both = {"dynamodb": {"NewImage": {"AccountManager": {"S": ["Pat Candella"]}, "PaymentTerms": {"S": ["60 days"]}}}}
    assert match(both, ddb_record())
    changed = ddb_record(NewImage={"AccountManager": {"S": "Pat Candella"}, "PaymentTerms": {"S": "30 days"}})
    assert not match(both, changed)
    assert match({"dynamodb": {"NewImage": {"PaymentTerms": {"S": [{"prefix": "30"}]}}}}, changed)


def test_dynamodb_event_name_and_a_boolean_attribute():
    # CDK FilterRule example: eventName: isEqual('INSERT'), dynamodb: { NewImage: { id: { BOOL: isEqual(true) } } }
    # which renders as {"eventName": ["INSERT"], "dynamodb": {"NewImage": {"id": {"BOOL": [true]}}}}
    pattern = {"eventName": ["INSERT"], "dynamodb": {"NewImage": {"id": {"BOOL": [True]}}}}
    assert match(pattern, ddb_record("INSERT", NewImage={"id": {"BOOL": True}}))
    assert not match(pattern, ddb_record("MODIFY", NewImage={"id": {"BOOL": True}}))
    assert not match(pattern, ddb_record("INSERT", NewImage={"id": {"BOOL": False}}))
    assert not match(pattern, ddb_record("INSERT", NewImage={"id": {"S": "true"}}))


def test_dynamodb_exists_needs_the_leaf():
    # DG-DDB "Using the Exists operator" / EB-CONTENT: exists only works on leaf nodes, so with attribute values
    # ({"Organizations": {"L": [{"S": "Sales"}, ...]}}) the pattern has to reach the typed leaf.
    image = {"UserID": {"S": "12345"}, "Organizations": {"L": [{"S": "Sales"}, {"S": "Marketing"}, {"S": "Support"}]}}
    record = ddb_record(NewImage=image)
    assert not match({"dynamodb": {"NewImage": {"Organizations": [{"exists": True}]}}}, record)
    assert match({"dynamodb": {"NewImage": {"Organizations": {"L": {"S": [{"exists": True}]}}}}}, record)
    assert match({"dynamodb": {"NewImage": {"Organizations": {"L": {"S": ["Marketing"]}}}}}, record)
    assert match({"dynamodb": {"NewImage": {"Nickname": {"S": [{"exists": False}]}}}}, record)


def test_dynamodb_remove_record_without_new_image():
    record = ddb_record("REMOVE")
    del record["dynamodb"]["NewImage"]
    record["dynamodb"]["OldImage"] = {"CustomerName": {"S": "AnyCompany Industries"}}
    assert match({"dynamodb": {"NewImage": {"CustomerName": {"S": [{"exists": False}]}}}}, record)
    assert not match({"dynamodb": {"NewImage": {"CustomerName": {"S": ["AnyCompany Industries"]}}}}, record)
    removed = {"eventName": ["REMOVE"], "dynamodb": {"OldImage": {"CustomerName": {"S": [{"exists": True}]}}}}
    assert match(removed, record)
