"""%lambda insights and lm.insights over the functions' real log events."""

import pandas as pd
import pytest
from IPython.core.error import UsageError

import lambda_magic as lm

WORKER = """
import json


def lambda_handler(event, context):
    print(json.dumps({"level": "ERROR" if event["n"] % 3 == 0 else "INFO", "n": event["n"]}))
    if event["n"] == 4:
        raise ValueError("four is bad")
    return event["n"]
"""


@pytest.fixture
def worked(shell):
    shell.run_cell_magic("lambda", "worker", WORKER)
    shell.run_cell_magic("lambda", "other", "def lambda_handler(event, context):\n    print('other ran')\n")
    for n in range(1, 7):
        lm.invoke("worker", {"n": n})
    lm.invoke("other")
    return shell


def test_stats_over_report_lines_per_function(worked):
    frame = worked.run_line_magic(
        "lambda", 'insights filter @type = "REPORT" | stats count(*) as n, count(@initDuration) as cold by @log'
    )
    assert isinstance(frame, pd.DataFrame)
    counts = dict(zip(frame["@log"], frame["n"], strict=True))
    assert counts == {"123456789012:/aws/lambda/worker": 6, "123456789012:/aws/lambda/other": 1}
    assert frame["cold"].sum() == 2  # one cold start each


def test_json_lines_become_columns_and_a_group_narrows_the_query(worked):
    frame = worked.run_line_magic("lambda", 'insights --group worker filter level = "ERROR" | fields n | sort n asc')
    assert frame["n"].tolist() == [3, 6]
    records = [r for r in lm.account().invocation_records("worker") if r.payload in (3, 6)]
    assert len(records) == 2


def test_timestamps_are_utc_and_the_request_ids_match_the_invocations(worked):
    frame = lm.insights('filter @message like "four is bad" | fields @timestamp, @requestId', log_groups=["worker"])
    assert str(frame["@timestamp"].dt.tz) == "UTC"
    [failed] = [r for r in lm.account().invocation_records("worker") if r.status == "error"]
    assert frame["@requestId"].tolist() == [failed.request_id]


def test_a_query_in_a_variable(worked):
    worked.user_ns["query"] = "fields @message\n| filter @message like /other/\n| limit 5"
    frame = worked.run_line_magic("lambda", "insights $query")
    assert frame["@message"].str.contains("other ran").any()


@pytest.mark.parametrize(
    "line, fragment",
    [
        ("insights", "needs a query"),
        ("insights fields @message | frob", "unknown command 'frob'"),
        ("insights --group nobody fields @message", "log group does not exist: /aws/lambda/nobody"),
        ("insights $nothing_here", "not a variable holding a query"),
    ],
)
def test_mistakes_are_one_line_usage_errors(worked, line, fragment):
    error = worked.run_cell(f"%lambda {line}").error_in_exec
    assert isinstance(error, UsageError), error
    assert fragment in str(error) and "\n" not in str(error)


def test_start_and_end_bound_the_events(worked):
    everything = lm.insights("stats count(*) as n")["n"].iloc[0]
    assert everything == len(lm.logs())
    later = lm.insights("stats count(*) as n", start=pd.Timestamp.now(tz="UTC") + pd.Timedelta(hours=1))
    assert later["n"].tolist() == [0]
    assert everything > 0
