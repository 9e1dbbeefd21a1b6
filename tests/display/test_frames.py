"""DataFrames: the contract's columns, in order, with the contract's types."""

import pandas as pd
import pytest

import lambda_magic as lm
from lambda_magic.display import frames

CODE = "import logging\ndef lambda_handler(event, context):\n    logging.warning('careful')\n    return event\n"


@pytest.fixture
def account():
    lm.reset()
    yield lm.account()
    lm.reset()


def test_invocations_columns_and_types(account):
    lm.register("f", CODE, memory_mb=256)
    lm.invoke("f", {"a": 1})
    lm.invoke("f", {"a": 2})
    frame = lm.invocations()
    assert list(frame.columns[:15]) == [
        "request_id",
        "function",
        "version",
        "invocation_type",
        "trigger",
        "start",
        "duration_ms",
        "billed_duration_ms",
        "init_duration_ms",
        "memory_size_mb",
        "max_memory_used_mb",
        "cold_start",
        "status",
        "error_type",
        "cost_usd",
    ]
    assert isinstance(frame["start"].dtype, pd.DatetimeTZDtype) and str(frame["start"].dt.tz) == "UTC"
    assert frame["duration_ms"].dtype == "float64"
    assert frame["memory_size_mb"].tolist() == [256, 256]
    assert frame["cold_start"].tolist() == [True, False]
    assert frame["init_duration_ms"].isna().tolist() == [False, True]
    assert (frame["max_memory_used_mb"] > 0).all()
    assert frame["status"].tolist() == ["success", "success"]


def test_logs_columns_and_levels(account):
    lm.register("f", CODE)
    inv = lm.invoke("f", {})
    frame = lm.logs("f")
    assert list(frame.columns) == ["timestamp", "function", "log_stream", "request_id", "level", "message"]
    assert str(frame["timestamp"].dt.tz) == "UTC"
    warning = frame[frame["level"] == "WARNING"]
    assert len(warning) == 1 and warning["request_id"].iloc[0] == inv.request_id
    assert warning["message"].iloc[0].startswith("[WARNING]\t")
    assert set(frame["log_stream"]) == {inv.log_stream}


def test_functions_columns(account):
    lm.register("b", CODE)
    lm.register("a", CODE, architecture="arm64")
    frame = lm.functions()
    assert list(frame.columns[:9]) == [
        "name",
        "arn",
        "runtime",
        "handler",
        "memory_mb",
        "timeout_s",
        "code_sha256",
        "code_size",
        "last_modified",
    ]
    assert frame["name"].tolist() == ["a", "b"]
    assert frame["handler"].tolist() == ["lambda_function.lambda_handler"] * 2
    assert str(frame["last_modified"].dt.tz) == "UTC"


def test_empty_frames_keep_their_columns(account):
    assert list(lm.invocations().columns) == frames.INVOCATION_COLUMNS
    assert list(lm.logs().columns) == frames.LOG_COLUMNS
    assert list(lm.functions().columns) == frames.FUNCTION_COLUMNS


def test_invocation_to_frame_is_one_row(account):
    lm.register("f", CODE)
    frame = lm.invoke("f", {}).to_frame()
    assert len(frame) == 1 and frame["function"].iloc[0] == "f"
