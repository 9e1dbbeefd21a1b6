"""X-Ray: the trace header, TracingConfig and sampling with the default rule on the account
clock, the local daemon's protocol, and X-Ray's API through boto3 (``PutTraceSegments``,
``GetTraceSummaries``, ``BatchGetTraces``) against the account's traces."""

from __future__ import annotations

import json
import random
import socket
import time

import pytest

from lambda_magic.common.errors import InvalidParameterValueException
from lambda_magic.endpoints.lambda_api import LambdaAPI
from lambda_magic.runtime.xray import xray
from lambda_magic.runtime.xray_header import TraceHeader
from lambda_magic.runtime.xray_sampling import FIXED_RATE

HEADER = """
import os


def lambda_handler(event, context):
    return os.environ.get("_X_AMZN_TRACE_ID")
"""

TRACE = "1-5759e988-bd862e3fe1be46a994272793"


def test_trace_header_parses_and_prints_as_lambda_passes_it():
    text = f"Root={TRACE};Parent=53995c3f42cd8ad8;Sampled=1;Lineage=1:bd862e3f:0"
    header = TraceHeader.parse(text)
    assert header == TraceHeader(TRACE, "53995c3f42cd8ad8", True, "1:bd862e3f:0")
    assert str(header) == text
    assert TraceHeader.parse(f"Root={TRACE};Sampled=?").sampled is None
    assert TraceHeader.parse("Root=1-zz;Sampled=1") is None
    assert TraceHeader.parse(None) is None


def test_tracing_mode_is_validated_and_kept_in_the_configuration(account):
    function = account.register("f", HEADER, tracing="Active", isolation="inline")
    assert function.config.tracing == "Active"
    assert account.register("f", HEADER, isolation="inline").config.tracing == "PassThrough"
    with pytest.raises(InvalidParameterValueException, match="Active or PassThrough"):
        account.register("f", HEADER, tracing="Sometimes")


def test_the_lambda_api_sets_and_reports_tracing_config(account):
    client = LambdaAPI.of(account).client()
    account.register("f", HEADER, isolation="inline")
    assert client.get_function_configuration(FunctionName="f")["TracingConfig"] == {"Mode": "PassThrough"}
    client.update_function_configuration(FunctionName="f", TracingConfig={"Mode": "Active"})
    assert client.get_function_configuration(FunctionName="f")["TracingConfig"] == {"Mode": "Active"}
    assert account.get_function("f").config.tracing == "Active"  # the function's real setting
    header = TraceHeader.parse(account.invoke("f").payload)
    assert header.sampled is True  # the first request of the second
    client.update_function_configuration(FunctionName="f", Description="unchanged tracing")
    assert account.get_function("f").config.tracing == "Active"
    with pytest.raises(client.exceptions.InvalidParameterValueException):
        client.update_function_configuration(FunctionName="f", TracingConfig={"Mode": "Always"})


def test_active_tracing_samples_the_first_request_each_second_then_five_percent(account):
    account.clock.set_mode("manual")
    account.register("f", HEADER, tracing="Active", isolation="inline")
    sampler = xray(account).sampler("f")
    sampler.rng = random.Random(7).random
    replay = random.Random(7)
    sampled = [TraceHeader.parse(account.invoke("f").payload).sampled for _ in range(60)]
    expected = [True] + [replay.random() < FIXED_RATE for _ in range(59)]
    assert sampled == expected
    assert sampled.count(True) == 1 + sum(expected[1:])
    account.clock.advance(1.0)  # a new second on the account clock: its first request is sampled again
    assert TraceHeader.parse(account.invoke("f").payload).sampled is True
    assert sampler.counts[0] == 2  # two reservoir decisions, one per second


def test_pass_through_without_an_upstream_decision_traces_nothing_and_headers_are_fresh(account):
    account.register("f", HEADER, isolation="inline")
    headers = [TraceHeader.parse(account.invoke("f").payload) for _ in range(3)]
    assert all(h is not None and h.sampled is False and h.parent for h in headers)
    assert len({h.root for h in headers}) == 3 and len({h.parent for h in headers}) == 3
    assert int(headers[0].root.split("-")[1], 16) == pytest.approx(time.time(), abs=60)
    xray(account).collect()
    assert xray(account).store.trace_ids() == []


def test_lambda_records_its_service_and_function_segments_for_a_sampled_request(account):
    account.register("f", HEADER, tracing="Active", isolation="inline")
    invocation = account.invoke("f")
    header = TraceHeader.parse(invocation.payload)
    docs = {d["origin"]: d for d in xray(account).store.documents(header.root)}
    service, function = docs["AWS::Lambda"], docs["AWS::Lambda::Function"]
    assert function["id"] == header.parent  # the handler's SDK hangs its subsegments here
    assert function["parent_id"] == service["id"] and "parent_id" not in service
    assert service["name"] == function["name"] == "f"
    assert service["aws"]["request_id"] == invocation.request_id
    names = [s["name"] for s in function["subsegments"]]
    assert names == ["Initialization", "Invocation", "Overhead"]  # a cold start
    assert service["start_time"] <= function["start_time"] <= function["end_time"] <= service["end_time"]
    account.clock.set_mode("manual")
    account.clock.advance(1.0)
    warm = TraceHeader.parse(account.invoke("f").payload)
    (warm_function,) = [d for d in xray(account).store.documents(warm.root) if d["origin"] == "AWS::Lambda::Function"]
    assert [s["name"] for s in warm_function["subsegments"]] == ["Invocation", "Overhead"]


def _send(account, text: str) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.sendto(text.encode(), (account.endpoints.xray.host, account.endpoints.xray.port))


def _segment(**fields):
    doc = {"trace_id": TRACE, "id": "defdfd9912dc5a56", "name": "client", "start_time": 1461096053.37518}
    doc.update(fields)
    return doc


def test_the_daemon_reads_the_protocol_and_refuses_what_x_ray_would(account):
    header = '{"format": "json", "version": 1}\n'
    _send(account, header + json.dumps(_segment(in_progress=True)))
    _send(account, header + json.dumps(_segment(end_time=1461096053.4042)))  # the complete one overwrites
    _send(account, header + json.dumps(_segment(in_progress=True)))  # ...and is never replaced by a partial one
    _send(
        account, '{"format":"json","version":1}\n' + json.dumps(_segment(id="1111111111111111", end_time=1461096053.39))
    )
    _send(account, json.dumps(_segment(id="2222222222222222", end_time=1461096053.39)))  # no header line
    _send(account, header + json.dumps(_segment(id="3333333333333333")))  # no end_time nor in_progress
    _send(account, header + json.dumps(_segment(id="4444444444444444", trace_id="1-abc", end_time=1.0)))
    service = xray(account)
    service.collect()
    docs = {d["id"]: d for d in service.store.documents(TRACE)}
    assert sorted(docs) == ["1111111111111111", "defdfd9912dc5a56"]
    assert docs["defdfd9912dc5a56"]["end_time"] == 1461096053.4042
    assert service.daemon.rejected == 3


def test_put_trace_segments_and_batch_get_traces_fold_independent_subsegments(account):
    client = account.cloud.client("xray")
    start = time.time()
    segment = _segment(trace_id=f"1-{int(start):08x}-bd862e3fe1be46a994272793", start_time=start, end_time=start + 0.5)
    trace_id = segment["trace_id"]
    sub = {
        "type": "subsegment",
        "trace_id": trace_id,
        "parent_id": segment["id"],
        "id": "aaaaaaaaaaaaaaaa",
        "name": "DynamoDB",
        "namespace": "aws",
        "start_time": start + 0.1,
        "end_time": start + 0.2,
    }
    nested = {**sub, "id": "bbbbbbbbbbbbbbbb", "parent_id": sub["id"], "name": "marshal", "namespace": "local"}
    answer = client.put_trace_segments(
        TraceSegmentDocuments=[
            json.dumps(segment),
            json.dumps(sub),
            json.dumps(nested),
            "{not json",
            json.dumps({"id": "cccccccccccccccc"}),
        ]
    )
    assert [(u.get("Id"), u["ErrorCode"]) for u in answer["UnprocessedTraceSegments"]] == [
        (None, "JSONFormatError"),
        ("cccccccccccccccc", "MissingParam"),
    ]
    (trace,) = client.batch_get_traces(TraceIds=[trace_id])["Traces"]
    assert trace["Id"] == trace_id and trace["Duration"] == pytest.approx(0.5, abs=0.001)
    (doc,) = [json.loads(s["Document"]) for s in trace["Segments"]]
    (dynamo,) = doc["subsegments"]
    assert dynamo["name"] == "DynamoDB" and "parent_id" not in dynamo and "type" not in dynamo
    assert [s["name"] for s in dynamo["subsegments"]] == ["marshal"]
    missing = "1-00000000-000000000000000000000000"
    assert client.batch_get_traces(TraceIds=[missing]) | {"ResponseMetadata": None} == {
        "Traces": [],
        "UnprocessedTraceIds": [missing],
        "ResponseMetadata": None,
    }


def test_get_trace_summaries_through_boto3_with_filter_expressions(account):
    client = LambdaAPI.of(account).client()
    account.register("ok", HEADER, tracing="Active", isolation="inline")
    account.register(
        "boom",
        "def lambda_handler(event, context):\n    raise ValueError('no')\n",
        tracing="Active",
        isolation="inline",
    )
    ok, boom = TraceHeader.parse(account.invoke("ok").payload), account.invoke("boom")
    assert client is not None and boom.status == "error"
    xray_client = account.cloud.client("xray")
    window = {"StartTime": time.time() - 120, "EndTime": time.time() + 5}
    summaries = {s["Id"]: s for s in xray_client.get_trace_summaries(**window)["TraceSummaries"]}
    assert len(summaries) == 2
    good = summaries[ok.root]
    assert good["HasFault"] is False and good["Http"] == {"HttpStatus": 200}
    assert {(s["Name"], s["Type"]) for s in good["ServiceIds"]} == {
        ("ok", "AWS::Lambda"),
        ("ok", "AWS::Lambda::Function"),
    }
    assert 0 < good["ResponseTime"] <= good["Duration"]
    faulted = xray_client.get_trace_summaries(**window, FilterExpression='service("boom") AND fault')["TraceSummaries"]
    assert [s["HasFault"] for s in faulted] == [True]
    assert [s["Id"] for s in xray_client.get_trace_summaries(**window, FilterExpression="ok")["TraceSummaries"]] == [
        ok.root
    ]
    early = {"StartTime": time.time() - 7200, "EndTime": time.time() - 3600}
    assert xray_client.get_trace_summaries(**early)["TraceSummaries"] == []
    with pytest.raises(xray_client.exceptions.InvalidRequestException, match="FilterExpression"):
        xray_client.get_trace_summaries(**window, FilterExpression="edge(a, b)")


def test_a_traced_report_line_names_the_trace_and_segment(account):
    account.register("f", HEADER, tracing="Active", isolation="inline")
    account.register("j", HEADER, tracing="Active", isolation="inline", log_format="JSON")
    invocation = account.invoke("f")
    header = TraceHeader.parse(invocation.payload)
    assert invocation.report.endswith(f"\t\nXRAY TraceId: {header.root}\tSegmentId: {header.parent}\tSampled: true")
    (report,) = [e for e in account.log_events("f") if e.message.startswith("REPORT")]
    assert f"XRAY TraceId: {header.root}" in report.message
    json_invocation = account.invoke("j")
    record = json.loads(json_invocation.report)["record"]
    assert record["tracing"] == {
        "spanId": TraceHeader.parse(json_invocation.payload).parent,
        "type": "X-Amzn-Trace-Id",
        "value": json_invocation.payload,
    }
    account.register("p", HEADER, isolation="inline")
    assert "XRAY" not in account.invoke("p").report  # not traced: no XRAY line


def _invoke_with_header(client, name, header):
    def add(request, **_):
        request.headers["X-Amzn-Trace-Id"] = header

    client.meta.events.register("before-sign.lambda.Invoke", add)
    try:
        return json.loads(client.invoke(FunctionName=name)["Payload"].read())
    finally:
        client.meta.events.unregister("before-sign.lambda.Invoke", add)


def test_an_invoke_carrying_a_trace_header_joins_its_trace_and_decision(account):
    client = LambdaAPI.of(account).client()
    account.register("pass", HEADER, isolation="inline")
    account.register("active", HEADER, tracing="Active", isolation="inline")
    upstream = f"Root={TRACE};Parent=53995c3f42cd8ad8"
    got = TraceHeader.parse(_invoke_with_header(client, "pass", upstream + ";Sampled=1"))
    assert (got.root, got.sampled) == (TRACE, True)  # PassThrough honours Sampled=1
    (service,) = [d for d in xray(account).store.documents(TRACE) if d["origin"] == "AWS::Lambda"]
    assert service["parent_id"] == "53995c3f42cd8ad8"
    account.clock.set_mode("manual")
    account.clock.advance(1.0)  # a fresh second: the reservoir would sample the next request
    refused = TraceHeader.parse(_invoke_with_header(client, "active", upstream + ";Sampled=0"))
    assert (refused.root, refused.sampled) == (TRACE, False)  # Active honours an upstream Sampled=0
    asked = TraceHeader.parse(_invoke_with_header(client, "active", upstream + ";Sampled=?"))
    assert asked.sampled is True  # "?": the function's own rule decides (the second's first request)
    assert TraceHeader.parse(_invoke_with_header(client, "pass", upstream + ";Sampled=?")).sampled is False


def test_memory_is_bounded_like_the_other_stores(account):
    from lambda_magic.runtime.xray_store import TraceStore

    store = TraceStore(lambda: 3)
    for n in range(5):
        store.put(_segment(trace_id=f"1-5759e988-{n:024x}", end_time=1461096053.4))
    assert store.trace_ids() == [f"1-5759e988-{n:024x}" for n in (2, 3, 4)] and store.dropped == 2
    account.settings.retained_invocations = 0  # contexts: never fewer than 100
    account.register("f", HEADER, isolation="inline")
    ids = [account.invoke("f").request_id for _ in range(102)]
    service = xray(account)
    assert service.context(ids[0]) is None and service.context(ids[1]) is None
    assert service.context(ids[2]) is not None and service.context(ids[-1]) is not None
