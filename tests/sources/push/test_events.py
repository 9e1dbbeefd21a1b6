"""EventBridge rules with event patterns -> functions, through boto3 as a student writes it."""

from __future__ import annotations

import json
import re

import pytest
from botocore.exceptions import ClientError

ECHO = "def lambda_handler(event, context):\n    return event\n"
ACCOUNT = "123456789012"


def payloads(account, name):
    account.wait(timeout=30)
    return [json.loads(r.payload) if isinstance(r.payload, (str, bytes)) else r.payload
            for r in account.invocation_records(name)]


def test_put_events_invokes_the_function_with_the_event_as_aws_sends_it(account, push):
    account.register("orders", ECHO)
    trigger = push.add_trigger("orders", "events:new-orders", event_pattern={"source": ["shop"]})
    events = account.cloud.client("events")
    answer = events.put_events(
        Entries=[
            {"Source": "shop", "DetailType": "Order Placed", "Detail": json.dumps({"id": 7}), "Resources": ["arn:x"]},
            {"Source": "other", "DetailType": "Order Placed", "Detail": "{}"},
        ]
    )
    assert answer["FailedEntryCount"] == 0
    got = payloads(account, "orders")
    assert len(got) == 1
    event = got[0]
    assert set(event) == {"version", "id", "detail-type", "source", "account", "time", "region", "resources", "detail"}
    assert event["version"] == "0" and event["id"] == answer["Entries"][0]["EventId"]
    assert (event["source"], event["detail-type"], event["detail"]) == ("shop", "Order Placed", {"id": 7})
    assert event["account"] == ACCOUNT and event["region"] == account.settings.region
    assert event["resources"] == ["arn:x"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", event["time"])
    record = account.invocation_records("orders")[0]
    assert record.trigger == "events:new-orders"
    assert trigger.source_id == f"arn:aws:events:{account.settings.region}:{ACCOUNT}:rule/new-orders"
