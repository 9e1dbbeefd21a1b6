"""Log lines exactly as Lambda writes them (lambda-semantics §3) and the local CloudWatch Logs."""

from __future__ import annotations

import json
import math
import re

import pytest

from lambda_magic.common import limits
from lambda_magic.runtime import InvalidParameterValueException

from .helpers import LOG_STREAM, OK, UUID, code

TIME = r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z"

START = re.compile(rf"^START RequestId: ({UUID}) Version: \$LATEST$")
END = re.compile(rf"^END RequestId: ({UUID})$")
REPORT = re.compile(
    rf"^REPORT RequestId: (?P<id>{UUID})\tDuration: (?P<duration>\d+\.\d\d) ms\tBilled Duration: (?P<billed>\d+) ms"
    r"\tMemory Size: (?P<size>\d+) MB\tMax Memory Used: (?P<used>\d+) MB"
    r"(?:\tInit Duration: (?P<init>\d+\.\d\d) ms)?(?P<status>\tStatus: .*)?$"
)
INIT_START = re.compile(
    r"^INIT_START Runtime Version: python:3\.\d+\.\S+\t"
    r"Runtime Version ARN: arn:aws:lambda:us-east-1::runtime:[0-9a-f]{64}$"
)

LOGGING = code(
    """
    import logging
    logger = logging.getLogger()
    logger.warning("warning during init")
    print("print during init")

    def lambda_handler(event, context):
        logger.debug("a debug record")
        logger.info("an info record")
        logger.warning("a warning record")
        logging.getLogger("app.db").error("an error record")
        logger.warning("first line\\nsecond line\\nthird line")
        print("one\\ntwo")
        print("carriage\\rreturn")
        print("tab\\tseparated")
        return "logged"
    """
)


def test_start_end_report_lines(account):
    account.register("fn", OK, memory_mb=256)
    cold = account.invoke("fn")
    warm = account.invoke("fn")
    for invocation in (cold, warm):
        lines = invocation.log_lines
        rid = invocation.request_id
        assert START.match(lines[0]).group(1) == rid
        assert END.match(lines[-2]).group(1) == rid
        assert lines[-1] == invocation.report
        match = REPORT.match(invocation.report)
        assert match, invocation.report
        assert match["id"] == rid
        assert float(match["duration"]) == pytest.approx(invocation.duration_ms, abs=0.005)
        assert match["duration"] == f"{invocation.duration_ms:.2f}"
        assert int(match["billed"]) == invocation.billed_duration_ms
        assert invocation.billed_duration_ms == math.ceil(invocation.duration_ms + (invocation.init_duration_ms or 0))
        assert int(match["size"]) == 256 == invocation.memory_size_mb
        assert int(match["used"]) == invocation.max_memory_used_mb
        assert 0 < invocation.max_memory_used_mb < 256
        assert match["status"] is None
        assert invocation.report.count("\t") == (5 if invocation.cold_start else 4)
    assert REPORT.match(cold.report)["init"] == f"{cold.init_duration_ms:.2f}"
    assert REPORT.match(warm.report)["init"] is None
    assert cold.cold_start and not warm.cold_start
    assert warm.init_duration_ms is None


def test_init_start_only_on_a_cold_start(account):
    account.register("fn", OK)
    cold, warm = account.invoke("fn"), account.invoke("fn")
    assert INIT_START.match(cold.init_log_lines[0]), cold.init_log_lines
    assert warm.init_log_lines == []
    assert not any(line.startswith("INIT_START") for line in warm.log_lines + cold.log_lines)
    stored = [e for e in account.log_events("fn") if e.message.startswith("INIT_START")]
    assert len(stored) == 1
    assert stored[0].request_id is None and stored[0].level == "SYSTEM"


def test_runtime_version_follows_the_runtime(account):
    account.register("fn", OK, runtime="python3.12")
    assert account.invoke("fn").init_log_lines[0].startswith("INIT_START Runtime Version: python:3.12.")


def test_text_application_logs(account):
    account.register("fn", LOGGING)
    invocation = account.invoke("fn")
    rid = invocation.request_id
    lines = invocation.log_lines
    # Root stays at WARNING in Text mode: debug and info records are dropped.
    assert not any("a debug record" in line or "an info record" in line for line in lines)
    warning = [line for line in lines if line.endswith("a warning record")]
    assert len(warning) == 1
    assert re.fullmatch(rf"\[WARNING\]\t{TIME}\t{rid}\ta warning record", warning[0])
    error = [line for line in lines if line.endswith("an error record")]
    assert re.fullmatch(rf"\[ERROR\]\t{TIME}\t{rid}\tan error record", error[0])
    # One logging record is one event, even over several lines.
    multi = [line for line in lines if "first line" in line]
    assert len(multi) == 1
    assert multi[0].endswith("\tfirst line\nsecond line\nthird line")
    assert not any(line in ("second line", "third line") for line in lines)
    # print: one event per line; a carriage return keeps lines together; no prefix.
    assert "one" in lines and "two" in lines
    assert lines.index("two") == lines.index("one") + 1
    assert "carriage\nreturn" in lines
    assert "tab\tseparated" in lines


def test_init_phase_logs_have_an_empty_request_id(account):
    account.register("fn", LOGGING)
    invocation = account.invoke("fn")
    init = invocation.init_log_lines
    assert any(re.fullmatch(rf"\[WARNING\]\t{TIME}\t\twarning during init", line) for line in init)
    assert "print during init" in init
    stored = [e for e in account.log_events("fn") if e.message == "print during init"]
    assert len(stored) == 1 and stored[0].request_id is None


def test_log_events_carry_level_stream_and_request(account):
    account.register("fn", LOGGING)
    invocation = account.invoke("fn")
    events = account.log_events("fn", request_id=invocation.request_id)
    assert [e.message for e in events] == invocation.log_lines
    assert {e.log_stream for e in events} == {invocation.log_stream}
    assert all(e.function == "fn" for e in events)
    by_message = {e.message: e for e in events}
    assert by_message["one"].level is None
    assert by_message[invocation.report].level == "SYSTEM"
    assert by_message[invocation.log_lines[0]].level == "SYSTEM"
    assert [e.level for e in events if e.message.endswith("a warning record")] == ["WARNING"]
    assert [e.level for e in events if e.message.endswith("an error record")] == ["ERROR"]
    assert all(isinstance(e.timestamp_ms, float) for e in events)


def test_root_level_set_by_the_code_is_honoured(account):
    account.register(
        "fn",
        code(
            """
        import logging
        logging.getLogger().setLevel(logging.INFO)
        def lambda_handler(event, context):
            logging.info("now visible")
            logging.debug("still hidden")
        """
        ),
    )
    lines = account.invoke("fn").log_lines
    assert any(line.startswith("[INFO]\t") and line.endswith("\tnow visible") for line in lines)
    assert not any("still hidden" in line for line in lines)


def test_basic_config_does_not_replace_the_runtimes_handler(account):
    account.register(
        "fn",
        code(
            """
        import logging
        logging.basicConfig(level=logging.INFO, format="%(message)s")
        def lambda_handler(event, context):
            logging.info("info after basicConfig")
            logging.warning("warning after basicConfig")
        """
        ),
    )
    lines = account.invoke("fn").log_lines
    assert not any("info after basicConfig" in line for line in lines)
    assert any(line.startswith("[WARNING]\t") and line.endswith("\twarning after basicConfig") for line in lines)


def test_logged_exception_is_one_event_with_its_traceback(account):
    account.register(
        "fn",
        code(
            """
        import logging
        def lambda_handler(event, context):
            try:
                {}["missing"]
            except KeyError:
                logging.exception("lookup failed")
            return "handled"
        """
        ),
    )
    invocation = account.invoke("fn")
    assert invocation.status == "success"
    [event] = [line for line in invocation.log_lines if "lookup failed" in line]
    assert event.startswith("[ERROR]\t")
    assert "Traceback (most recent call last):" in event
    assert "KeyError: 'missing'" in event


def test_unicode_output_is_kept(account):
    account.register(
        "fn", "import logging\ndef lambda_handler(e, c):\n    print('café ✓ 😀')\n    logging.warning('naïve')\n"
    )
    lines = account.invoke("fn").log_lines
    assert "café ✓ 😀" in lines
    assert any(line.endswith("\tnaïve") for line in lines)


def test_print_without_newline_is_flushed_at_the_end(account):
    account.register("fn", "import sys\ndef lambda_handler(e, c):\n    sys.stdout.write('no newline')\n")
    invocation = account.invoke("fn")
    assert invocation.log_lines[1] == "no newline"
    assert invocation.log_lines[-2].startswith("END ")


def test_stderr_is_logged_like_stdout(account):
    account.register("fn", "import sys\ndef lambda_handler(e, c):\n    print('to stderr', file=sys.stderr)\n")
    assert "to stderr" in account.invoke("fn").log_lines


def test_output_is_attributed_to_its_invocation(account):
    account.register("fn", "def lambda_handler(e, c):\n    print('event', e['n'])\n")
    first = account.invoke("fn", {"n": 1})
    second = account.invoke("fn", {"n": 2})
    assert "event 1" in first.log_lines and "event 2" not in first.log_lines
    assert "event 2" in second.log_lines and "event 1" not in second.log_lines
    assert [e.message for e in account.log_events("fn", request_id=second.request_id)] == second.log_lines


# --- JSON log format -----------------------------------------------------------------------------------------


def test_json_application_and_platform_records(account):
    account.register(
        "fn",
        code(
            """
        import logging
        def lambda_handler(event, context):
            logging.getLogger().info("info record")
            logging.getLogger("app").warning("warn %s", "arg", extra={"order_id": 7})
            logging.getLogger().error({"structured": True, "n": 1})
            logging.getLogger().warning("two\\nlines")
            print("plain print")
            return "ok"
        """
        ),
        log_format="JSON",
    )
    invocation = account.invoke("fn")
    rid = invocation.request_id
    lines = invocation.log_lines
    start = json.loads(lines[0])
    assert start["type"] == "platform.start"
    assert start["record"] == {"requestId": rid, "version": "$LATEST"}
    assert re.fullmatch(TIME, start["time"])
    report = json.loads(lines[-1])
    assert lines[-1] == invocation.report
    assert report["type"] == "platform.report"
    record = report["record"]
    assert record["requestId"] == rid and record["status"] == "success"
    metrics = record["metrics"]
    assert metrics["billedDurationMs"] == invocation.billed_duration_ms
    assert metrics["memorySizeMB"] == 128
    assert metrics["maxMemoryUsedMB"] == invocation.max_memory_used_mb
    assert metrics["durationMs"] == pytest.approx(invocation.duration_ms, abs=0.001)
    assert metrics["initDurationMs"] == pytest.approx(invocation.init_duration_ms, abs=0.001)
    assert not any(line.startswith(("START ", "END ", "REPORT ")) for line in lines)

    records = [json.loads(line) for line in lines[1:-1] if line.startswith("{")]
    # JSON without a level logs at INFO, AWS's default (DG: monitoring-cloudwatchlogs-log-level).
    assert any(r.get("message") == "info record" and r["level"] == "INFO" for r in records)
    warn = next(r for r in records if r.get("message") == "warn arg")
    assert warn["level"] == "WARNING" and warn["logger"] == "app" and warn["order_id"] == 7
    assert warn["requestId"] == rid
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z", warn["timestamp"])
    structured = next(r for r in records if r.get("level") == "ERROR")
    assert structured["message"] == {"structured": True, "n": 1}
    assert structured["logger"] == "root"
    multi = [r for r in records if r.get("message") == "two\nlines"]
    assert len(multi) == 1
    assert "plain print" in lines  # print stays plain text


def test_json_platform_init_start(account):
    account.register("fn", OK, log_format="JSON")
    record = json.loads(account.invoke("fn").init_log_lines[0])
    assert record["type"] == "platform.initStart"
    assert record["record"]["initializationType"] == "on-demand"
    assert record["record"]["functionName"] == "fn"
    assert record["record"]["functionVersion"] == "$LATEST"
    assert record["record"]["phase"] == "init"


def test_json_error_record_and_report_status(account):
    account.register("fn", "def lambda_handler(e, c):\n    raise ValueError('boom')\n", log_format="JSON")
    invocation = account.invoke("fn")
    errors = [json.loads(line) for line in invocation.log_lines if '"level": "ERROR"' in line]
    assert len(errors) == 1
    assert errors[0]["errorType"] == "ValueError" and errors[0]["errorMessage"] == "boom"
    assert errors[0]["requestId"] == invocation.request_id
    assert isinstance(errors[0]["stackTrace"], list)


def test_json_timeout_report(account):
    account.register(
        "fn", "import time\ndef lambda_handler(e, c):\n    time.sleep(30)\n", log_format="JSON", timeout_s=1
    )
    invocation = account.invoke("fn")
    record = json.loads(invocation.report)["record"]
    assert record["status"] == "timeout"
    assert record["errorType"] == "Sandbox.Timedout"


JSON_LEVELS = code(
    """
    import logging
    def lambda_handler(event, context):
        logging.debug("debug record")
        logging.info("info record")
        logging.warning("warning record")
        logging.error("error record")
        print("print line")
        return "ok"
    """
)


@pytest.mark.parametrize(
    "level, shown",
    [
        ("DEBUG", {"debug record", "info record", "warning record", "error record", "print line"}),
        ("INFO", {"info record", "warning record", "error record", "print line"}),
        ("WARN", {"warning record", "error record"}),
        ("ERROR", {"error record"}),
        ("FATAL", set()),
    ],
)
def test_json_log_level_filters_records_and_prints(account, level, shown):
    account.register("fn", JSON_LEVELS, log_format="JSON", log_level=level)
    invocation = account.invoke("fn")
    seen = set()
    for line in invocation.log_lines:
        if line == "print line":
            seen.add(line)
        elif line.startswith("{") and "message" in line:
            seen.add(json.loads(line)["message"])
    assert seen == shown
    assert json.loads(invocation.log_lines[0])["type"] == "platform.start"
    assert json.loads(invocation.log_lines[-1])["type"] == "platform.report"


def test_json_error_level_keeps_unhandled_errors(account):
    account.register(
        "fn",
        "def lambda_handler(e, c):\n    print('noise')\n    raise ValueError('kept')\n",
        log_format="JSON",
        log_level="ERROR",
    )
    lines = account.invoke("fn").log_lines
    assert "noise" not in lines
    assert any('"errorMessage": "kept"' in line for line in lines)


def test_json_error_level_drops_init_prints_too(account):
    account.register(
        "fn",
        "print('init noise')\nimport logging\nlogging.info('init info')\n" + OK,
        log_format="JSON",
        log_level="ERROR",
    )
    invocation = account.invoke("fn")
    assert "init noise" not in invocation.init_log_lines
    assert not any(e.message == "init noise" for e in account.log_events("fn"))


# --- querying the logs (FilterLogEvents) ----------------------------------------------------------------------

FILTER = code(
    """
    def lambda_handler(event, context):
        for line in event["lines"]:
            print(line)
    """
)


@pytest.fixture
def logged(account):
    account.register("fn", FILTER)
    lines = [
        "ERROR disk full",
        "ERROR Exception raised",
        "WARN slow",
        "INFO all good",
        "Task timed out here",
        "error lower case",
        "DEBUG details",
    ]
    invocation = account.invoke("fn", {"lines": lines})
    account.register("other", FILTER)
    account.invoke("other", {"lines": ["ERROR from another function"]})
    return account, invocation


def messages(events):
    return [e.message for e in events]


@pytest.mark.parametrize(
    "pattern, expected",
    [
        ("ERROR", ["ERROR disk full", "ERROR Exception raised"]),
        ("ERROR Exception", ["ERROR Exception raised"]),
        ("?WARN ?DEBUG", ["WARN slow", "DEBUG details"]),
        ('"Task timed out"', ["Task timed out here"]),
        ("ERROR -disk", ["ERROR Exception raised"]),
        ("error", ["error lower case"]),
    ],
)
def test_filter_patterns(logged, pattern, expected):
    account, invocation = logged
    found = messages(account.log_events("fn", request_id=invocation.request_id, filter_pattern=pattern))
    assert found == expected


def test_exclusion_only_pattern(logged):
    account, invocation = logged
    found = messages(account.log_events("fn", request_id=invocation.request_id, filter_pattern="-ERROR"))
    assert "ERROR disk full" not in found and "WARN slow" in found
    assert found[0].startswith("START ")


def test_empty_pattern_matches_everything(logged):
    account, invocation = logged
    everything = account.log_events("fn")
    assert account.log_events("fn", filter_pattern='""') == everything
    assert messages(account.log_events("fn", request_id=invocation.request_id)) == invocation.log_lines


def test_filter_by_function(logged):
    account, _invocation = logged
    assert all(e.function == "fn" for e in account.log_events("fn"))
    assert messages(account.log_events("other", filter_pattern="ERROR")) == ["ERROR from another function"]
    assert len(account.log_events()) == len(account.log_events("fn")) + len(account.log_events("other"))
    assert account.log_events("nobody") == []


def test_tail(logged):
    account, invocation = logged
    everything = account.log_events()
    assert account.log_events(tail=3) == everything[-3:]
    assert account.log_events("fn", tail=2) == account.log_events("fn")[-2:]
    assert messages(account.log_events("fn", tail=1)) == [invocation.report]
    assert account.log_events(tail=0) == []
    assert account.log_events("fn", filter_pattern="ERROR", tail=1)[0].message == "ERROR Exception raised"


@pytest.mark.parametrize("pattern", ["{ $.level = }", "[type, id", "%ERR(OR)%", '"unclosed'])
def test_invalid_patterns_are_refused(logged, pattern):
    account, _ = logged
    with pytest.raises(InvalidParameterValueException, match="Invalid filter pattern"):
        account.log_events(filter_pattern=pattern)


def test_structured_patterns(logged):
    """The full language (JSON, space-delimited, regex) from lm.logs too: tests/runtime/test_filter_patterns.py."""
    account, invocation = logged
    found = messages(account.log_events("fn", request_id=invocation.request_id, filter_pattern="[level=ERROR, ...]"))
    assert found == ["ERROR disk full", "ERROR Exception raised"]
    found = messages(account.log_events("fn", request_id=invocation.request_id, filter_pattern="%^W.RN%"))
    assert found == ["WARN slow"]
    assert account.log_events("fn", filter_pattern='{ $.level = "ERROR" }') == []  # text lines are not JSON


def test_log_streams_in_the_store(account):
    account.register("fn", OK)
    invocation = account.invoke("fn")
    streams = {e.log_stream for e in account.log_events("fn")}
    assert streams == {invocation.log_stream}
    assert LOG_STREAM.match(invocation.log_stream)


# --- JSON format without levels: AWS's defaults (INFO for application and system logs) ---------------------


@pytest.mark.parametrize("isolation", ["process", "inline"])
def test_json_format_without_levels_logs_at_info(account, isolation):
    account.register(
        "fn",
        code(
            """
        import logging
        logging.info("info during init")
        logging.debug("debug during init")
        def lambda_handler(event, context):
            logging.debug("debug record")
            logging.info("info record")
            logging.getLogger("app").info("child info record")
            logging.warning("warning record")
            print("print line")
            return "ok"
        """
        ),
        log_format="JSON",
        isolation=isolation,
    )
    invocation = account.invoke("fn")
    messages = {json.loads(line)["message"] for line in invocation.log_lines if line.startswith('{"timestamp"')}
    assert messages == {"info record", "child info record", "warning record"}
    assert "print line" in invocation.log_lines  # level-less output counts as INFO
    init_messages = [json.loads(line).get("message") for line in invocation.init_log_lines if '"level"' in line]
    assert init_messages == ["info during init"]
    info = next(json.loads(line) for line in invocation.log_lines if '"info record"' in line)
    assert info["level"] == "INFO" and info["requestId"] == invocation.request_id
    # System logs at INFO: platform.initStart, platform.start and platform.report, and no Text platform lines.
    kinds = [
        json.loads(line)["type"]
        for line in invocation.init_log_lines + invocation.log_lines
        if line.startswith('{"time"')
    ]
    assert kinds == ["platform.initStart", "platform.start", "platform.report"]
    assert not any(line.startswith(("INIT_START", "START ", "END ", "REPORT ")) for line in invocation.log_lines)


def test_json_format_tells_the_runtime_its_level_as_aws_does(account):
    """AWS hands the runtime AWS_LAMBDA_LOG_LEVEL (INFO unless the function sets one) in JSON format only."""
    source = "import os\ndef lambda_handler(event, context):\n    return os.environ.get('AWS_LAMBDA_LOG_LEVEL')\n"
    account.register("json", source, log_format="JSON")
    account.register("debug", source, log_format="JSON", log_level="DEBUG")
    account.register("text", source)
    assert [account.invoke(name).payload for name in ("json", "debug", "text")] == ["INFO", "DEBUG", None]


def test_text_format_still_leaves_the_root_logger_at_warning(account):
    account.register(
        "fn",
        code(
            """
        import logging
        def lambda_handler(event, context):
            logging.info("info record")
            return logging.getLogger().getEffectiveLevel()
        """
        ),
    )
    invocation = account.invoke("fn")
    assert invocation.payload == 30
    assert not any("info record" in line for line in invocation.log_lines)


def test_application_and_system_level_defaults():
    from lambda_magic.runtime.logformat import application_log_level, system_record_kept

    assert application_log_level(True, None) == "INFO"
    assert application_log_level(True, "DEBUG") == "DEBUG"
    assert application_log_level(False, None) is None
    for kind in ("platform.initStart", "platform.start", "platform.report", "platform.initReport"):
        assert system_record_kept(kind) and system_record_kept(kind, "DEBUG")
        assert not system_record_kept(kind, "WARN")


# --- no per-invocation cap: only CloudWatch Logs' event size applies ----------------------------------------


def test_every_line_is_kept_however_much_an_invocation_logs(account):
    account.register(
        "fn",
        code(
            """
        def lambda_handler(event, context):
            for i in range(event["lines"]):
                print(f"{i:08d} " + "x" * 1015)  # 1 KB a line
            return "done"
        """
        ),
        timeout_s=60,
    )
    invocation = account.invoke("fn", {"lines": 3000})  # 3 MB, past the old 1 MB-per-invocation cap
    printed = [line for line in invocation.log_lines if line[:8].isdigit()]
    assert [int(line[:8]) for line in printed] == list(range(3000))
    assert not any("not kept" in line for line in invocation.log_lines)


LIMIT = limits.LOG_EVENT_MESSAGE_MAX_BYTES


@pytest.mark.parametrize("isolation", ["process", "inline"])
def test_a_line_longer_than_an_event_is_split_into_consecutive_events(account, isolation):
    account.register(
        "fn",
        code(
            """
        import logging, os
        def lambda_handler(event, context):
            limit = event["limit"]
            print("a" * (2 * limit + 100))
            print("é" * limit)  # two bytes a character: cut between characters
            logging.warning("w" * (limit + 7))
            return None
        """
        ),
        isolation=isolation,
        memory_mb=512,
    )
    lines = account.invoke("fn", {"limit": LIMIT}).log_lines
    a = [line for line in lines if line.startswith("a")]
    assert [len(part) for part in a] == [LIMIT, LIMIT, 100]
    e = [line for line in lines if line.startswith("é")]
    assert all(len(part.encode()) <= LIMIT for part in e) and "".join(e) == "é" * LIMIT and len(e) == 2
    w = [line for line in lines if line.startswith("[WARNING]") or set(line) == {"w"}]
    assert len(w) == 2 and all(len(part.encode()) <= LIMIT for part in w)
    assert "".join(w).count("w") == LIMIT + 7


def test_native_output_longer_than_an_event_is_split_too(account):
    account.register(
        "fn",
        code(
            """
        import os
        def lambda_handler(event, context):
            os.write(1, b"n" * (event["limit"] + 5) + b"\\n")
            return None
        """
        ),
        memory_mb=256,
    )
    lines = account.invoke("fn", {"limit": LIMIT}).log_lines
    assert [len(line) for line in lines if line.startswith("n")] == [LIMIT, 5]


def test_an_unfinished_line_is_not_held_past_one_event():
    from lambda_magic.runtime.python_runtime import LogBuffer

    sent = []
    buffer = LogBuffer(sent.append, max_event_bytes=1000)
    for _ in range(50):
        buffer.write("y" * 100)  # 5,000 characters and no newline yet
    assert len(sent) >= 4 and all(len(message) == 1000 for _, _, message in sent)
    buffer.write("z\n")
    buffer.drain()
    assert "".join(message for _, _, message in sent) == "y" * 5000 + "z"
    assert all(len(message) <= 1000 for _, _, message in sent)
