"""Logs Insights queries over a fixed set of Lambda log events.

Each expected result is computed in the test from the raw data below (plain Python over
the dataset), not by the engine's code."""

from __future__ import annotations

import json
import math
import re
import statistics
from datetime import datetime, timezone

import pytest

from lambda_magic.runtime.insights import MalformedQueryException, Timestamp, run_query

BASE_MS = int(datetime(2026, 12, 1, 10, 0, tzinfo=timezone.utc).timestamp() * 1000)
GROUP = {"checkout": "/aws/lambda/checkout", "resize": "/aws/lambda/resize"}

# (function, seconds after BASE, duration ms, memory used MB, init ms or None, error type or None, user, status)
REQUESTS = [
    ("checkout", 0, 120.5, 61, 250.25, None, "alice", 200),
    ("checkout", 40, 80.0, 62, None, None, "bob", 200),
    ("checkout", 70, 310.75, 64, None, "ValueError", "carol", 500),
    ("checkout", 200, 95.25, 63, None, None, "alice", 200),
    ("checkout", 330, 1500.0, 70, None, "TimeoutError", "dave", 504),
    ("checkout", 420, 60.5, 63, None, None, "bob", 404),
    ("resize", 10, 900.0, 250, 800.5, None, "alice", 200),
    ("resize", 320, 450.25, 260, None, "MemoryError", "erin", 500),
    ("resize", 610, 300.0, 255, None, None, "bob", 200),
]


def request_id(index: int) -> str:
    return f"{index:08x}-1111-4222-8333-{index:012x}"


def make_events() -> list[dict]:
    events = []
    for index, (function, at, duration, used, init, error, user, status) in enumerate(REQUESTS):
        rid = request_id(index)
        t = BASE_MS + at * 1000
        stream = f"2026/12/01/[$LATEST]{function}{'a' * 20}"
        log = f"123456789012:{GROUP[function]}"

        def add(offset, message, t=t, stream=stream, log=log):
            events.append({"@timestamp": t + offset, "@message": message, "@logStream": stream, "@log": log})

        add(0, f"START RequestId: {rid} Version: $LATEST")
        add(1, f"user={user} action=buy status={status}")
        add(
            2,
            json.dumps(
                {
                    "level": "ERROR" if error else "INFO",
                    "message": "done",
                    "service": function,
                    "user": {"name": user, "tags": ["a", "b"]},
                    "status": status,
                }
            ),
        )
        if error:
            add(3, f"[ERROR]\t2026-12-01T10:00:00.000Z\t{rid}\t{error}: it failed")
        add(4, f"END RequestId: {rid}")
        report = (
            f"REPORT RequestId: {rid}\tDuration: {duration:.2f} ms\tBilled Duration: {math.ceil(duration)} ms\t"
            f"Memory Size: {512 if function == 'resize' else 128} MB\tMax Memory Used: {used} MB"
        )
        if init is not None:
            report += f"\tInit Duration: {init:.2f} ms"
        add(5, report)
    return events


EVENTS = make_events()


def q(query: str, **options):
    return run_query(query, [dict(e) for e in EVENTS], **options)


def column(result, name):
    return [row[name] for row in result.rows]


# --- selection and discovered fields --------------------------------------------------------------


def test_default_query_shows_timestamp_and_message_newest_first():
    result = q("fields @timestamp, @message")
    assert result.fields == ["@timestamp", "@message"]
    assert column(result, "@timestamp") == sorted((e["@timestamp"] for e in EVENTS), reverse=True)


def test_a_filter_alone_shows_timestamp_and_message():
    result = q("filter @message like 'action=buy'")
    assert result.fields == ["@timestamp", "@message"]
    assert len(result.rows) == len(REQUESTS)


def test_timestamps_display_as_cloudwatch_shows_them():
    [row] = q("fields @timestamp | sort @timestamp asc | limit 1").rows
    assert isinstance(row["@timestamp"], Timestamp)
    assert str(row["@timestamp"]) == "2026-12-01 10:00:00.000"


def test_type_and_request_id_of_platform_lines():
    result = q('filter @type = "START" | fields @requestId')
    assert sorted(column(result, "@requestId")) == sorted(request_id(i) for i in range(len(REQUESTS)))


def test_report_fields_durations_in_ms_and_memory_in_bytes():
    result = q('filter @type = "REPORT" | fields @requestId, @duration, @billedDuration, @memorySize, @maxMemoryUsed')
    got = {row["@requestId"]: row for row in result.rows}
    for index, (function, _, duration, used, *_rest) in enumerate(REQUESTS):
        row = got[request_id(index)]
        assert row["@duration"] == pytest.approx(duration)
        assert row["@billedDuration"] == math.ceil(duration)
        assert row["@memorySize"] == (512 if function == "resize" else 128) * 1_000_000
        assert row["@maxMemoryUsed"] == used * 1_000_000


def test_init_duration_only_on_cold_starts():
    result = q("filter ispresent(@initDuration) | fields @requestId, @initDuration")
    expected = {request_id(i): r[4] for i, r in enumerate(REQUESTS) if r[4] is not None}
    assert {row["@requestId"]: row["@initDuration"] for row in result.rows} == pytest.approx(expected)


def test_json_keys_are_fields_nested_with_dots_and_indices():
    result = q('filter level = "ERROR" | fields service, user.name, user.tags.1, status')
    expected = sorted((r[0], r[6], "b", r[7]) for r in REQUESTS if r[5])
    got = sorted((row["service"], row["user.name"], row["user.tags.1"], row["status"]) for row in result.rows)
    assert got == expected


def test_request_id_of_the_runtime_text_format():
    result = q('filter @message like "[ERROR]" | fields @requestId')
    assert sorted(column(result, "@requestId")) == sorted(request_id(i) for i, r in enumerate(REQUESTS) if r[5])


def test_log_and_log_stream():
    result = q("filter @log like 'resize' | stats count(*) as n by @logStream")
    assert column(result, "n") == [sum(1 for e in EVENTS if "resize" in e["@log"])]


# --- filter ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "condition, keep",
    [
        ("@duration > 300", lambda r: r[2] > 300),
        ("@duration >= 300", lambda r: r[2] >= 300),
        ("@duration < 100", lambda r: r[2] < 100),
        ("@duration <= 95.25", lambda r: r[2] <= 95.25),
        ("@duration != 80", lambda r: r[2] != 80),
        ("@duration > 100 and @duration < 500", lambda r: 100 < r[2] < 500),
        ("@duration < 70 or @duration > 1000", lambda r: r[2] < 70 or r[2] > 1000),
        ("not @duration > 100", lambda r: not r[2] > 100),
        ("@maxMemoryUsed / 1000 / 1000 > 100", lambda r: r[3] > 100),
        ("@billedDuration - @duration > 0.5", lambda r: math.ceil(r[2]) - r[2] > 0.5),
        ("@duration * 2 >= 1000", lambda r: r[2] * 2 >= 1000),
        ("@duration % 2 = 0", lambda r: r[2] % 2 == 0),
        ("@duration ^ 2 > 1000000", lambda r: r[2] ** 2 > 1_000_000),
    ],
)
def test_comparisons_and_arithmetic_on_report_lines(condition, keep):
    result = q(f'filter @type = "REPORT" and ({condition}) | fields @requestId')
    assert sorted(column(result, "@requestId")) == sorted(request_id(i) for i, r in enumerate(REQUESTS) if keep(r))


def test_like_is_a_substring_and_case_sensitive():
    assert len(q('filter @message like "Error"').rows) == sum(1 for e in EVENTS if "Error" in e["@message"])
    assert len(q('filter @message like "error"').rows) == sum(1 for e in EVENTS if "error" in e["@message"])


def test_like_and_match_with_regular_expressions():
    expected = sum(1 for e in EVENTS if re.search(r"user=(alice|bob) ", e["@message"]))
    assert len(q("filter @message like /user=(alice|bob) /").rows) == expected
    assert len(q("filter @message =~ /user=(alice|bob) /").rows) == expected
    insensitive = sum(1 for e in EVENTS if re.search(r"(?i)valueerror", e["@message"]))
    assert len(q("filter @message like /(?i)valueerror/").rows) == insensitive


def test_not_like_and_in_and_not_in():
    buy_lines = [e for e in EVENTS if "action=buy" in e["@message"]]
    assert len(q('filter @message like "action=buy" and @message not like "alice"').rows) == sum(
        1 for e in buy_lines if "alice" not in e["@message"]
    )
    assert len(q("filter status in [404, 504]").rows) == sum(1 for r in REQUESTS if r[7] in (404, 504))
    assert len(q("filter ispresent(status) and status not in [200]").rows) == sum(1 for r in REQUESTS if r[7] != 200)


def test_a_missing_field_never_matches():
    assert q("filter nothing = 1").rows == []
    assert q("filter nothing != 1").rows == []


# --- parse ----------------------------------------------------------------------------------------


def test_parse_with_a_glob():
    result = q(
        'parse @message "user=* action=* status=*" as who, action, code | filter ispresent(who) '
        "| fields who, code | sort who asc, code asc"
    )
    expected = sorted((r[6], str(r[7])) for r in REQUESTS)
    assert [(row["who"], row["code"]) for row in result.rows] == expected


def test_parse_with_a_regex_and_named_groups():
    result = q(r"parse @message /user=(?<who>\w+) action=\w+ status=(?<code>\d+)/ | filter code >= 500 | fields who")
    assert sorted(column(result, "who")) == sorted(r[6] for r in REQUESTS if r[7] >= 500)


def test_parsed_numbers_compute_as_numbers():
    result = q('parse @message "status=*" as code | stats sum(code) as total')
    assert column(result, "total") == [sum(r[7] for r in REQUESTS)]


# --- stats ----------------------------------------------------------------------------------------


def reports(function=None):
    return [r for r in REQUESTS if function is None or r[0] == function]


def test_count_star_and_count_of_a_field():
    result = q("stats count(*) as events, count(@duration) as reports")
    assert result.rows == [{"events": len(EVENTS), "reports": len(REQUESTS)}]


def test_count_by_function_from_the_log_field():
    result = q('filter @type = "REPORT" | stats count(*) as n by @log | sort @log asc')
    assert [(row["@log"], row["n"]) for row in result.rows] == [
        (f"123456789012:{GROUP[f]}", len(reports(f))) for f in sorted(GROUP)
    ]


def test_avg_min_max_sum():
    result = q(
        'filter @type = "REPORT" | stats avg(@duration) as a, min(@duration) as lo, max(@duration) as hi, '
        "sum(@billedDuration) as billed"
    )
    durations = [r[2] for r in REQUESTS]
    assert result.rows[0]["a"] == pytest.approx(sum(durations) / len(durations))
    assert result.rows[0]["lo"] == min(durations) and result.rows[0]["hi"] == max(durations)
    assert result.rows[0]["billed"] == sum(math.ceil(d) for d in durations)


@pytest.mark.parametrize("p", [50, 90, 99, 100])
def test_pct_is_the_nearest_rank(p):
    durations = sorted(r[2] for r in REQUESTS)
    expected = durations[max(1, math.ceil(p / 100 * len(durations))) - 1]
    assert q(f"stats pct(@duration, {p}) as v").rows == [{"v": expected}]


def test_stddev_and_count_distinct():
    result = q('filter @type = "REPORT" | stats stddev(@duration) as s | limit 1')
    assert result.rows[0]["s"] == pytest.approx(statistics.stdev(r[2] for r in REQUESTS))
    assert q("stats count_distinct(user.name) as users").rows == [{"users": len({r[6] for r in REQUESTS})}]


def test_errors_by_type():
    result = q(
        r"parse @message /\t(?<error>\w+Error): / | filter ispresent(error) | stats count(*) as n by error "
        "| sort n desc, error asc"
    )
    counts: dict[str, int] = {}
    for r in REQUESTS:
        if r[5]:
            counts[r[5]] = counts.get(r[5], 0) + 1
    assert [(row["error"], row["n"]) for row in result.rows] == sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


def test_p99_duration_per_5_minutes():
    result = q('filter @type = "REPORT" | stats pct(@duration, 99) as p99, count(*) as n by bin(5m)')
    buckets: dict[int, list[float]] = {}
    for r in REQUESTS:
        start = (BASE_MS + r[1] * 1000 + 5) // 300_000 * 300_000
        buckets.setdefault(start, []).append(r[2])
    expected = [
        (start, sorted(values)[max(1, math.ceil(0.99 * len(values))) - 1], len(values))
        for start, values in sorted(buckets.items())
    ]
    assert [(row["bin(5m)"], row["p99"], row["n"]) for row in result.rows] == expected


def test_bin_by_hour_is_one_bucket():
    result = q('filter @type = "REPORT" | stats count(*) by bin(1h)')
    assert result.fields == ["bin(1h)", "count(*)"]
    assert column(result, "count(*)") == [len(REQUESTS)]


def test_arithmetic_over_aggregations_and_earlier_aliases():
    result = q(
        'filter @type = "REPORT" | stats max(@memorySize / 1000 / 1000) as provisionedMB, '
        "max(@maxMemoryUsed / 1000 / 1000) as maxUsedMB, provisionedMB - maxUsedMB as overProvisionedMB by @log "
        "| sort @log asc"
    )
    assert len(result.rows) == len(GROUP)
    for row, function in zip(result.rows, sorted(GROUP), strict=True):
        provisioned = 512 if function == "resize" else 128
        used = max(r[3] for r in reports(function))
        assert (row["provisionedMB"], row["maxUsedMB"], row["overProvisionedMB"]) == (
            provisioned,
            used,
            provisioned - used,
        )


def test_cold_starts_counted_with_count_of_init_duration():
    result = q('filter @type = "REPORT" | stats count(@initDuration) as cold, count(*) as all by @log | sort @log')
    assert [(row["cold"], row["all"]) for row in result.rows] == [
        (sum(1 for r in reports(f) if r[4] is not None), len(reports(f))) for f in sorted(GROUP)
    ]


def test_earliest_latest_sortsfirst_sortslast():
    result = q(
        "filter ispresent(user.name) | stats earliest(user.name) as first, latest(user.name) as last, "
        "sortsFirst(user.name) as lo, sortsLast(user.name) as hi"
    )
    by_time = sorted(REQUESTS, key=lambda r: r[1])
    names = sorted(r[6] for r in REQUESTS)
    assert result.rows == [{"first": by_time[0][6], "last": by_time[-1][6], "lo": names[0], "hi": names[-1]}]


def test_stats_over_no_events_counts_zero():
    assert q('filter @type = "NOTHING" | stats count(*) as n').rows == [{"n": 0}]


def test_sort_and_limit_after_stats():
    result = q("filter ispresent(user.name) | stats count(*) as n by user.name | sort n desc, user.name asc | limit 2")
    counts: dict[str, int] = {}
    for r in REQUESTS:
        counts[r[6]] = counts.get(r[6], 0) + 1
    expected = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:2]
    assert [(row["user.name"], row["n"]) for row in result.rows] == expected


# --- sort, limit, dedup, display, functions -------------------------------------------------------


def test_sort_desc_and_limit():
    result = q('filter @type = "REPORT" | sort @duration desc | limit 3 | fields @duration')
    assert column(result, "@duration") == sorted((r[2] for r in REQUESTS), reverse=True)[:3]


def test_natural_sort_order_puts_text_before_numbers():
    events = [
        {"@timestamp": BASE_MS + i, "@message": json.dumps({"v": v})}
        for i, v in enumerate(["a12", "111A", "5A", 3, "A", "@", 10, "2"])
    ]
    values = column(run_query("fields v | sort v asc", events), "v")
    assert len(values) == 8
    assert values[-3:] == ["2", 3, 10]  # number values last, by value
    assert values.index("5A") < values.index("111A")  # digit runs: shorter first
    assert values.index("@") < values.index("A") < values.index("a12")  # unicode order


def test_dedup_keeps_the_first_row_per_value():
    result = q("filter ispresent(user.name) | fields user.name, @timestamp | sort @timestamp asc | dedup user.name")
    first_seen = []
    for r in sorted(REQUESTS, key=lambda r: r[1]):
        if r[6] not in first_seen:
            first_seen.append(r[6])
    assert column(result, "user.name") == first_seen


def test_display_chooses_the_columns_shown():
    result = q('fields @timestamp, @message, level | filter level = "INFO" | display level')
    assert result.fields == ["level"]
    assert column(result, "level") == ["INFO"] * sum(1 for r in REQUESTS if not r[5])


@pytest.mark.parametrize(
    "expression, expected",
    [
        ('toupper("abc")', "ABC"),
        ('tolower("AbC")', "abc"),
        ('strlen("héllo")', 5),
        ('concat("a", "b", 1)', "ab1"),
        ('substr("xyZfooxyZ", 3, 3)', "foo"),
        ('substr("xyZfooxyZ", 6)', "xyZ"),
        ('replace("a-b-c", "-", "+")', "a+b+c"),
        ('strcontains("lambda", "bd")', 1),
        ('trim("  x  ")', "x"),
        ('ltrim("xxy", "x")', "y"),
        ("abs(-3)", 3),
        ("ceil(2.1)", 3),
        ("floor(2.9)", 2),
        ("greatest(1, 7, 3)", 7),
        ("least(4, 2, 9)", 2),
        ("sqrt(16)", 4.0),
        ('coalesce(nothing, "fallback")', "fallback"),
        ("isempty(nothing)", True),
        ('isblank("   ")', True),
        ('isValidIp("10.1.2.3")', True),
        ('isValidIpV6("10.1.2.3")', False),
        ('isIpInSubnet("10.1.2.3", "10.1.0.0/16")', True),
        ('isIpv4InSubnet("10.2.2.3", "10.1.0.0/16")', False),
        ("toMillis(fromMillis(1234))", 1234),
    ],
)
def test_scalar_functions(expression, expected):
    result = q(f"fields {expression} as v | limit 1")
    assert column(result, "v") == [expected]


def test_datefloor_and_bin_agree():
    result = q("fields datefloor(@timestamp, 5m) as floor, bin(5m) as binned | limit 5")
    assert all(row["floor"] == row["binned"] for row in result.rows)
    assert all(row["floor"] % 300_000 == 0 for row in result.rows)


def test_comments_and_backticked_names():
    events = [{"@timestamp": BASE_MS, "@message": json.dumps({"odd-name": 5})}]
    result = run_query("# a comment line\nfields `odd-name` * 2 as doubled  # trailing comment", events)
    assert result.rows == [{"doubled": 10}]


def test_the_limit_option_caps_rows():
    assert len(q("fields @message", limit=4).rows) == 4


def test_statistics_count_scanned_and_matched():
    result = q('filter @type = "REPORT" | stats count(*)')
    assert result.records_scanned == len(EVENTS) and result.records_matched == len(REQUESTS)


# --- errors ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query, fragment",
    [
        ("", "empty"),
        ("fields @message |", "after '|'"),
        ("frobnicate @message", "unknown command 'frobnicate'"),
        ("filter @duration >", "ends where a value was expected"),
        ("filter (@duration > 1", "expected ')'"),
        ("stats @duration", "needs an aggregation"),
        ("fields count(*)", "use it in stats"),
        ("fields nosuch(@message)", "unknown function nosuch()"),
        ('filter @message like "unterminated', "unterminated string"),
        ("limit 0", "at least 1"),
        ('parse @message "no stars" as a', "at least one '*'"),
        ('parse @message "* and *" as a', "2 '*' but 1 names"),
        ("parse @message /(unnamed)/", "named groups"),
        ("dedup @message | sort @timestamp", "only limit may follow dedup"),
        ("fields substr(@message)", "substr() takes 2 to 3 arguments"),
        ("unnest @message", "not supported"),
        ("fields @message ; fields x", "unexpected symbol ';' at line 1, column 17"),
    ],
)
def test_bad_queries_are_one_line_errors_that_point_at_the_token(query, fragment):
    with pytest.raises(MalformedQueryException) as caught:
        q(query)
    message = str(caught.value)
    assert fragment in message and "\n" not in message
