"""Schedule expressions: AWS's validation (the accepted and rejected lists AWS recorded) and the
next firing time, in UTC and in time zones across daylight-saving transitions."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from lambda_magic.sources.push.schedule_expressions import (
    RULE_MESSAGE,
    ScheduleExpressionError,
    check_rule_expression,
    check_scheduler_expression,
    iso,
    parse,
)

ACCEPTED = [
    "cron(0 2 ? * SAT *)",
    "cron(15 10 ? * 6L 2002-2005)",
    "cron(0 2 ? * SAT#3 *)",
    "cron(* * ? * SAT#3 *)",
    "cron(0/5 5 ? JAN 1-5 2022)",
    "cron(0/5 8-17 ? * MON-FRI *)",
    "cron(0/15 * * * ? *)",
    "cron(0-15/1 8-8 ? * 2,3,4,5,6,7 *)",
    "cron(30-30 13-13 ? * 2,4,6 *)",
    "cron(1-31/30 1-1 ? * 1,7 *)",
    "cron(*/15 * * * ? *)",
    "cron(0-59/10 0-23/2 ? * * *)",
    "cron(0 12 L * ? *)",
    "cron(0 12 15W * ? *)",
    "rate(1 minute)",
    "rate(5 minutes)",
    "rate(1 hour)",
    "rate(12 hours)",
    "rate(1 day)",
    "rate(7 days)",
]
REJECTED = [
    "cron(0 1 * * * *)",  # both day fields set
    "cron(0 1 ? * ? *)",  # neither
    "cron(7 20 * * NOT *)",
    "cron(INVALID)",
    "cron(0 dummy ? * MON-FRI *)",
    "cron(71 8 1 * ? *)",
    "cron(*/1 * * * *)",  # five fields
    "cron(15 12 ? * -1 *)",
    "cron()",
    "cron(0 2 ? * 3#1,6#3 *)",  # one # expression only
    "cron(0 2 ? * 1/2 *)",  # no increments in day-of-week
    "cron(0 2 ? * MON 2200)",
    "cron(0/5, 9-18, ?, *, MON-FRI, *)",
    "rate(10 seconds)",
    "rate(10 years)",
    "rate(1 minutes)",
    "rate(1 hours)",
    "rate(1 days)",
    "rate(10 minute)",
    "rate(10 hour)",
    "rate(10 day)",
    "rate()",
    "rate(10)",
    "rate(10 minutess)",
    "rate(foo minutes)",
    "rate(0 minutes)",
    "rate(-10 minutes)",
    "rate(10 MINUTES)",
    "rate( 10 minutes )",
    " rate(10 minutes)",
]


def at(*args: int) -> float:
    return datetime(*args, tzinfo=timezone.utc).timestamp()


@pytest.mark.parametrize("expression", ACCEPTED)
def test_aws_accepts(expression):
    check_rule_expression(expression)
    check_scheduler_expression(expression)


@pytest.mark.parametrize("expression", REJECTED)
def test_aws_rejects_with_its_messages(expression):
    with pytest.raises(ScheduleExpressionError) as rule:
        check_rule_expression(expression)
    assert str(rule.value) == RULE_MESSAGE == "Parameter ScheduleExpression is not valid."
    with pytest.raises(ScheduleExpressionError) as schedule:
        check_scheduler_expression(expression)
    assert str(schedule.value) == f"Invalid Schedule Expression {expression}."


def test_at_is_for_the_scheduler_only_and_strict():
    check_scheduler_expression("at(2022-12-31T23:59:59)")  # in the past: accepted, as on AWS
    for bad in ("at(2021-12-31T23:59:59Z)", "at(2021-12-31)", "at(2021-02-30T10:00:00)"):
        with pytest.raises(ScheduleExpressionError, match=r"^Invalid Schedule Expression "):
            check_scheduler_expression(bad)
    with pytest.raises(ScheduleExpressionError):
        check_rule_expression("at(2030-01-01T00:00:00)")


def test_rate_first_fires_one_period_after_its_anchor():
    rate = parse("rate(5 minutes)")
    created = at(2026, 1, 1, 10, 0, 7)
    assert rate.next_after(created, anchor=created) == created + 300
    assert rate.next_after(created + 300, anchor=created) == created + 600
    assert rate.next_after(created + 301, anchor=created) == created + 600
    assert parse("rate(1 day)").next_after(created, anchor=created) == created + 86_400


def firings(expression: str, start: float, count: int, tz: str = "UTC") -> list[str]:
    parsed, t, out = parse(expression, scheduler=True), start, []
    for _ in range(count):
        nxt = parsed.next_after(t, tz)
        assert nxt is not None
        out.append(iso(nxt))
        t = nxt
    return out


def test_cron_fields_steps_ranges_lists():
    start = at(2026, 1, 1, 0, 0)  # a Thursday
    assert firings("cron(0/20 8-9 ? * MON-FRI *)", start, 7) == [
        "2026-01-01T08:00:00Z",
        "2026-01-01T08:20:00Z",
        "2026-01-01T08:40:00Z",
        "2026-01-01T09:00:00Z",
        "2026-01-01T09:20:00Z",
        "2026-01-01T09:40:00Z",
        "2026-01-02T08:00:00Z",
    ]
    assert firings("cron(15 10 1,15 JAN-FEB ? 2026)", start, 4) == [
        "2026-01-01T10:15:00Z",
        "2026-01-15T10:15:00Z",
        "2026-02-01T10:15:00Z",
        "2026-02-15T10:15:00Z",
    ]
    assert parse("cron(0 0 1 1 ? 2026)").next_after(at(2026, 1, 1, 0, 0)) is None  # no later year


def test_cron_last_weekday_and_nth_day():
    start = at(2026, 1, 1)
    assert firings("cron(0 12 L * ? *)", start, 3) == [
        "2026-01-31T12:00:00Z",
        "2026-02-28T12:00:00Z",
        "2026-03-31T12:00:00Z",
    ]
    # 2026-02-15 is a Sunday -> Monday 16th; 2026-03-15 is a Sunday -> 16th; 2026-08-15 a Saturday -> 14th
    assert firings("cron(0 9 15W * ? *)", start, 3) == [
        "2026-01-15T09:00:00Z",
        "2026-02-16T09:00:00Z",
        "2026-03-16T09:00:00Z",
    ]
    assert firings("cron(0 9 15W 8 ? *)", start, 1) == ["2026-08-14T09:00:00Z"]
    assert firings("cron(0 9 ? * 6L *)", start, 2) == ["2026-01-30T09:00:00Z", "2026-02-27T09:00:00Z"]  # last Fri
    assert firings("cron(0 9 ? * TUE#2 *)", start, 2) == ["2026-01-13T09:00:00Z", "2026-02-10T09:00:00Z"]
    assert firings("cron(0 9 ? * 1 *)", start, 1) == ["2026-01-04T09:00:00Z"]  # 1 = Sunday


def test_cron_in_a_time_zone_across_daylight_saving():
    # Berlin springs forward on 2026-03-29 at 02:00 -> 03:00: 02:30 does not exist that day and is skipped.
    assert firings("cron(30 2 * * ? *)", at(2026, 3, 27, 12), 3, "Europe/Berlin") == [
        "2026-03-28T01:30:00Z",  # CET, UTC+1
        "2026-03-30T00:30:00Z",  # CEST, UTC+2
        "2026-03-31T00:30:00Z",
    ]
    # Berlin falls back on 2026-10-25 at 03:00 -> 02:00: 02:30 happens twice and runs once (the first).
    assert firings("cron(30 2 * * ? *)", at(2026, 10, 24, 12), 3, "Europe/Berlin") == [
        "2026-10-25T00:30:00Z",
        "2026-10-26T01:30:00Z",
        "2026-10-27T01:30:00Z",
    ]
    # A time zone keeps wall-clock time; rules run in UTC.
    assert firings("cron(0 8 * * ? *)", at(2026, 3, 28, 12), 2, "America/New_York") == [
        "2026-03-29T12:00:00Z",
        "2026-03-30T12:00:00Z",
    ]


def test_at_is_a_local_wall_time():
    one = parse("at(2026-07-01T09:00:00)", scheduler=True)
    assert iso(one.next_after(at(2026, 1, 1), "Europe/Berlin")) == "2026-07-01T07:00:00Z"
    assert one.next_after(at(2026, 7, 2), "Europe/Berlin") is None
