"""The event-flow map: edges from what caused each invocation, and the picture."""

from __future__ import annotations

import pytest

from lambda_magic.common.errors import ResourceNotFoundException
from lambda_magic.display.flow import COLUMNS, FlowFrame, flow_frame
from lambda_magic.runtime.invocation import Invocation
from lambda_magic.runtime.lineage import Lineage, Stopped


class _Account:
    class clock:
        @staticmethod
        def time() -> float:
            return 0.0

    class metrics:
        @staticmethod
        def count(*args, **kwargs) -> None:
            pass


def run(request_id, function, trigger="direct", caller=None, status="success", attempt=None, kind="Event"):
    return Invocation(
        request_id=request_id,
        function_name=function,
        version="$LATEST",
        invocation_type=kind,
        status_code=202,
        status=status,
        trigger=trigger,
        caller_request_id=caller,
        attempt=attempt,
    )


@pytest.fixture
def lineage():
    return Lineage(_Account())


def pipeline(lineage):
    """S3 -> resize (twice), resize sends to SQS, SQS -> notify; a cell invokes resize once."""
    records = [
        run("r1", "resize", "s3:photos"),
        run("r2", "resize", "s3:photos"),
        run("n1", "notify", "sqs:notify", caller="r1", kind="RequestResponse"),
        run("n2", "notify", "sqs:notify", caller="r2", status="error", kind="RequestResponse"),
        run("c1", "resize", "direct", kind="RequestResponse"),
    ]
    lineage.sent("r1", "sqs:notify", ["m1", "m2"])
    lineage.sent("r2", "sqs:notify", ["m3"])
    return records


def edges(frame):
    return {(row.source, row.target): (row.count, row.errors) for row in frame.itertuples()}


def test_edges_between_the_same_nodes_are_summed(lineage):
    frame = flow_frame(pipeline(lineage), lineage)
    assert isinstance(frame, FlowFrame) and list(frame.columns) == COLUMNS
    assert edges(frame) == {
        ("s3:photos", "resize"): (2, 0),
        ("cell", "resize"): (1, 0),
        ("sqs:notify", "notify"): (2, 1),
        ("resize", "sqs:notify"): (3, 0),  # three messages sent
    }
    notify = frame[frame["target"] == "notify"].iloc[0]
    assert notify["trigger"] == "sqs:notify" and notify["caused_by"] in ("r1", "r2")


def test_a_request_id_selects_its_chain_upstream_and_downstream(lineage):
    frame = flow_frame(pipeline(lineage), lineage, request_id="r1")
    assert sorted(frame["request_id"].dropna()) == ["n1", "r1"]
    assert edges(frame) == {
        ("s3:photos", "resize"): (1, 0),
        ("resize", "sqs:notify"): (2, 0),
        ("sqs:notify", "notify"): (1, 0),
    }
    upstream = flow_frame(pipeline(lineage), lineage, request_id="n2")
    assert set(upstream["request_id"].dropna()) == {"r2", "n2"}
    assert edges(upstream)[("sqs:notify", "notify")] == (1, 1)
    with pytest.raises(ResourceNotFoundException, match="no kept invocation"):
        flow_frame(pipeline(lineage), lineage, request_id="nope")


def test_without_a_record_of_the_send_the_caller_wrote_into_the_service(lineage):
    """S3 and SNS deliveries name the invocation that wrote the object: resize -> s3:thumbs."""
    records = [
        run("a", "resize", "s3:photos"),
        run("b", "index", "s3:thumbs", caller="a"),
        run("c", "index", "s3:thumbs", caller="a"),
    ]
    assert edges(flow_frame(records, lineage)) == {
        ("s3:photos", "resize"): (1, 0),
        ("resize", "s3:thumbs"): (2, 0),
        ("s3:thumbs", "index"): (2, 0),
    }


def test_api_calls_retries_destinations_and_stopped_invocations(lineage):
    records = [
        run("x", "worker", "api", kind="RequestResponse"),  # from outside the account
        run("y", "worker", "api", caller="x"),  # worker invoking itself through the API
        run("e", "flaky", "direct", status="error", attempt=1),
        run("e", "flaky", "direct", attempt=2),
        run("d", "audit", "destination:flaky", caller="e"),
        run("t", "flaky", "direct", status="throttled", attempt=1),  # an async throttle is retried: not an edge
    ]
    lineage.stopped.append(Stopped("z", "worker", "y", "api", "Event", 0.0, 16))
    lineage.sent("e", "sqs:on-failure", how="destination")
    frame = flow_frame(records, lineage)
    assert edges(frame) == {
        ("api", "worker"): (1, 0),
        ("worker", "worker"): (2, 1),
        ("cell", "flaky"): (1, 1),
        ("flaky", "flaky"): (1, 0),
        ("flaky", "audit"): (1, 0),
        ("flaky", "sqs:on-failure"): (1, 0),
    }
    loop = frame[(frame["source"] == "worker") & (frame["target"] == "worker")].iloc[0]
    assert loop["stopped"] == 1
    assert set(frame[frame["target"] == "flaky"]["trigger"]) == {"direct", "retry"}
    assert frame[frame["target"] == "audit"].iloc[0]["trigger"] == "destination"


def test_the_map_draws_itself_on_white_paper(lineage):
    frame = flow_frame(pipeline(lineage), lineage)
    png = frame._repr_png_()
    assert png.startswith(b"\x89PNG")
    assert frame.figure.get_facecolor()[:3] == (1.0, 1.0, 1.0)  # reads on light and dark themes
    texts = {t.get_text() for t in frame.figure.axes[0].texts}
    assert {"s3:photos", "resize", "sqs:notify", "notify", "cell"} <= texts
    assert {"3", "2 (1 failed)"} <= texts  # counts on the arrows, failures marked
    html = frame._repr_html_()
    assert "data:image/png;base64," in html and "sqs:notify to notify: 2 (1 failed)" in html
    assert "<table" in html  # the edges below the picture
    chain = flow_frame(pipeline(lineage), lineage, request_id="r1")
    assert "request r1" in chain.figure.axes[0].get_title()


def test_an_empty_map_says_so():
    frame = flow_frame([], None)
    assert frame.empty and list(frame.columns) == COLUMNS
    assert "no invocations yet" in frame._repr_html_() and frame._repr_png_() is None


def test_a_cycle_nothing_else_reaches_reads_left_to_right():
    from lambda_magic.display.flow import _layers

    pairs = [("cell", "worker", 1, 0, 0), ("s3:loop", "copier", 16, 1, 1), ("copier", "s3:loop", 16, 0, 0)]
    nodes = ["cell", "worker", "s3:loop", "copier"]
    assert _layers(nodes, pairs) == {"cell": 0, "worker": 1, "s3:loop": 0, "copier": 1}
