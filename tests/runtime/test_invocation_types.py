"""RequestResponse, Event and DryRun (lambda-semantics §5.1)."""

from __future__ import annotations

import json
import threading
import time

import pytest

from .helpers import OK, all_gone, code, proc, survivors, template_processes, wait_until

#: Blocks until the file named in the event exists, so the test decides when the handler may finish.
GATED = code(
    """
    import os, time
    def lambda_handler(event, context):
        while not os.path.exists(event["gate"]):
            time.sleep(0.01)
        print("ran with", event["n"])
        return {"n": event["n"], "request_id": context.aws_request_id}
    """
)


def test_event_returns_202_at_once_and_runs_in_the_background(account, shared):
    account.register("fn", GATED, timeout_s=30)
    gate = shared / "gate"
    queued = account.invoke("fn", {"gate": str(gate), "n": 1}, invocation_type="Event")
    assert queued.status_code == 202
    assert queued.status == "queued"
    assert queued.invocation_type == "Event"
    assert queued.function_error is None and queued.payload is None
    # The handler cannot have finished: it waits for the gate.
    assert account.invocation_records("fn") == []
    assert account.wait(timeout=0.2) is False
    gate.touch()
    assert account.wait(timeout=30) is True
    [record] = account.invocation_records("fn")
    assert record.request_id == queued.request_id
    assert record.invocation_type == "Event"
    assert record.status_code == 202
    assert record.status == "success"
    assert record.payload == {"n": 1, "request_id": queued.request_id}
    assert "ran with 1" in record.log_lines
    assert record.report.startswith(f"REPORT RequestId: {queued.request_id}\t")
    assert [e.message for e in account.log_events("fn", request_id=queued.request_id)] == record.log_lines


def test_event_errors_are_recorded_once_per_attempt(account):
    account.register("fn", "def lambda_handler(e, c):\n    raise RuntimeError('async failure')\n")
    queued = account.invoke("fn", invocation_type="Event")
    assert queued.status_code == 202
    assert account.wait(timeout=30)
    records = account.invocation_records("fn")
    assert [r.attempt for r in records] == [1, 2, 3]  # AWS retries twice by default
    for record in records:
        assert record.status == "error"
        assert record.function_error == "Unhandled"
        assert record.error_type == "RuntimeError"
        assert record.payload["requestId"] == queued.request_id


def test_many_events_all_run(account, shared):
    account.register("fn", GATED, timeout_s=30)
    gate = shared / "gate"
    gate.touch()
    ids = {account.invoke("fn", {"gate": str(gate), "n": n}, invocation_type="Event").request_id for n in range(6)}
    assert account.wait(timeout=60)
    records = account.invocation_records("fn")
    assert {r.request_id for r in records} == ids
    assert sorted(r.payload["n"] for r in records) == list(range(6))


def test_wait_with_nothing_queued_returns_true(account):
    assert account.wait() is True
    assert account.wait(timeout=0) is True


def test_queued_event_runs_the_code_current_when_it_is_taken(account, shared):
    account.configure(async_workers=1)
    account.register("fn", GATED, timeout_s=30)
    gate = shared / "gate"
    account.invoke("fn", {"gate": str(gate), "n": 1}, invocation_type="Event")
    assert wait_until(lambda: any(state == "busy" for _, state in account.environments()), timeout=10)
    second = account.invoke("fn", {"gate": str(gate), "n": 2}, invocation_type="Event")
    account.register("fn", GATED.replace('"n": event["n"]', '"n": event["n"] * 100'), timeout_s=30)
    gate.touch()
    assert account.wait(timeout=30)
    [record] = [r for r in account.invocation_records("fn") if r.request_id == second.request_id]
    assert record.payload["n"] == 200


def test_dry_run_returns_204_and_nothing_runs(account, shared):
    marker = shared / "ran"
    account.register(
        "fn",
        code(
            f"""
        def lambda_handler(event, context):
            open({str(marker)!r}, "w").write("ran")
            return "ran"
        """
        ),
    )
    result = account.invoke("fn", {"a": 1}, invocation_type="DryRun")
    assert result.status_code == 204
    assert result.status == "dry-run"
    assert result.invocation_type == "DryRun"
    assert result.payload is None and result.function_error is None
    assert account.wait(timeout=5)
    assert not marker.exists()
    assert account.invocation_records() == []
    assert account.log_events() == []
    assert account.environments() == []
    # The marker is visible when the handler does run.
    assert account.invoke("fn").payload == "ran"
    assert marker.read_text() == "ran"


def test_dry_run_still_checks_the_request(account):
    from lambda_magic.runtime import InvalidRequestContentException, ResourceNotFoundException

    with pytest.raises(ResourceNotFoundException):
        account.invoke("missing", invocation_type="DryRun")
    account.register("fn", OK)
    with pytest.raises(InvalidRequestContentException):
        account.invoke("fn", b"not json", invocation_type="DryRun")


def test_request_response_is_synchronous_with_200(account):
    account.register("fn", OK)
    invocation = account.invoke("fn", {"x": [1, 2]})
    assert invocation.status_code == 200
    assert invocation.invocation_type == "RequestResponse"
    assert invocation.payload == {"ok": True, "event": {"x": [1, 2]}}
    assert json.loads(invocation.body) == invocation.payload
    assert account.invocation_records("fn") == [invocation]


def test_invocation_records_in_order_and_by_function(account):
    account.register("a", OK)
    account.register("b", OK)
    first, second, third = account.invoke("a"), account.invoke("b"), account.invoke("a")
    assert account.invocation_records() == [first, second, third]
    assert account.invocation_records("a") == [first, third]
    assert account.invocation_records("b") == [second]
    assert account.invocation_records("none") == []


def test_shutdown_with_a_running_event_ends_everything(account, shared):
    account.register("fn", GATED, timeout_s=30)
    gate = shared / "never"
    account.invoke("fn", {"gate": str(gate), "n": 1}, invocation_type="Event")
    try:
        assert wait_until(lambda: any(state == "busy" for _, state in account.environments()), timeout=10)
        [(env, _)] = account.environments()
        template = account.template()
        processes = [proc(env.pid), proc(template.pid)]
        # Every template this account starts from now on is recorded (other accounts of the
        # test process may start theirs meanwhile: only this account's count here).
        restarted: list[str] = []
        start_template = account.template

        def recording_template():
            restarted.append(threading.current_thread().name)
            return start_template()

        account.template = recording_template
        account.shutdown()
        assert all_gone(processes), survivors(processes)
        assert template.pid not in template_processes()
        assert account.environments() == []
        # Nothing starts again behind the caller's back (a retry of the interrupted event, say).
        time.sleep(1)
        assert restarted == [], f"the template was started again after shutdown, from {restarted}"
        assert account.environments() == []
    finally:
        gate.touch()  # let anything still running finish, so the fixture's shutdown is quick


def test_invocation_has_the_public_attributes(account):
    import re
    from datetime import timezone

    from .helpers import UUID

    account.register("fn", OK, memory_mb=256)
    cold = account.invoke("fn", {"k": "v"})
    assert re.fullmatch(UUID, cold.request_id)
    assert cold.function_name == "fn"
    assert cold.version == "$LATEST"
    assert cold.invocation_type == "RequestResponse"
    assert cold.status_code == 200
    assert cold.payload == {"ok": True, "event": {"k": "v"}}
    assert cold.function_error is None and cold.error_type is None and cold.error_message is None
    assert isinstance(cold.duration_ms, float) and cold.duration_ms >= 0
    assert isinstance(cold.billed_duration_ms, int) and cold.billed_duration_ms >= 1
    assert isinstance(cold.init_duration_ms, float)
    assert cold.memory_size_mb == 256
    assert isinstance(cold.max_memory_used_mb, int)
    assert cold.cold_start is True
    assert cold.log_lines[0].startswith("START ") and cold.log_lines[-1] == cold.report
    assert cold.report.startswith("REPORT ")
    assert isinstance(cold.cost_usd, float)
    assert cold.start_time.tzinfo == timezone.utc
    assert cold.ok is True
    headline = cold.headline()
    assert "fn" in headline and "200" in headline and "cold start" in headline
    text = repr(cold)
    assert text.startswith("Invocation fn ($LATEST, RequestResponse): 200 success, cold start")
    assert cold.report in text
    warm = account.invoke("fn")
    assert warm.init_duration_ms is None and warm.cold_start is False
    assert "warm start" in warm.headline()


def test_error_invocation_repr_shows_the_error_and_trace(account):
    account.register("fn", "def lambda_handler(e, c):\n    raise ValueError('shown')\n")
    invocation = account.invoke("fn")
    assert invocation.ok is False
    text = repr(invocation)
    assert "Error: ValueError: shown" in text
    assert 'File "/var/task/lambda_function.py", line 2, in lambda_handler' in text
