"""Scheduled rules and EventBridge Scheduler fire on the account clock, configured through boto3
as a student writes it (or ``lm.add_trigger``), with the events AWS sends."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
from botocore.exceptions import ClientError

from lambda_magic.common.errors import InvalidParameterValueException

ECHO = "def lambda_handler(event, context):\n    return event\n"
DAY = 86_400
ROLE = "arn:aws:iam::123456789012:role/scheduler"


@pytest.fixture
def clock(account):
    account.configure(clock_mode="manual")
    return account.clock


@pytest.fixture
def fn(account, push, clock):
    account.register("fn", ECHO, isolation="inline")
    return account.get_function("fn")


def events_received(account, name="fn"):
    assert account.wait(timeout=60)
    return sorted((r.payload for r in account.invocation_records(name)), key=lambda e: json.dumps(e, sort_keys=True))


def times(account, name="fn"):
    return sorted(e["time"] for e in events_received(account, name))


def move_to(clock, *when):
    """Advance the manual clock to a UTC wall time (the clock only moves forward)."""
    target = datetime(*when, tzinfo=timezone.utc).timestamp()
    assert target > clock.time()
    clock.advance(target - clock.time())


def iso(t):
    return datetime.fromtimestamp(t, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


# --- scheduled rules ---------------------------------------------------------------------------


def test_add_trigger_rate_fires_one_period_after_creation_with_the_scheduled_event(account, push, fn, clock):
    created = clock.time()
    trigger = push.add_trigger("fn", "schedule:rate(5 minutes)")
    assert trigger.source == "schedule:rate(5 minutes)"
    clock.advance(299)
    assert events_received(account) == []
    clock.advance(1)
    [event] = events_received(account)
    rule_arn = "arn:aws:events:us-east-1:123456789012:rule/fn"
    assert event == {
        "version": "0",
        "id": event["id"],
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "123456789012",
        "time": iso(created + 300),
        "region": "us-east-1",
        "resources": [rule_arn],
        "detail": {},
    }
    [record] = account.invocation_records("fn")
    assert record.trigger == "schedule:fn"
    rule = account.cloud.client("events").describe_rule(Name="fn")
    assert (rule["ScheduleExpression"], rule["State"]) == ("rate(5 minutes)", "ENABLED")
    [statement] = json.loads(push.lambda_client().get_policy(FunctionName="fn")["Policy"])["Statement"]
    assert statement["Principal"] == {"Service": "events.amazonaws.com"}
    assert statement["Condition"]["ArnLike"] == {"AWS:SourceArn": rule_arn}


def test_a_virtual_week_of_a_nightly_cron_in_one_advance(account, push, fn, clock):
    move_to(clock, 2027, 1, 4, 12)  # a Monday noon
    push.add_trigger("fn", "schedule:cron(0 2 * * ? *)", name="nightly")
    clock.advance(7 * DAY)
    assert times(account) == [f"2027-01-{day:02d}T02:00:00Z" for day in range(5, 12)]
    books = account.async_invoker.snapshot()["fn"]
    assert (books.succeeded, dict(books.dropped)) == (7, {})  # nothing expired for its age
    assert all(r.trigger == "schedule:nightly" for r in account.invocation_records("fn"))
    assert max(r.event_age_s for r in account.invocation_records("fn")) < 60


def test_a_week_of_hourly_rate_none_dropped_for_max_event_age(account, push, fn, clock):
    push.add_trigger("fn", "schedule:rate(1 hour)")
    account.configure_async("fn", max_event_age_s=60, max_retry_attempts=0)
    clock.advance(7 * DAY)
    assert len(events_received(account)) == 7 * 24
    books = account.async_invoker.snapshot()["fn"]
    assert (books.succeeded, dict(books.dropped)) == (168, {})


def test_auto_clock_a_week_in_one_advance_and_retries_age_from_the_firing(account, push, clock):
    failing = "def lambda_handler(event, context):\n    raise RuntimeError(event['time'])\n"
    account.register("flaky", failing, isolation="inline")
    account.configure(clock_mode="auto")
    move_to(clock, 2027, 1, 4, 12)
    push.add_trigger("flaky", "schedule:cron(0 2 * * ? *)", name="nightly")
    clock.advance(7 * DAY)
    assert account.wait(timeout=60)
    records = account.invocation_records("flaky")
    assert len(records) == 7 * 3  # each night: the attempt and two retries, about 1 and 2 minutes apart
    by_night = {}
    for record in records:
        by_night.setdefault(record.event["time"], []).append(record)
    assert sorted(by_night) == [f"2027-01-{day:02d}T02:00:00Z" for day in range(5, 12)]
    for attempts in by_night.values():
        ages = sorted(r.event_age_s for r in attempts)
        assert ages[0] < 30 and 50 < ages[1] < 90 and 150 < ages[2] < 240, ages
    books = account.async_invoker.snapshot()["flaky"]
    assert dict(books.dropped) == {"RetriesExhausted": 7}


def test_queue_target_of_a_scheduled_rule_gets_the_event(account, push, clock):
    events, sqs = account.cloud.client("events"), account.cloud.client("sqs")
    url = sqs.create_queue(QueueName="ticks")["QueueUrl"]
    queue = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name="to-queue", ScheduleExpression="rate(1 minute)")
    events.put_targets(Rule="to-queue", Targets=[{"Id": "q", "Arn": queue}])
    clock.advance(60)
    assert account.wait(timeout=30)
    [message] = sqs.receive_message(QueueUrl=url)["Messages"]
    assert json.loads(message["Body"])["resources"] == ["arn:aws:events:us-east-1:123456789012:rule/to-queue"]


def test_boto3_rule_without_permission_is_not_delivered_and_goes_to_its_dead_letter_queue(account, push, fn, clock):
    events, sqs = account.cloud.client("events"), account.cloud.client("sqs")
    url = sqs.create_queue(QueueName="dlq")["QueueUrl"]
    dlq = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    arn = events.put_rule(Name="every-minute", ScheduleExpression="rate(1 minute)")["RuleArn"]
    events.put_targets(Rule="every-minute", Targets=[{"Id": "t", "Arn": fn.arn, "DeadLetterConfig": {"Arn": dlq}}])
    clock.advance(60)
    assert events_received(account) == []
    [message] = sqs.receive_message(QueueUrl=url, MessageAttributeNames=["All"])["Messages"]
    attributes = {k: v["StringValue"] for k, v in message["MessageAttributes"].items()}
    assert attributes["RULE_ARN"] == arn and attributes["TARGET_ARN"] == fn.arn
    assert attributes["ERROR_CODE"] == "AccessDeniedException"
    assert json.loads(message["Body"])["detail-type"] == "Scheduled Event"

    # Without a dead-letter queue: a counted drop.  With the permission: delivered.
    events.put_targets(Rule="every-minute", Targets=[{"Id": "t", "Arn": fn.arn}])
    clock.advance(60)
    assert events_received(account) == []
    assert push.dropped[("fn", "schedule:every-minute", "AccessDeniedException")] == 1
    account_lambda = push.lambda_client()
    account_lambda.add_permission(
        FunctionName="fn",
        StatementId="events",
        Action="lambda:InvokeFunction",
        Principal="events.amazonaws.com",
        SourceArn=arn,
    )
    clock.advance(60)
    assert len(events_received(account)) == 1


def test_target_input_and_input_path(account, push, fn, clock):
    events = account.cloud.client("events")
    push.add_trigger("fn", "schedule:rate(1 minute)", name="with-input", input={"job": "report"})
    arn = events.put_rule(Name="with-path", ScheduleExpression="rate(1 minute)")["RuleArn"]
    push.grant(fn, "schedule", "events.amazonaws.com", arn)
    events.put_targets(Rule="with-path", Targets=[{"Id": "t", "Arn": fn.arn, "InputPath": "$.resources"}])
    clock.advance(60)
    assert sorted(map(json.dumps, events_received(account))) == sorted(
        [json.dumps({"job": "report"}), json.dumps([arn])]
    )


@pytest.mark.parametrize(
    "expression", ["rate(1 minutes)", "rate(0 minutes)", "rate(10 seconds)", "cron(0 1 * * * *)", "cron(71 8 1 * ? *)"]
)
def test_put_rule_rejects_with_aws_message(account, push, expression):
    with pytest.raises(ClientError) as error:
        account.cloud.client("events").put_rule(Name="bad", ScheduleExpression=expression)
    assert error.value.response["Error"]["Code"] == "ValidationException"
    assert error.value.response["Error"]["Message"] == "Parameter ScheduleExpression is not valid."


def test_add_trigger_misuse_is_one_clear_line(account, push, fn):
    with pytest.raises(InvalidParameterValueException, match="Parameter ScheduleExpression is not valid"):
        push.add_trigger("fn", "schedule:rate(5 minute)")
    with pytest.raises(InvalidParameterValueException, match="not bogus"):
        push.add_trigger("fn", "schedule:rate(5 minutes)", bogus=1)


def test_disable_enable_change_and_delete_follow_the_rule(account, push, fn, clock):
    events = account.cloud.client("events")
    push.add_trigger("fn", "schedule:rate(1 minute)")
    events.disable_rule(Name="fn")
    clock.advance(600)
    assert events_received(account) == []
    events.enable_rule(Name="fn")  # re-enabled: one period from now
    clock.advance(120)
    assert len(events_received(account)) == 2
    events.put_rule(Name="fn", ScheduleExpression="rate(10 minutes)")  # a changed expression reschedules
    clock.advance(599)
    assert len(events_received(account)) == 2
    clock.advance(1)
    assert len(events_received(account)) == 3
    events.remove_targets(Rule="fn", Ids=["fn"])
    events.delete_rule(Name="fn")
    clock.advance(3600)
    assert len(events_received(account)) == 3
    assert push.sources["schedule"].timers() == []


# --- EventBridge Scheduler -----------------------------------------------------------------------


def test_create_schedule_rate_sends_the_target_input_with_context_attributes(account, push, fn, clock):
    scheduler = account.cloud.client("scheduler")
    created = clock.time()
    arn = scheduler.create_schedule(
        Name="tick",
        ScheduleExpression="rate(15 minutes)",
        FlexibleTimeWindow={"Mode": "OFF"},
        Target={
            "Arn": fn.arn,
            "RoleArn": ROLE,
            "Input": json.dumps({"at": "<aws.scheduler.scheduled-time>", "arn": "<aws.scheduler.schedule-arn>"}),
        },
    )["ScheduleArn"]
    got = scheduler.get_schedule(Name="tick")
    assert got["ActionAfterCompletion"] == "NONE" and got["ScheduleExpressionTimezone"] == "UTC"
    assert got["Target"]["RetryPolicy"] == {"MaximumEventAgeInSeconds": 86400, "MaximumRetryAttempts": 185}
    clock.advance(30 * 60)
    assert events_received(account) == [
        {"at": iso(created + 900), "arn": arn},
        {"at": iso(created + 1800), "arn": arn},
    ]
    assert {r.trigger for r in account.invocation_records("fn")} == {"schedule:tick"}


def test_schedule_without_input_sends_an_empty_object(account, push, fn, clock):
    account.cloud.client("scheduler").create_schedule(
        Name="bare",
        ScheduleExpression="rate(1 minute)",
        FlexibleTimeWindow={"Mode": "OFF"},
        Target={"Arn": fn.arn, "RoleArn": ROLE},
    )
    clock.advance(60)
    assert events_received(account) == [{}]


def test_one_time_schedule_fires_once_and_deletes_itself(account, push, fn, clock):
    scheduler = account.cloud.client("scheduler")
    move_to(clock, 2027, 6, 30, 12)
    for name, after in (("once", "DELETE"), ("kept", "NONE")):
        scheduler.create_schedule(
            Name=name,
            ScheduleExpression="at(2027-07-01T09:00:00)",
            ScheduleExpressionTimezone="Europe/Berlin",
            FlexibleTimeWindow={"Mode": "OFF"},
            ActionAfterCompletion=after,
            Target={"Arn": fn.arn, "RoleArn": ROLE, "Input": json.dumps({"name": name})},
        )
    move_to(clock, 2027, 7, 1, 6, 59)
    assert events_received(account) == []
    clock.advance(60)  # 09:00 in Berlin is 07:00 UTC
    assert events_received(account) == [{"name": "kept"}, {"name": "once"}]
    clock.advance(30 * DAY)
    assert len(events_received(account)) == 2
    with pytest.raises(ClientError) as error:
        scheduler.get_schedule(Name="once")
    assert error.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert scheduler.get_schedule(Name="kept")["State"] == "ENABLED"


def test_cron_schedule_in_berlin_across_both_daylight_saving_transitions(account, push, fn, clock):
    scheduler = account.cloud.client("scheduler")
    move_to(clock, 2027, 3, 26, 12)  # Berlin springs forward on Sunday 2027-03-28, falls back on 2027-10-31
    scheduler.create_schedule(
        Name="half-past-two",
        ScheduleExpression="cron(30 2 * * ? *)",
        ScheduleExpressionTimezone="Europe/Berlin",
        FlexibleTimeWindow={"Mode": "OFF"},
        Target={"Arn": fn.arn, "RoleArn": ROLE, "Input": json.dumps({"t": "<aws.scheduler.scheduled-time>"})},
    )
    clock.advance(4 * DAY)
    spring = sorted(e["t"] for e in events_received(account))
    assert spring == ["2027-03-27T01:30:00Z", "2027-03-29T00:30:00Z", "2027-03-30T00:30:00Z"]  # 28th: skipped
    move_to(clock, 2027, 10, 30, 12)  # every night of the summer fires on the way, stamped at its time
    clock.advance(3 * DAY)
    nights = sorted(e["t"] for e in events_received(account))
    assert len(nights) == len(set(nights)) == 3 + (31 - 30) + 30 + 31 + 30 + 31 + 31 + 30 + 30 + 3
    assert nights[-4:] == [
        "2027-10-30T00:30:00Z",
        "2027-10-31T00:30:00Z",
        "2027-11-01T01:30:00Z",
        "2027-11-02T01:30:00Z",
    ]


def test_start_and_end_dates_bound_a_recurring_schedule(account, push, fn, clock):
    move_to(clock, 2027, 2, 1)
    start = datetime(2027, 2, 3, tzinfo=timezone.utc)
    end = datetime(2027, 2, 6, tzinfo=timezone.utc)
    scheduler = account.cloud.client("scheduler")
    scheduler.create_schedule(
        Name="window",
        ScheduleExpression="cron(0 12 * * ? *)",
        StartDate=start,
        EndDate=end,
        ActionAfterCompletion="DELETE",
        FlexibleTimeWindow={"Mode": "OFF"},
        Target={"Arn": fn.arn, "RoleArn": ROLE, "Input": json.dumps({"t": "<aws.scheduler.scheduled-time>"})},
    )
    clock.advance(10 * DAY)
    assert sorted(e["t"] for e in events_received(account)) == [
        "2027-02-03T12:00:00Z",
        "2027-02-04T12:00:00Z",
        "2027-02-05T12:00:00Z",
    ]
    with pytest.raises(ClientError):  # its EndDate reached: deleted after the last firing
        scheduler.get_schedule(Name="window")


def test_flexible_window_fires_at_a_fixed_point_inside_it(account, push, fn, clock):
    account.cloud.client("scheduler").create_schedule(
        Name="flex",
        ScheduleExpression="rate(1 hour)",
        FlexibleTimeWindow={"Mode": "FLEXIBLE", "MaximumWindowInMinutes": 15},
        Target={"Arn": fn.arn, "RoleArn": ROLE},
    )
    [timer] = push.sources["schedule"].timers()
    assert timer.next_nominal <= timer.next_at < timer.next_nominal + 15 * 60
    clock.advance(timer.next_at - clock.time() - 1)
    assert events_received(account) == []
    clock.advance(1)
    assert events_received(account) == [{}]


def test_disabled_schedule_does_not_fire_until_enabled_and_groups_delete_their_schedules(account, push, fn, clock):
    scheduler = account.cloud.client("scheduler")
    scheduler.create_schedule_group(Name="jobs")
    common = {"ScheduleExpression": "rate(1 minute)", "FlexibleTimeWindow": {"Mode": "OFF"}}
    scheduler.create_schedule(
        Name="paused", GroupName="jobs", State="DISABLED", Target={"Arn": fn.arn, "RoleArn": ROLE}, **common
    )
    clock.advance(300)
    assert events_received(account) == []
    scheduler.update_schedule(
        Name="paused", GroupName="jobs", State="ENABLED", Target={"Arn": fn.arn, "RoleArn": ROLE}, **common
    )
    clock.advance(120)
    assert len(events_received(account)) == 2
    scheduler.delete_schedule_group(Name="jobs")
    clock.advance(600)
    assert len(events_received(account)) == 2
    with pytest.raises(ClientError) as error:
        scheduler.create_schedule(Name="x", GroupName="missing", Target={"Arn": fn.arn, "RoleArn": ROLE}, **common)
    assert error.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_scheduler_validation_and_dead_letter_queue(account, push, fn, clock):
    scheduler, sqs = account.cloud.client("scheduler"), account.cloud.client("sqs")
    for bad in ("rate(10 seconds)", "at(2021-12-31T23:59:59Z)", "cron(0 1 * * * *)"):
        with pytest.raises(ClientError) as error:
            scheduler.create_schedule(
                Name="bad",
                ScheduleExpression=bad,
                FlexibleTimeWindow={"Mode": "OFF"},
                Target={"Arn": fn.arn, "RoleArn": ROLE},
            )
        assert error.value.response["Error"]["Code"] == "ValidationException"
        assert error.value.response["Error"]["Message"] == f"Invalid Schedule Expression {bad}."
    url = sqs.create_queue(QueueName="sched-dlq")["QueueUrl"]
    dlq = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    missing = fn.arn.replace(":fn", ":gone")
    arn = scheduler.create_schedule(
        Name="orphan",
        ScheduleExpression="rate(1 minute)",
        FlexibleTimeWindow={"Mode": "OFF"},
        Target={"Arn": missing, "RoleArn": ROLE, "Input": '{"a": 1}', "DeadLetterConfig": {"Arn": dlq}},
    )["ScheduleArn"]
    clock.advance(60)
    assert account.wait(timeout=30)
    [message] = sqs.receive_message(QueueUrl=url, MessageAttributeNames=["All"])["Messages"]
    attributes = {k: v["StringValue"] for k, v in message["MessageAttributes"].items()}
    assert (attributes["SCHEDULE_ARN"], attributes["ERROR_CODE"]) == (arn, "ResourceNotFoundException")
    assert json.loads(message["Body"]) == {"a": 1}


def test_add_trigger_with_a_timezone_makes_a_scheduler_schedule(account, push, fn, clock):
    trigger = push.add_trigger("fn", "schedule:cron(0 9 * * ? *)", timezone="America/New_York", name="morning")
    assert trigger.settings["timezone"] == "America/New_York"
    got = account.cloud.client("scheduler").get_schedule(Name="morning")
    assert got["ScheduleExpressionTimezone"] == "America/New_York"
    clock.advance(2 * DAY)
    assert events_received(account) == [{}, {}]


def test_update_schedule_with_a_new_expression_reschedules(account, push, fn, clock):
    scheduler = account.cloud.client("scheduler")
    common = {"FlexibleTimeWindow": {"Mode": "OFF"}, "Target": {"Arn": fn.arn, "RoleArn": ROLE}}
    scheduler.create_schedule(Name="s", ScheduleExpression="rate(1 hour)", **common)
    clock.advance(1800)
    scheduler.update_schedule(Name="s", ScheduleExpression="rate(10 minutes)", **common)
    clock.advance(600)
    assert len(events_received(account)) == 1
    scheduler.delete_schedule(Name="s")
    clock.advance(3 * 3600)
    assert len(events_received(account)) == 1


def test_moto_side_wraps_whatever_is_installed_once_either_order():
    from lambda_magic.sources.push.moto_side import patch
    from lambda_magic.sources.push.schedules_moto import _wrap

    class Backend:
        def put_rule(self):
            return ["moto"]

    def theirs(self):
        return ["theirs", *theirs.original(self)]

    def mine(self):
        return ["mine", *mine.original(self)]

    assert patch(Backend, "put_rule", theirs) and _wrap(Backend, "put_rule", mine)
    assert not patch(Backend, "put_rule", theirs) and not _wrap(Backend, "put_rule", mine)  # re-installed: no-ops
    assert Backend().put_rule() == ["mine", "theirs", "moto"]

    class Other:
        def put_rule(self):
            return ["moto"]

    def mine2(self):
        return ["mine", *mine2.original(self)]

    def theirs2(self):
        return ["theirs", *theirs2.original(self)]

    assert _wrap(Other, "put_rule", mine2) and patch(Other, "put_rule", theirs2)
    assert not _wrap(Other, "put_rule", mine2) and not patch(Other, "put_rule", theirs2)
    assert Other().put_rule() == ["theirs", "mine", "moto"]
