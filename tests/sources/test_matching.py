"""One matcher, three languages: Lambda FilterCriteria, EventBridge patterns, SNS filter policies.

Where AWS's languages agree, the same pattern gives the same answer through each front end;
where they differ (sources/matching.py's docstring lists how, with AWS's pages), each gives its
own documented answer:

* LAMBDA  https://docs.aws.amazon.com/lambda/latest/dg/invocation-eventfiltering.html
  ("300, 300.0, and 3.0e2 are not considered equal")
* SNS-NUM https://docs.aws.amazon.com/sns/latest/dg/numeric-value-matching.html
  (``[{"numeric": ["=", 301.5]}]`` matches ``3.015e2``)
* SNS-KEY https://docs.aws.amazon.com/sns/latest/dg/attribute-key-matching.html
  (``exists: true``: "The key must have a non-null and non-empty value")
* SNS-LIMITS https://docs.aws.amazon.com/sns/latest/dg/subscription-filter-policy-constraints.html
"""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from lambda_magic.common.errors import InvalidParameterValueException
from lambda_magic.sources import matching
from lambda_magic.sources.filters import FilterCriteria
from lambda_magic.sources.patterns import EventPattern, InvalidEventPattern
from lambda_magic.sources.push.sns_filter import FilterPolicy, FilterPolicyError


def lambda_match(pattern: dict, document_text: str) -> bool:
    """Through Lambda: the document is an SQS message's JSON body."""
    criteria = FilterCriteria.parse({"Filters": [{"Pattern": json.dumps({"body": pattern})}]})
    return criteria.admits("sqs", {"body": document_text})


def events_match(pattern: dict, document_text: str) -> bool:
    """Through EventBridge: the document is an event's ``detail``."""
    event = {"source": "app", "detail": json.loads(document_text, parse_float=matching.JsonFloat)}
    return EventPattern.parse({"detail": pattern}).matches(event)


def sns_match(pattern: dict, document_text: str) -> bool:
    """Through SNS: the document is the message body (FilterPolicyScope MessageBody)."""
    return FilterPolicy.parse(pattern, "MessageBody").matches(document_text, None)


def all_three(pattern: dict, document: dict | str) -> tuple[bool, bool, bool]:
    text = document if isinstance(document, str) else json.dumps(document)
    return lambda_match(pattern, text), events_match(pattern, text), sns_match(pattern, text)


AGREED = [
    # (pattern, document, expected)
    ({"store": ["fans"]}, {"store": "fans"}, True),
    ({"store": ["fans"]}, {"store": "Fans"}, False),
    ({"store": ["fans"]}, {"shop": "fans"}, False),
    ({"price": [100]}, {"price": 100}, True),
    ({"price": [100]}, {"price": "100"}, False),
    ({"ok": [True]}, {"ok": True}, True),
    ({"ok": [None]}, {"ok": None}, True),
    ({"ok": [None]}, {"ok": ""}, False),
    ({"region": [{"prefix": "us-"}]}, {"region": "us-east-1"}, True),
    ({"region": [{"prefix": "us-"}]}, {"region": "eu-west-1"}, False),
    ({"file": [{"suffix": ".png"}]}, {"file": "cat.png"}, True),
    ({"file": [{"suffix": ".png"}]}, {"file": "cat.jpg"}, False),
    ({"name": [{"equals-ignore-case": "ALICE"}]}, {"name": "alice"}, True),
    ({"name": [{"prefix": {"equals-ignore-case": "AL"}}]}, {"name": "alice"}, True),
    ({"name": [{"suffix": {"equals-ignore-case": "CE"}}]}, {"name": "bob"}, False),
    ({"state": [{"anything-but": ["stopped", "failed"]}]}, {"state": "running"}, True),
    ({"state": [{"anything-but": ["stopped", "failed"]}]}, {"state": "failed"}, False),
    ({"state": [{"anything-but": "stopped"}]}, {"state": 3}, True),
    ({"price": [{"anything-but": [100, 500]}]}, {"price": [100, 50]}, True),
    ({"price": [{"anything-but": [100, 500]}]}, {"price": 100}, False),
    ({"bucket": [{"anything-but": {"prefix": "tmp-"}}]}, {"bucket": "photos"}, True),
    ({"bucket": [{"anything-but": {"prefix": "tmp-"}}]}, {"bucket": "tmp-1"}, False),
    ({"price": [{"numeric": [">", 0, "<=", 150]}]}, {"price": 150}, True),
    ({"price": [{"numeric": [">", 0, "<=", 150]}]}, {"price": 0}, False),
    ({"price": [{"numeric": [">", 0, "<=", 150]}]}, {"price": "5"}, False),
    ({"price": [{"numeric": ["=", 301.5]}]}, '{"price": 3.015e2}', True),
    ({"store": [{"exists": True}]}, {"store": "fans"}, True),
    ({"store": [{"exists": True}]}, {"other": "x"}, False),
    ({"store": [{"exists": False}]}, {"other": "x"}, True),
    ({"store": [{"exists": False}]}, {"store": "fans"}, False),
    ({"ip": [{"cidr": "10.0.0.0/24"}]}, {"ip": "10.0.0.255"}, True),
    ({"ip": [{"cidr": "10.0.0.0/24"}]}, {"ip": "10.0.1.1"}, False),
    ({"ip": [{"cidr": "10.0.0.0/24"}]}, {"ip": "not an address"}, False),
    ({"$or": [{"a": ["x"]}, {"b": ["y"]}]}, {"b": "y"}, True),
    ({"$or": [{"a": ["x"]}, {"b": ["y"]}]}, {"a": "y", "b": "x"}, False),
    ({"order": {"item": {"color": ["red"]}}}, {"order": {"item": {"color": "red"}}}, True),
    ({"order": {"item": {"color": ["red"]}}}, {"order": {"item": "red"}}, False),
    ({"tags": ["b"]}, {"tags": ["a", "b", "c"]}, True),
    ({"tags": ["d"]}, {"tags": ["a", "b", "c"]}, False),
    ({"items": {"id": [2]}}, {"items": [{"id": 1}, {"id": 2}]}, True),
    ({"items": {"id": [3]}}, {"items": [{"id": 1}, {"id": 2}]}, False),
    ({"a": ["x"], "b": [{"prefix": "y"}]}, {"a": "x", "b": "zy"}, False),
]


@pytest.mark.parametrize(("pattern", "document", "expected"), AGREED)
def test_where_the_languages_agree_all_three_give_the_same_answer(pattern, document, expected):
    assert all_three(pattern, document) == (expected, expected, expected)


def test_exact_numbers_lambda_and_eventbridge_compare_the_written_form_sns_the_value():
    # LAMBDA: "300, 300.0, and 3.0e2 are not considered equal"; SNS-NUM: 301.5 matches 3.015e2
    assert all_three({"price": [300]}, '{"price": 3.0e2}') == (False, False, True)
    assert all_three({"price": [300]}, '{"price": 300.0}') == (False, False, True)
    assert all_three({"price": [300]}, '{"price": 300}') == (True, True, True)
    # anything-but follows the same rule
    assert all_three({"price": [{"anything-but": [300]}]}, '{"price": 300.0}') == (True, True, False)
    # numeric "=" compares values everywhere
    assert all_three({"price": [{"numeric": ["=", 300]}]}, '{"price": 3.0e2}') == (True, True, True)


def test_exists_sns_needs_a_non_null_value_lambda_and_eventbridge_count_a_null():
    # SNS-KEY: "The key must have a non-null and non-empty value"
    assert all_three({"store": [{"exists": True}]}, '{"store": null}') == (True, True, False)
    assert all_three({"store": [{"exists": False}]}, '{"store": null}') == (False, False, True)
    # an empty array is no value in all three
    assert all_three({"store": [{"exists": True}]}, '{"store": []}') == (False, False, False)


def test_wildcard_is_eventbridge_only():
    pattern = {"file": [{"wildcard": "*.png"}]}
    assert events_match(pattern, '{"file": "dir/cat.png"}') is True
    assert events_match(pattern, '{"file": "dir/cat.jpg"}') is False
    with pytest.raises(InvalidParameterValueException, match="wildcard is not in Lambda's event filtering"):
        lambda_match(pattern, "{}")
    with pytest.raises(FilterPolicyError, match="Unrecognized match type wildcard"):
        sns_match(pattern, "{}")


def test_sns_limits_keys_lambda_and_eventbridge_do_not():
    pattern = {f"k{i}": ["v"] for i in range(6)}
    document = json.dumps(dict.fromkeys(pattern, "v"))
    assert lambda_match(pattern, document) is True  # five keys under "body" count as one for Lambda
    assert events_match(pattern, document) is True
    with pytest.raises(FilterPolicyError, match="can not have more than 5 keys"):
        FilterPolicy.parse(pattern, "MessageBody")
    with pytest.raises(InvalidEventPattern):
        EventPattern.parse({"detail": {"a": []}})  # each keeps its own messages


def test_sns_attributes_are_typed_documents_are_not():
    policy = FilterPolicy.parse({"n": [5], "r": [{"numeric": [">", 1]}]})
    number = {"Type": "Number", "Value": "5.0"}
    assert policy.matches("", {"n": number, "r": {"Type": "Number", "Value": "2"}}) is True
    assert policy.matches("", {"n": {"Type": "String", "Value": "5"}, "r": {"Type": "Number", "Value": "2"}}) is False
    tags = FilterPolicy.parse({"tags": ["b"]})
    assert tags.matches("", {"tags": {"Type": "String.Array", "Value": '["a", "b"]'}}) is True
    assert tags.matches("", {"tags": {"Type": "String", "Value": '["a", "b"]'}}) is False
    present = FilterPolicy.parse({"blob": [{"exists": True}]})
    assert present.matches("", {"blob": {"Type": "Binary", "Value": b"b"}}) is False


def test_the_core_takes_each_languages_parameters():
    def leaf(test: matching.ValueTest) -> matching.Node:
        return matching.Node((("a", matching.Leaf((test,))),))

    assert matching.matches(leaf(matching.Exists(True)), {"a": None}) is True
    assert matching.matches(leaf(matching.Exists(True, null_counts=False)), {"a": None}) is False
    assert matching.matches(leaf(matching.Equals(300)), {"a": matching.JsonFloat("3.0e2")}) is False
    assert matching.matches(leaf(matching.Equals(Decimal(300), by_value=True)), {"a": 3.0e2}) is True
    bounds = ((">", Decimal("0.1")),)
    assert matching.matches(leaf(matching.Numeric(bounds, number=matching.as_decimal)), {"a": 0.2}) is True
    assert matching.matches(leaf(matching.Text("prefix", "x", negated=True)), {"a": 1}) is True
