"""X-Ray with real clients inside handlers: the X-Ray SDK (``patch_all``, ``@capture``) and
Powertools Tracer send their subsegments to the account's daemon under the function
segment Lambda records, and one trace follows a request across functions (a synchronous
invoke through the Lambda API, an SNS publish), as the X-Ray console shows it."""

from __future__ import annotations

import json
import time

import pytest

from lambda_magic.endpoints.lambda_api import LambdaAPI
from lambda_magic.runtime.xray import xray
from lambda_magic.runtime.xray_header import TraceHeader
from lambda_magic.runtime.xray_store import trace_rows
from lambda_magic.sources.push import PushSources

pytestmark = pytest.mark.slow  # process environments importing the X-Ray SDK, boto3 to the local cloud

XRAY_SDK = """
import os
from aws_xray_sdk.core import xray_recorder, patch_all

patch_all()
import boto3

s3 = boto3.client("s3")


@xray_recorder.capture("load_order")
def load_order(order_id):
    xray_recorder.current_subsegment().put_annotation("order_id", order_id)
    return {"id": order_id}


def lambda_handler(event, context):
    s3.list_buckets()
    return {"header": os.environ["_X_AMZN_TRACE_ID"], "order": load_order(event["id"])}
"""

POWERTOOLS = """
from aws_lambda_powertools import Tracer

tracer = Tracer(service="orders")


@tracer.capture_method
def price(n):
    return n * 3


@tracer.capture_lambda_handler
def lambda_handler(event, context):
    tracer.put_annotation(key="customer", value="c-1")
    return price(event["n"])
"""

FRONT = """
import json
import os
from aws_xray_sdk.core import xray_recorder, patch_all

patch_all()
import boto3

lam = boto3.client("lambda")
sns = boto3.client("sns")


def lambda_handler(event, context):
    answer = lam.invoke(FunctionName="back", Payload=json.dumps({"id": 7}))
    sns.publish(TopicArn=os.environ["TOPIC"], Message="order 7 placed")
    return {"header": os.environ["_X_AMZN_TRACE_ID"], "back": json.loads(answer["Payload"].read())}
"""

BACK = """
import os


def lambda_handler(event, context):
    return os.environ["_X_AMZN_TRACE_ID"]
"""


def _rows(account, trace_id):
    service = xray(account)
    service.collect()
    return trace_rows(trace_id, service.store.assembled(trace_id))


def test_x_ray_sdk_subsegments_hang_under_lambdas_function_segment(account):
    account.register("orders", XRAY_SDK, tracing="Active", timeout_s=60)
    invocation = account.invoke("orders", {"id": "o-1"})
    assert invocation.status == "success", invocation.error
    header = TraceHeader.parse(invocation.payload["header"])
    assert header.sampled is True
    rows = {row["name"] if row["kind"] == "subsegment" else row["origin"]: row for row in _rows(account, header.root)}
    service, function = rows["AWS::Lambda"], rows["AWS::Lambda::Function"]
    assert function["id"] == header.parent and function["parent"] == service["id"]
    for name in ("Initialization", "Invocation", "Overhead", "s3", "load_order"):
        assert rows[name]["parent"] == function["id"], name
        assert rows[name]["depth"] == 2 and rows[name]["function"] == "orders"
    assert rows["s3"]["namespace"] == "aws" and rows["s3"]["operation"] == "ListBuckets"  # the patched boto3 call
    (sdk_doc,) = [d for d in xray(account).store.documents(header.root) if d.get("name") == "s3"]
    assert sdk_doc["type"] == "subsegment" and sdk_doc["aws"]["operation"] == "ListBuckets"
    assert rows["Invocation"]["start"] <= rows["s3"]["start"] <= rows["load_order"]["start"]
    summary = account.cloud.client("xray").get_trace_summaries(
        StartTime=time.time() - 300, EndTime=time.time() + 5, FilterExpression='annotation.order_id = "o-1"'
    )["TraceSummaries"]
    assert [s["Id"] for s in summary] == [header.root]


def test_powertools_tracer_inside_a_handler(account):
    account.register("priced", POWERTOOLS, tracing="Active", timeout_s=60)
    invocation = account.invoke("priced", {"n": 2})
    assert invocation.status == "success" and invocation.payload == 6, invocation.error
    (trace_id,) = xray(account).store.trace_ids()
    rows = {row["name"]: row for row in _rows(account, trace_id)}
    handler, method = rows["## lambda_handler"], rows["## lambda_function.price"]
    function = next(r for r in rows.values() if r["origin"] == "AWS::Lambda::Function")
    assert handler["parent"] == function["id"] and method["parent"] == handler["id"]
    (trace,) = account.cloud.client("xray").batch_get_traces(TraceIds=[trace_id])["Traces"]
    docs = [json.loads(s["Document"]) for s in trace["Segments"]]
    (fn_doc,) = [d for d in docs if d.get("origin") == "AWS::Lambda::Function"]
    (folded,) = [s for s in fn_doc["subsegments"] if s["name"] == "## lambda_handler"]
    assert folded["annotations"]["ColdStart"] is True and folded["annotations"]["customer"] == "c-1"
    assert folded["annotations"]["Service"] == "orders"
    assert [s["name"] for s in folded["subsegments"]] == ["## lambda_function.price"]


def test_one_trace_follows_a_request_through_a_sync_invoke_and_sns(account):
    api = LambdaAPI.of(account)
    client = api.client()
    push = PushSources.of(account, policy=api.policy, lambda_client=client)
    assert push is not None
    topic = account.cloud.client("sns").create_topic(Name="placed")["TopicArn"]
    account.register("front", FRONT, tracing="Active", timeout_s=60, env={"TOPIC": topic})
    account.register("back", BACK, timeout_s=60)  # PassThrough: honours the caller's Sampled=1
    account.register("notify", BACK, timeout_s=60)
    client.add_permission(
        FunctionName="notify",
        StatementId="sns",
        Action="lambda:InvokeFunction",
        Principal="sns.amazonaws.com",
        SourceArn=topic,
    )
    account.cloud.client("sns").subscribe(
        TopicArn=topic, Protocol="lambda", Endpoint=account.get_function("notify").arn
    )
    invocation = account.invoke("front")
    assert invocation.status == "success", invocation.error
    assert account.wait(timeout=60)
    front = TraceHeader.parse(invocation.payload["header"])
    back = TraceHeader.parse(invocation.payload["back"])
    (notified,) = account.invocation_records("notify")
    notify = TraceHeader.parse(notified.payload)
    assert front.sampled and back.sampled and notify.sampled
    assert front.root == back.root == notify.root  # one trace across the three functions
    assert len({front.parent, back.parent, notify.parent}) == 3
    rows = _rows(account, front.root)
    names = {(r["function"], r["name"], r["kind"]) for r in rows}
    assert ("front", "lambda", "subsegment") in names and ("front", "sns", "subsegment") in names
    segments = {(r["name"], r["origin"]): r for r in rows if r["kind"] == "segment"}
    assert set(segments) == {
        (f, o) for f in ("front", "back", "notify") for o in ("AWS::Lambda", "AWS::Lambda::Function")
    }
    caller = segments["front", "AWS::Lambda::Function"]
    (invoke_call,) = [r for r in rows if r["name"] == "lambda"]  # the patched boto3 call's subsegment
    # the Invoke carried the SDK's header (Parent: its subsegment); SNS: the publishing function
    for callee, parent in (("back", invoke_call), ("notify", caller)):
        service, function = segments[callee, "AWS::Lambda"], segments[callee, "AWS::Lambda::Function"]
        assert service["parent"] == parent["id"] and function["parent"] == service["id"]
        assert service["depth"] == parent["depth"] + 1
    assert invoke_call["start"] <= segments["back", "AWS::Lambda"]["start"]
    assert segments["back", "AWS::Lambda::Function"]["id"] == back.parent
    assert segments["notify", "AWS::Lambda::Function"]["id"] == notify.parent


def test_the_invocation_subsegment_covers_the_handlers_own_subsegments(account):
    account.register("orders", XRAY_SDK, tracing="Active", timeout_s=60)
    for n in range(2):  # cold, then warm
        if n:
            account.clock.set_mode("manual")
            account.clock.advance(1.0)
        header = TraceHeader.parse(account.invoke("orders", {"id": f"o-{n}"}).payload["header"])
        rows = {r["name"]: r for r in _rows(account, header.root) if r["kind"] == "subsegment"}
        invocation, overhead = rows["Invocation"], rows["Overhead"]
        for name in ("s3", "load_order"):
            assert invocation["start"] <= rows[name]["start"] <= rows[name]["end"] <= invocation["end"], name
        assert invocation["end"] <= overhead["start"]


SENDER = """
import json
import os
import boto3

sqs = boto3.client("sqs")
lam = boto3.client("lambda")


def lambda_handler(event, context):
    sqs.send_message(QueueUrl=os.environ["QUEUE_URL"], MessageBody="hello")
    lam.invoke(FunctionName="later", InvocationType="Event", Payload=b"{}")
    return os.environ["_X_AMZN_TRACE_ID"]
"""

RECEIVER = """
import os


def lambda_handler(event, context):
    records = event.get("Records") or [{}]
    return {"header": os.environ["_X_AMZN_TRACE_ID"], "aws": records[0].get("attributes", {}).get("AWSTraceHeader")}
"""


def test_sqs_and_async_invokes_carry_the_trace_on(account):
    from lambda_magic.sources import EventSourceMappings

    LambdaAPI.of(account)
    sqs = account.cloud.client("sqs")
    url = sqs.create_queue(QueueName="work")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    account.register("sender", SENDER, tracing="Active", timeout_s=60, env={"QUEUE_URL": url})
    account.register("worker", RECEIVER, timeout_s=20)
    account.register("later", RECEIVER, timeout_s=60)
    EventSourceMappings.of(account).create("worker", arn)
    sent = TraceHeader.parse(account.invoke("sender").payload)
    assert sent.sampled
    deadline = time.monotonic() + 60
    while not (account.invocation_records("worker") and account.invocation_records("later")):
        assert time.monotonic() < deadline, "the poller and the async queue deliver by themselves"
        time.sleep(0.1)
    assert account.wait(timeout=60)
    (worker,) = account.invocation_records("worker")
    (later,) = account.invocation_records("later")
    for record in (worker, later):
        got = TraceHeader.parse(record.payload["header"])
        assert got.root == sent.root and got.sampled and got.parent != sent.parent
    assert TraceHeader.parse(worker.payload["aws"]).root == sent.root  # SQS kept the sender's header
    functions = {r["function"] for r in _rows(account, sent.root) if r["kind"] == "segment"}
    assert functions == {"sender", "worker", "later"}
