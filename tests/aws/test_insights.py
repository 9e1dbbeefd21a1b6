"""Logs Insights on the AWS backend: ``StartQuery`` / ``GetQueryResults`` on the real log groups (moto's
answers are not CloudWatch's, so botocore's Stubber plays CloudWatch Logs)."""

from __future__ import annotations

import pytest
from botocore.stub import ANY, Stubber

import lambda_magic as lm
from lambda_magic.runtime.insights import MalformedQueryException

from .helpers import HANDLER

QUERY = 'filter @type = "REPORT" | stats count() as n, avg(@duration) as mean by bin(5m)'


def test_a_query_runs_on_the_function_log_groups_and_comes_back_as_rows(aws):
    aws.register("hello", HANDLER)
    with Stubber(aws.client("logs")) as stub:
        stub.add_response(
            "start_query",
            {"queryId": "q-1"},
            {"logGroupNames": ["/aws/lambda/hello"], "queryString": QUERY, "startTime": ANY, "endTime": ANY},
        )
        stub.add_response("get_query_results", {"status": "Running", "results": []}, {"queryId": "q-1"})
        rows = [
            [
                {"field": "bin(5m)", "value": "2026-12-02 10:05:00.000"},
                {"field": "n", "value": "3"},
                {"field": "mean", "value": "12.5"},
                {"field": "@ptr", "value": "CmAK..."},
            ],
            [{"field": "bin(5m)", "value": "2026-12-02 10:10:00.000"}, {"field": "n", "value": "1"}],
        ]
        statistics = {"recordsMatched": 4.0, "recordsScanned": 20.0, "bytesScanned": 2048.0}
        stub.add_response(
            "get_query_results", {"status": "Complete", "results": rows, "statistics": statistics}, {"queryId": "q-1"}
        )
        result = aws.insights(QUERY)
    assert result.fields == ["bin(5m)", "n", "mean"]  # the query's order; @ptr is CloudWatch's row pointer
    assert result.rows == [
        {"bin(5m)": "2026-12-02 10:05:00.000", "n": "3", "mean": "12.5"},
        {"bin(5m)": "2026-12-02 10:10:00.000", "n": "1", "mean": None},
    ]
    assert (result.records_matched, result.records_scanned) == (4, 20)


def test_a_malformed_query_is_cloudwatchs_one_line_error(aws):
    aws.register("hello", HANDLER)
    with Stubber(aws.client("logs")) as stub:
        stub.add_client_error(
            "start_query", "MalformedQueryException", "unexpected symbol found | at line 1 and position 7"
        )
        with pytest.raises(MalformedQueryException, match="unexpected symbol found"):
            aws.insights("fields | |", ["hello"], start=0, end=60)


def test_lm_insights_goes_to_the_backend(module_backend, aws):
    from lambda_magic import api
    from lambda_magic.runtime.insights import QueryResult

    calls = []

    def insights(*args, **kw):
        calls.append(args)
        return QueryResult(["n"], [{"n": "2"}])

    aws.insights = insights
    api._default.backend = aws  # what lm.use_backend("aws", ...) leaves behind (module_backend undoes it)
    frame = lm.insights("stats count() as n", "hello")
    assert list(frame["n"]) == ["2"] and calls[0][:2] == ("stats count() as n", "hello")
