"""The CloudWatch Logs filter pattern language, case by case.

The expected results are AWS's own, written by hand from the examples of the "Filter pattern
syntax for metric filters, subscription filters, filter log events" page (and its earlier
"Filter and Pattern Syntax" edition): the same log events, the same patterns.
"""

from __future__ import annotations

import json

import pytest

from lambda_magic.common.errors import InvalidParameterValueException
from lambda_magic.runtime.filter_patterns import MAX_PATTERN_LENGTH, compile_filter_pattern, parse_filter_pattern

# --- terms ---------------------------------------------------------------------------------------

#: The page's unstructured examples.
FATAL = "[ERROR] A fatal exception has occurred"
EXITING = "Exiting with ERRORCODE: -1"
ILLEGAL = "[ERROR] Caught IllegalArgumentException"
UNHANDLED = "[ERROR] Unhandled Exception"
WARN_FAILED = "[WARN] Failed to process the request"
ERROR_FAILED = "[ERROR] Unable to continue: Failed to process the request"
TERMS_EVENTS = [FATAL, EXITING, ILLEGAL, UNHANDLED, WARN_FAILED, ERROR_FAILED]

#: The OR examples: 1. 2. 3.
OR_EVENTS = ["ERROR WARN message", "ERROR message", "WARN message"]


@pytest.mark.parametrize(
    "pattern, events, expected",
    [
        # a single term matches inside words too (ERRORCODE), case-sensitively
        ("ERROR", TERMS_EVENTS, [FATAL, EXITING, ILLEGAL, UNHANDLED, ERROR_FAILED]),
        ('"ERROR"', TERMS_EVENTS, [FATAL, EXITING, ILLEGAL, UNHANDLED, ERROR_FAILED]),
        ("error", TERMS_EVENTS, []),
        # include a term and exclude a term
        ('"ERROR" -"Exiting"', TERMS_EVENTS, [FATAL, ILLEGAL, UNHANDLED, ERROR_FAILED]),
        ("ERROR -Exiting", TERMS_EVENTS, [FATAL, ILLEGAL, UNHANDLED, ERROR_FAILED]),
        # all terms
        ("ERROR Exception", TERMS_EVENTS, [ILLEGAL, UNHANDLED]),
        ("Failed to process the request", TERMS_EVENTS, [WARN_FAILED, ERROR_FAILED]),
        # a quoted phrase
        ('"Failed to process"', TERMS_EVENTS, [WARN_FAILED, ERROR_FAILED]),
        ('"process Failed"', TERMS_EVENTS, []),
        ('"Unable to continue: Failed"', TERMS_EVENTS, [ERROR_FAILED]),
        # OR pattern matching
        ("ERROR", OR_EVENTS, OR_EVENTS[:2]),
        ("?ERROR ?WARN", OR_EVENTS, OR_EVENTS),
        ("ERROR WARN", OR_EVENTS, OR_EVENTS[:1]),
        ("ERROR -WARN", OR_EVENTS, OR_EVENTS[1:2]),
        ("-ERROR", OR_EVENTS, OR_EVENTS[2:]),
        ('?"ERROR WARN" ?nothing', OR_EVENTS, OR_EVENTS[:1]),
        # everything
        ("", OR_EVENTS, OR_EVENTS),
        ('""', OR_EVENTS, OR_EVENTS),
        ('" "', OR_EVENTS, OR_EVENTS),
    ],
)
def test_terms(pattern, events, expected):
    matches = compile_filter_pattern(pattern)
    assert [event for event in events if matches(event)] == expected


# --- regular expressions -------------------------------------------------------------------------

AUTH = ["[ERROR 401] UNAUTHORIZED REQUEST", "[SUCCESS 200] AUTHORIZED REQUEST", "[ERROR 419] MISSING ARGUMENTS"]


@pytest.mark.parametrize(
    "pattern, events, expected",
    [
        ("%AUTHORIZED%", AUTH, AUTH[:2]),
        ("%ERROR 4[0-9]1%", AUTH, AUTH[:1]),
        ("%^\\[SUCCESS%", AUTH, AUTH[1:2]),
        ("%colou?r%", ["color", "colour", "colr"], ["color", "colour"]),
        ("%gray|grey%", ["gray", "grey", "green"], ["gray", "grey"]),
        ("%10\\.10\\.0\\.1%", ["from 10.10.0.1", "from 10x10x0x1"], ["from 10.10.0.1"]),
    ],
)
def test_regex(pattern, events, expected):
    matches = compile_filter_pattern(pattern)
    assert [event for event in events if matches(event)] == expected


# --- JSON ----------------------------------------------------------------------------------------

TRAIL = json.dumps(
    {
        "eventType": "UpdateTrail",
        "sourceIPAddress": "111.111.111.111",
        "arrayKey": ["value", "another value"],
        "objectList": [{"name": "a", "id": 1}, {"name": "b", "id": 2}],
        "SomeObject": None,
        "ThisFlag": True,
    }
)

USERS = json.dumps(
    {
        "user": {"id": 1, "email": "John.Stiles@example.com"},
        "users": [{"id": 2, "email": "John.Doe@example.com"}, {"id": 3, "email": "Jane.Doe@example.com"}],
        "actions": ["GET", "PUT", "DELETE"],
        "coordinates": [[0, 1, 2], [4, 5, 6], [7, 8, 9]],
    }
)

METRICS = json.dumps(
    {
        "latency": 600,
        "numbers": [0.005, 20000],
        "errorCode": 400,
        "processes": [{}, {}, {}, {}, {"averageRuntime": 55.5}],
    }
)


@pytest.mark.parametrize(
    "pattern, event, expected",
    [
        ('{ $.eventType = "UpdateTrail" }', TRAIL, True),
        ("{ $.eventType = UpdateTrail }", TRAIL, True),
        ('{ $.eventType = "updatetrail" }', TRAIL, False),
        ("{ $.eventType = Update* }", TRAIL, True),
        ("{ $.eventType = *Trail }", TRAIL, True),
        ('{ $.eventType = "*dateTr*" }', TRAIL, True),
        ("{ $.eventType = Up*Trail }", TRAIL, False),  # a * in the middle is literal
        ("{ $.sourceIPAddress != 123.123.* }", TRAIL, True),
        ("{ $.sourceIPAddress != 111.111.* }", TRAIL, False),
        ('{ $.arrayKey[0] = "value" }', TRAIL, True),
        ('{ $.arrayKey[1] = "another value" }', TRAIL, True),
        ('{ $.arrayKey[2] = "value" }', TRAIL, False),
        ("{ $.objectList[1].id = 2 }", TRAIL, True),
        ("{ $.objectList[0].id = 2 }", TRAIL, False),
        ("{ $.SomeObject IS NULL }", TRAIL, True),
        ("{ $.ThisFlag IS NULL }", TRAIL, False),
        ("{ $.SomeOtherObject NOT EXISTS }", TRAIL, True),
        ("{ $.SomeObject NOT EXISTS }", TRAIL, False),
        ("{ $.ThisFlag IS TRUE }", TRAIL, True),
        ("{ $.ThisFlag IS FALSE }", TRAIL, False),
        ("{ $.eventType = * }", TRAIL, True),
        ("{ $.missing = * }", TRAIL, False),
        # a selector naming an array or an object matches nothing, = or !=
        ("{ $.arrayKey = 1 }", TRAIL, False),
        ("{ $.arrayKey != 1 }", TRAIL, False),
        ("{ $.objectList[0] != 1 }", TRAIL, False),
        # OR in JSON patterns
        ("{$.foo = bar}", '{"foo": "bar"}', True),
        ("{$.foo = baz }", '{"foo": "bar"}', False),
        ("{$.foo = bar || $.foo = baz }", '{"foo": "baz"}', True),
        # compound conditions: () > && > ||
        ('{ ($.user.id = 1) && ($.users[0].email = "John.Doe@example.com") }', USERS, True),
        ('{ ($.user.id = 2 && $.users[0].email = "nonmatch") || $.actions[2] = "GET" }', USERS, False),
        (
            '{ $.user.email = "John.Stiles@example.com" || $.coordinates[0][1] = nonmatch && $.actions[2] = nomatch }',
            USERS,
            True,
        ),
        (
            '{ ($.user.email = "John.Stiles@example.com" || $.coordinates[0][1] = nonmatch)'
            " && $.actions[2] = nomatch }",
            USERS,
            False,
        ),
        ("{ $.coordinates[2][0] = 7 }", USERS, True),
        # numeric comparisons
        ("{ $.latency >= 500 }", METRICS, True),
        ("{ $.latency > +1000 }", METRICS, False),
        ("{ $.numbers[0] < 10e-3 }", METRICS, True),
        ("{ $.numbers[1] < 10e3 }", METRICS, False),
        ("{ $.processes[4].averageRuntime <= 55.5 }", METRICS, True),
        ("{ $.errorCode = 400 }", METRICS, True),
        ("{ $.errorCode != 500 }", METRICS, True),
        ("{ $.errorCode = 4* }", METRICS, True),
        ("{ $.latency = 600.0 }", METRICS, True),
        # regex in a JSON pattern
        ("{ $.eventType = %^Update% }", TRAIL, True),
        # events that are not JSON never match
        ('{ $.eventType = "UpdateTrail" }', "eventType UpdateTrail", False),
        ('{ $.eventType = "UpdateTrail" }', "{ not json", False),
    ],
)
def test_json(pattern, event, expected):
    assert compile_filter_pattern(pattern)(event) is expected


# --- space-delimited -----------------------------------------------------------------------------

APACHE = [
    '127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /apache_pb.gif HTTP/1.0" 200 1534',
    '127.0.0.1 - frank [10/Oct/2000:13:35:22 -0700] "GET /apache_pb.gif HTTP/1.0" 500 5324',
    '127.0.0.1 - frank [10/Oct/2000:13:50:35 -0700] "GET /apache_pb.gif HTTP/1.0" 200 4355',
    '127.0.0.1 - frank [10/Oct/2000:13:55:00 -0700] "GET /index.html HTTP/1.0" 404 1534',
    '127.0.0.1 - frank [10/Oct/2000:13:56:00 -0700] "GET /index.html HTTP/1.0" 403 120',
]
FIELDS = "ip, user, username, timestamp, request"

REPORT = (
    "REPORT RequestId: 3604209a-e9a3-11e6-939a-754dd98c7be3\tDuration: 12.34 ms\tBilled Duration: 13 ms"
    "\tMemory Size: 128 MB\tMax Memory Used: 18 MB\t"
)


@pytest.mark.parametrize(
    "pattern, expected",
    [
        (f"[{FIELDS}, status_code, bytes]", [0, 1, 2, 3, 4]),
        ("[..., status_code, bytes]", [0, 1, 2, 3, 4]),
        ("[ip, user, ..., status_code, bytes]", [0, 1, 2, 3, 4]),
        ("[ip, user, ...]", [0, 1, 2, 3, 4]),
        ("[ip, user]", []),  # the number of words must match without ...
        (f"[{FIELDS}, status_code, bytes > 1000]", [0, 1, 2, 3]),
        (f"[{FIELDS}, status_code = 200, bytes]", [0, 2]),
        (f"[{FIELDS}, status_code = 4*, bytes]", [3, 4]),
        (f"[{FIELDS} = *html*, status_code = 4*, bytes]", [3, 4]),
        (f"[{FIELDS}, status_code = 4* && status_code != 403, bytes]", [3]),
        (f"[{FIELDS}, status_code = 404 || status_code = 410, bytes]", [3]),
        (f"[{FIELDS}, status_code >= 400 && status_code < 500, bytes]", [3, 4]),
        ("[..., request=*.html*, status_code=4*,]", [3, 4]),
        ('[ip, user = "-", username = frank, ...]', [0, 1, 2, 3, 4]),
        ("[ip, user, username = Frank, ...]", []),
        ("[ip = %^127\\.0%, ...]", [0, 1, 2, 3, 4]),
    ],
)
def test_space_delimited(pattern, expected):
    matches = compile_filter_pattern(pattern)
    assert [i for i, event in enumerate(APACHE) if matches(event)] == expected


@pytest.mark.parametrize(
    "pattern, expected",
    [
        ("[w1=ERROR, w2]", [1]),
        ("[w1=ERROR || w1=WARN, w2]", [1, 2]),
        ("[w1=ERROR, ...]", [0, 1]),
        ("[w1 != ERROR, ...]", [2]),
    ],
)
def test_space_delimited_or(pattern, expected):
    matches = compile_filter_pattern(pattern)
    assert [i for i, event in enumerate(OR_EVENTS) if matches(event)] == expected


def test_a_condition_on_a_name_that_is_no_field_never_holds():
    """The page's ``[..., status_code = 4* && bytes > 1000]`` form is accepted; ``bytes`` names no word."""
    matches = compile_filter_pattern(f"[{FIELDS}, status_code = 4* && bytes > 1000]")
    assert not any(matches(event) for event in APACHE)
    assert not matches('127.0.0.1 - frank [10/Oct/2000:13:55:00 -0700] "GET /index.html HTTP/1.0" 404')


def test_extracted_fields():
    pattern = parse_filter_pattern("[..., request=*.html*, status_code=4*,]")
    assert pattern.extracted_fields(APACHE[3]) == {
        "$1": "127.0.0.1",
        "$2": "-",
        "$3": "frank",
        "$4": "10/Oct/2000:13:55:00 -0700",
        "$request": "GET /index.html HTTP/1.0",
        "$status_code": "404",
        "$7": "1534",
    }
    assert pattern.extracted_fields(APACHE[0]) is None
    assert parse_filter_pattern("ERROR").extracted_fields("ERROR") is None


def test_lambda_report_line():
    """The Lambda REPORT line's memory, from the reference's example (tab-separated words)."""
    pattern = parse_filter_pattern('[type="REPORT", ..., label="Used:", value, unit]')
    assert pattern.extracted_fields(REPORT)["$value"] == "18"
    assert not pattern.matches("START RequestId: 3604209a Version: $LATEST")
    assert compile_filter_pattern('[type=REPORT, ..., value > 16, unit="MB"]')(REPORT)


# --- refused patterns ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "pattern",
    [
        '"unclosed phrase',
        "ERROR?",  # ? inside a term: quote it
        "%ERR(OR)%",  # no ( ) in regular expressions
        "%something!%",  # ! is not in AWS's regex characters
        "%unclosed",
        "{ $.a = 1",
        "{ }",
        "{ $.a = }",
        "{ a = 1 }",
        "{ $.a > abc }",
        "{ $.a = 1 $.b = 2 }",
        "{ ($.a = 1 }",
        "{ $.a IS MAYBE }",
        "[a, b",
        "[a, a]",
        "[a > x]",
        "{ $.a = %x% || $.b = %y% || $.c = %z% }",  # at most two regexes
        "x" * (MAX_PATTERN_LENGTH + 1),
    ],
)
def test_refused(pattern):
    with pytest.raises(InvalidParameterValueException, match=r"^Invalid filter pattern"):
        parse_filter_pattern(pattern)


def test_kinds():
    assert [parse_filter_pattern(p).kind for p in ("", "ERROR", "%E%", "{ $.a = 1 }", "[a]")] == [
        "all",
        "terms",
        "regex",
        "json",
        "delimited",
    ]
