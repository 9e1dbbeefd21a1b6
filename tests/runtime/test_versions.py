"""Versions, aliases (with routing weights) and provisioned concurrency (lambda-semantics
§8.12 and §11)."""

from __future__ import annotations

import collections
import re

import pytest

from lambda_magic.runtime import (
    InvalidParameterValueException,
    ResourceConflictException,
    ResourceNotFoundException,
    TooManyRequestsException,
)
from lambda_magic.runtime import registry as registry_module

from .async_helpers import ECHO, held, manual
from .helpers import code, wait_until

#: Says which code ran and what the runtime told it about itself.
WHO = code(
    """
    import os
    WORD = "one"
    def lambda_handler(event, context):
        return {
            "word": WORD,
            "function_version": context.function_version,
            "invoked_function_arn": context.invoked_function_arn,
            "env_version": os.environ["AWS_LAMBDA_FUNCTION_VERSION"],
            "initialization_type": os.environ["AWS_LAMBDA_INITIALIZATION_TYPE"],
            "log_stream": os.environ["AWS_LAMBDA_LOG_STREAM_NAME"],
        }
    """
)

#: WHO, but waits for a gate file when the event names one (to keep environments busy).
WHO_GATED = code(
    """
    import os, time
    def lambda_handler(event, context):
        gate = (event or {}).get("gate")
        deadline = time.time() + 20
        while gate and not os.path.exists(gate) and time.time() < deadline:
            time.sleep(0.005)
        return {"initialization_type": os.environ["AWS_LAMBDA_INITIALIZATION_TYPE"],
                "function_version": context.function_version}
    """
)


def who(word: str) -> str:
    return WHO.replace('WORD = "one"', f'WORD = "{word}"')


# --- publishing -------------------------------------------------------------------------------------


def test_a_published_version_keeps_its_code(account):
    fn = account.register("fn", who("one"))
    v1 = account.publish_version("fn")
    assert v1.version == "1"
    account.register("fn", who("two"), memory_mb=256)
    assert account.invoke("fn", qualifier="1").payload["word"] == "one"
    assert account.invoke("fn").payload["word"] == "two"
    v2 = account.publish_version("fn")
    assert v2.version == "2"
    assert v2.config.memory_mb == 256
    assert account.invoke("fn", qualifier="2").payload["word"] == "two"
    ran_1 = account.invoke("fn", qualifier="1")
    assert (ran_1.payload["word"], ran_1.memory_size_mb) == ("one", 128)  # configuration is frozen too
    assert [f.version for f in account.registry.versions("fn")] == ["$LATEST", "1", "2"]
    assert fn.version == "$LATEST"


def test_publishing_unchanged_code_returns_the_last_version(account):
    account.register("fn", who("one"))
    assert account.publish_version("fn").version == "1"
    assert account.publish_version("fn").version == "1"
    account.register("fn", who("one"))  # the same code again: still nothing new
    assert account.publish_version("fn").version == "1"
    account.register("fn", who("one"), timeout_s=9)  # a configuration change is new
    assert account.publish_version("fn").version == "2"
    account.register("fn", who("one"))  # back to the code and settings of version 1...
    assert account.publish_version("fn").version == "3"  # ...is still a change from version 2


def test_a_version_description_does_not_count_as_a_change(account):
    account.register("fn", who("one"))
    assert account.publish_version("fn", description="first release").version == "1"
    assert account.publish_version("fn").version == "1"


def test_a_changed_function_description_is_a_change(account):
    # AWS Lambda Power Tuning forces one version per sample this way (onlyColdStarts)
    account.register("fn", who("one"), description="a")
    assert account.publish_version("fn").version == "1"
    account.register("fn", who("one"), description="b")
    assert account.publish_version("fn").version == "2"
    assert account.publish_version("fn", description="again").version == "2"


def test_version_numbers_are_never_reused(account):
    account.register("fn", who("one"))
    account.publish_version("fn")
    account.delete_function("fn")
    account.register("fn", who("two"))
    assert account.publish_version("fn").version == "2"
    with pytest.raises(ResourceNotFoundException):
        account.invoke("fn", qualifier="1")  # the old version went with the function


def test_publishing_an_unknown_function(account):
    with pytest.raises(ResourceNotFoundException):
        account.publish_version("nobody")


# --- qualifiers ------------------------------------------------------------------------------------


def test_a_version_invocation_knows_its_version_and_qualified_arn(account):
    fn = account.register("fn", WHO)
    account.publish_version("fn")
    result = account.invoke("fn", qualifier="1")
    body = result.payload
    assert body["function_version"] == body["env_version"] == "1"
    assert body["invoked_function_arn"] == f"{fn.arn}:1"
    assert result.version == "1"
    assert re.fullmatch(r"\d{4}/\d{2}/\d{2}/\[1\][0-9a-f]{32}", result.log_stream)
    assert body["log_stream"] == result.log_stream
    assert f"START RequestId: {result.request_id} Version: 1" in result.log_lines
    assert {e.log_stream for e in account.log_events("fn", request_id=result.request_id)} == {result.log_stream}


def test_an_alias_invocation_runs_its_version_under_the_alias_arn(account):
    fn = account.register("fn", WHO)
    account.publish_version("fn")
    alias = account.create_alias("fn", "live", "1")
    assert (alias.name, alias.function_version) == ("live", "1")
    for how in ({"qualifier": "live"}, {"name": f"{fn.arn}:live"}, {"name": "fn:live"}):
        name = how.get("name", "fn")
        result = account.invoke(name, qualifier=how.get("qualifier"))
        body = result.payload
        assert body["function_version"] == body["env_version"] == "1"  # the version, not the alias name
        assert body["invoked_function_arn"] == f"{fn.arn}:live"
        assert result.version == "1"
        assert "/[1]" in result.log_stream


def test_an_unqualified_invocation_runs_latest_under_the_plain_arn(account):
    fn = account.register("fn", WHO)
    account.publish_version("fn")
    body = account.invoke("fn").payload
    assert body["function_version"] == "$LATEST"
    assert body["invoked_function_arn"] == fn.arn
    assert account.invoke("fn", qualifier="$LATEST").payload["invoked_function_arn"] == f"{fn.arn}:$LATEST"


@pytest.mark.parametrize("qualifier", ["7", "nope"])
def test_unknown_qualifiers_are_not_found(account, qualifier):
    account.register("fn", WHO)
    account.publish_version("fn")
    with pytest.raises(ResourceNotFoundException):
        account.invoke("fn", qualifier=qualifier)
    with pytest.raises(ResourceNotFoundException):
        account.invoke("fn", qualifier=qualifier, invocation_type="Event")


def test_update_alias_moves_traffic(account):
    account.register("fn", who("one"))
    account.publish_version("fn")
    account.create_alias("fn", "live", "1")
    account.register("fn", who("two"))
    account.publish_version("fn")
    assert account.invoke("fn", qualifier="live").payload["word"] == "one"
    account.update_alias("fn", "live", "2")
    assert account.invoke("fn", qualifier="live").payload["word"] == "two"


def test_alias_rules(account):
    account.register("fn", WHO)
    account.publish_version("fn")
    account.create_alias("fn", "live", "1")
    with pytest.raises(ResourceConflictException):
        account.create_alias("fn", "live", "1")
    with pytest.raises(ResourceNotFoundException):
        account.update_alias("fn", "staging", "1")
    with pytest.raises(ResourceNotFoundException):
        account.create_alias("fn", "next", "2")  # not published
    for bad in ("123", "has space", "x" * 129):
        with pytest.raises(InvalidParameterValueException):
            account.create_alias("fn", bad, "1")
    with pytest.raises(InvalidParameterValueException):
        account.create_alias("fn", "weighted", "$LATEST", routing={"1": 0.5})  # weights need published versions
    account.register("fn", who("two"))
    account.publish_version("fn")
    for weights in ({"2": 1.5}, {"2": -0.1}):
        with pytest.raises(InvalidParameterValueException):
            account.create_alias("fn", "canary", "1", routing=weights)
    with pytest.raises(ResourceNotFoundException):
        account.create_alias("fn", "canary", "1", routing={"3": 0.1})
    assert [a.name for a in account.registry.aliases("fn")] == ["live"]
    assert account.create_alias("fn", "latest", "$LATEST").function_version == "$LATEST"


# --- routing weights ---------------------------------------------------------------------------------


class Draws:
    """Stands in for the random module in the registry: returns the given draws in turn."""

    def __init__(self, draws):
        self.draws = list(draws)

    def random(self):
        return self.draws.pop(0)


def test_routing_weights_pick_the_additional_version_below_its_weight(account, monkeypatch):
    account.register("fn", who("one"))
    account.publish_version("fn")
    account.register("fn", who("two"))
    account.publish_version("fn")
    account.create_alias("fn", "canary", "1", routing={"2": 0.25})
    monkeypatch.setattr(registry_module, "random", Draws([0.0, 0.2499, 0.25, 0.9]))
    ran = [account.invoke("fn", qualifier="canary") for _ in range(4)]
    assert [r.payload["word"] for r in ran] == ["two", "two", "one", "one"]
    assert [r.version for r in ran] == ["2", "2", "1", "1"]
    assert {r.payload["function_version"] for r in ran} == {"1", "2"}
    assert {r.payload["invoked_function_arn"].rsplit(":", 1)[1] for r in ran} == {"canary"}


def test_routing_weights_split_traffic(account):
    """Statistically: 400 calls at a 30% weight land on version 2 about 120 times
    (the tolerance is more than six standard deviations)."""
    account.register("fn", who("one"))
    account.publish_version("fn")
    account.register("fn", who("two"))
    account.publish_version("fn")
    account.create_alias("fn", "canary", "1", routing={"2": 0.3})
    counts = collections.Counter(account.invoke("fn", qualifier="canary").version for _ in range(400))
    assert set(counts) == {"1", "2"}
    assert abs(counts["2"] - 120) <= 60, counts


# --- reserved concurrency belongs to the function ----------------------------------------------


def test_reserved_concurrency_is_shared_by_every_version(account, shared):
    account.register("fn", WHO_GATED, timeout_s=30, reserved_concurrency=1)
    account.publish_version("fn")
    with held(account, "fn", shared, 1, qualifier="1"), pytest.raises(TooManyRequestsException):
        account.invoke("fn")  # $LATEST shares the one unit of concurrency with version 1


# --- provisioned concurrency ---------------------------------------------------------------------------


def test_provisioned_concurrency_initialises_environments_ahead(account):
    account.register("fn", WHO_GATED, timeout_s=30)
    account.publish_version("fn")
    account.create_alias("fn", "live", "1")
    assert account.put_provisioned_concurrency("fn", "live", 2) == []
    assert [state for _, state in account.environments()] == ["idle", "idle"]
    init_lines = account.log_events("fn")
    assert [e.message.split(" ")[0] for e in init_lines] == ["INIT_START", "INIT_REPORT"] * 2
    streams = {e.log_stream for e in init_lines}
    assert len(streams) == 2 and all("/[1]" in s for s in streams)
    assert all(e.request_id is None for e in init_lines)  # before any request
    for report in (e.message for e in init_lines if e.message.startswith("INIT_REPORT")):
        assert "Phase: init" in report and "Status: success" in report
    assert account.invocation_records("fn") == []  # initialising is not an invocation

    result = account.invoke("fn", qualifier="live")
    assert result.payload == {"initialization_type": "provisioned-concurrency", "function_version": "1"}
    assert result.cold_start is False
    assert result.init_duration_ms is None
    assert "Init Duration" not in result.report
    assert result.init_log_lines == []
    assert result.log_stream in streams
    assert len(account.environments()) == 2  # it used a provisioned one


def test_requests_beyond_provisioned_concurrency_spill_over_to_on_demand(account, shared):
    account.register("fn", WHO_GATED, timeout_s=30)
    account.publish_version("fn")
    account.create_alias("fn", "live", "1")
    account.put_provisioned_concurrency("fn", "live", 2)
    with held(account, "fn", shared, 2, qualifier="live") as busy:
        spill = account.invoke("fn", qualifier="live")
    assert [f.result().payload["initialization_type"] for f in busy] == ["provisioned-concurrency"] * 2
    assert all(f.result().cold_start is False for f in busy)
    assert spill.payload == {"initialization_type": "on-demand", "function_version": "1"}
    assert spill.cold_start is True
    assert spill.init_duration_ms is not None and "Init Duration" in spill.report
    # Afterwards the provisioned environments serve again.
    again = account.invoke("fn", qualifier="live")
    assert again.payload["initialization_type"] == "provisioned-concurrency"


def test_provisioned_concurrency_on_a_version(account):
    account.register("fn", WHO_GATED)
    account.publish_version("fn")
    assert account.put_provisioned_concurrency("fn", "1", 1) == []
    assert account.invoke("fn", qualifier="1").payload["initialization_type"] == "provisioned-concurrency"
    latest = account.invoke("fn")  # $LATEST has none
    assert latest.payload["initialization_type"] == "on-demand" and latest.cold_start


@pytest.mark.parametrize("qualifier", [None, "$LATEST"])
def test_provisioned_concurrency_on_latest_is_refused(account, qualifier):
    account.register("fn", WHO)
    with pytest.raises(InvalidParameterValueException) as caught:
        account.put_provisioned_concurrency("fn", qualifier, 1)
    assert "$LATEST" in str(caught.value) and "\n" not in str(caught.value)
    assert account.environments() == []


def test_provisioned_concurrency_limits(account):
    account.register("fn", WHO, reserved_concurrency=1)
    account.publish_version("fn")
    with pytest.raises(InvalidParameterValueException):
        account.put_provisioned_concurrency("fn", "1", 2)  # more than the reservation
    for count in (0, -1, 1.5, True):
        with pytest.raises(InvalidParameterValueException):
            account.put_provisioned_concurrency("fn", "1", count)
    with pytest.raises(ResourceNotFoundException):
        account.put_provisioned_concurrency("fn", "nope", 1)
    assert account.environments() == []


def test_provisioned_environments_stay_initialised_while_idle(account):
    manual(account)
    account.register("fn", WHO_GATED)
    account.publish_version("fn")
    account.put_provisioned_concurrency("fn", "1", 1)
    account.clock.advance(account.settings.idle_timeout_s + 60)  # the reaper runs on the account clock
    wait_until(lambda: account.environments() == [], timeout=2)  # give it the chance to (wrongly) end them
    result = account.invoke("fn", qualifier="1")
    assert result.payload["initialization_type"] == "provisioned-concurrency"
    assert result.cold_start is False


# --- async through versions and aliases ----------------------------------------------------------------


def test_async_invocation_of_an_alias_reports_the_version_that_ran(account):
    manual(account)
    fn = account.register("fn", WHO)
    account.register("sink", ECHO)
    account.publish_version("fn")
    account.create_alias("fn", "live", "1")
    account.configure_async("fn", on_success="sink")
    queued = account.invoke("fn", invocation_type="Event", qualifier="live")
    assert queued.status_code == 202
    assert account.wait(timeout=10) is True
    [ran] = account.invocation_records("fn")
    assert (ran.version, ran.request_id, ran.attempt) == ("1", queued.request_id, 1)
    assert ran.payload["invoked_function_arn"] == f"{fn.arn}:live"
    [delivered] = account.invocation_records("sink")
    record = delivered.payload
    assert record["responseContext"]["executedVersion"] == "1"
    assert record["requestContext"]["functionArn"] in (f"{fn.arn}:live", f"{fn.arn}:1")
