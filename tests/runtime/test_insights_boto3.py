"""Logs Insights through boto3 (``logs.start_query`` / ``get_query_results``) against the local
cloud: the same engine as ``lm.insights``, over the log groups moto holds."""

from __future__ import annotations

import time

import pytest
from botocore.exceptions import ClientError

from .helpers import code

WORKER = code(
    """
    import json
    def lambda_handler(event, context):
        print(json.dumps({"level": "ERROR" if event["n"] % 2 else "INFO", "n": event["n"]}))
        return event["n"]
    """
)


@pytest.fixture
def logs(account):
    account.register("worker", WORKER)
    for n in range(5):
        account.invoke("worker", {"n": n})
    client = account.cloud.client("logs")  # the cloud in use: the functions' logs are delivered there
    assert account.wait(timeout=30)
    return client


def results(logs, query, group="/aws/lambda/worker", **options):
    query_id = logs.start_query(
        logGroupName=group, startTime=0, endTime=int(time.time()) + 3600, queryString=query, **options
    )["queryId"]
    answer = logs.get_query_results(queryId=query_id)
    assert answer["status"] == "Complete"
    return [{cell["field"]: cell["value"] for cell in row} for row in answer["results"]], answer["statistics"]


def test_stats_over_report_lines(account, logs):
    rows, statistics = results(logs, 'filter @type = "REPORT" | stats count(*) as n, count(@initDuration) as cold')
    assert rows == [{"n": "5", "cold": "1"}]
    assert statistics["recordsMatched"] == 5.0
    assert statistics["recordsScanned"] == float(len(account.log_events("worker")))


def test_json_fields_sort_and_limit_as_strings(logs):
    rows, _ = results(logs, 'filter level = "ERROR" | fields n, level | sort n desc', limit=1)
    assert rows == [{"n": "3", "level": "ERROR"}]


def test_timestamps_read_as_cloudwatch_writes_them(account, logs):
    rows, _ = results(
        logs, "fields @timestamp, @requestId | filter ispresent(@requestId) | sort @timestamp asc | limit 1"
    )
    stamp = rows[0]["@timestamp"]
    assert len(stamp) == len("2026-12-02 10:15:00.000") and stamp[10] == " "
    assert rows[0]["@requestId"] == account.invocation_records("worker")[0].request_id


def test_a_bad_query_is_malformed_query_exception(logs):
    with pytest.raises(ClientError) as caught:
        results(logs, "fields @message | frob")
    assert caught.value.response["Error"]["Code"] == "MalformedQueryException"
    assert "unknown command 'frob'" in caught.value.response["Error"]["Message"]


def test_an_unknown_log_group_is_resource_not_found(logs):
    with pytest.raises(ClientError) as caught:
        results(logs, "fields @message", group="/aws/lambda/nobody")
    assert caught.value.response["Error"]["Code"] == "ResourceNotFoundException"
