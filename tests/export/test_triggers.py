"""Event source mappings and push triggers as SAM events, the resources they use declared,
and the permissions no SAM event writes."""

from __future__ import annotations

import json

import lambda_magic as lm

CELL = "def lambda_handler(event, context):\n    return {'ok': True}\n"


def _queue_arn(name: str) -> str:
    sqs = lm.client("sqs")
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    return sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


def test_event_source_mappings(acc, tmp_path, read, lint):
    lm.register("consumer", CELL, env={"ORDERS_TABLE": "orders"})
    queue_arn = _queue_arn("jobs")
    kinesis = lm.client("kinesis")
    kinesis.create_stream(StreamName="clicks", ShardCount=2)
    stream_arn = kinesis.describe_stream_summary(StreamName="clicks")["StreamDescriptionSummary"]["StreamARN"]
    table = lm.client("dynamodb").create_table(
        TableName="orders",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
    )["TableDescription"]
    client = lm.client("lambda")
    filters = {"Filters": [{"Pattern": json.dumps({"body": {"kind": ["order"]}})}]}
    client.create_event_source_mapping(
        FunctionName="consumer",
        EventSourceArn=queue_arn,
        BatchSize=5,
        MaximumBatchingWindowInSeconds=2,
        FilterCriteria=filters,
        FunctionResponseTypes=["ReportBatchItemFailures"],
    )
    client.create_event_source_mapping(
        FunctionName="consumer",
        EventSourceArn=stream_arn,
        StartingPosition="TRIM_HORIZON",
        BatchSize=50,
        ParallelizationFactor=2,
        MaximumRecordAgeInSeconds=3600,
        Enabled=False,
    )
    client.create_event_source_mapping(
        FunctionName="consumer",
        EventSourceArn=table["LatestStreamArn"],
        StartingPosition="LATEST",
        BisectBatchOnFunctionError=True,
        MaximumRetryAttempts=3,
        DestinationConfig={"OnFailure": {"Destination": queue_arn}},
    )

    lm.export("sam", tmp_path / "template.yaml")

    resources = read(tmp_path / "template.yaml")["Resources"]
    events = resources["ConsumerFunction"]["Properties"]["Events"]
    assert events["JobsSQS"] == {
        "Type": "SQS",
        "Properties": {
            "Queue": {"Fn::GetAtt": ["JobsQueue", "Arn"]},
            "BatchSize": 5,
            "MaximumBatchingWindowInSeconds": 2,
            "FunctionResponseTypes": ["ReportBatchItemFailures"],
            "FilterCriteria": filters,
        },
    }
    kinesis_event = events["ClicksKinesis"]["Properties"]
    assert kinesis_event["Stream"] == {"Fn::GetAtt": ["ClicksStream", "Arn"]}
    assert (kinesis_event["StartingPosition"], kinesis_event["BatchSize"]) == ("TRIM_HORIZON", 50)
    assert (kinesis_event["ParallelizationFactor"], kinesis_event["MaximumRecordAgeInSeconds"]) == (2, 3600)
    assert kinesis_event["Enabled"] is False
    stream_event = next(e for e in events.values() if e["Type"] == "DynamoDB")["Properties"]
    assert stream_event["Stream"] == {"Fn::GetAtt": ["OrdersTable", "StreamArn"]}
    assert stream_event["BisectBatchOnFunctionError"] is True
    assert stream_event["MaximumRetryAttempts"] == 3
    assert stream_event["DestinationConfig"] == {
        "OnFailure": {"Type": "SQS", "Destination": {"Fn::GetAtt": ["JobsQueue", "Arn"]}}
    }
    assert resources["ClicksStream"]["Properties"] == {"Name": "clicks", "ShardCount": 2}
    assert resources["OrdersTable"]["Properties"]["StreamSpecification"] == {"StreamViewType": "NEW_IMAGE"}
    assert resources["OrdersTable"]["Properties"]["KeySchema"] == [{"AttributeName": "pk", "KeyType": "HASH"}]
    # The table's name in the environment becomes a reference to the declared table.
    assert resources["ConsumerFunction"]["Properties"]["Environment"]["Variables"] == {
        "ORDERS_TABLE": {"Ref": "OrdersTable"}
    }
    lint(tmp_path / "template.yaml")
    lm.export("cloudformation", tmp_path / "cfn" / "template.yaml")
    cfn = read(tmp_path / "cfn" / "template.yaml")["Resources"]
    mappings = [r["Properties"] for r in cfn.values() if r["Type"] == "AWS::Lambda::EventSourceMapping"]
    assert sorted(m["BatchSize"] for m in mappings) == [5, 50, 100]
    lint(tmp_path / "cfn" / "template.yaml")


def test_push_triggers(acc, tmp_path, read, lint):
    lm.register("react", CELL)
    s3 = lm.client("s3")
    s3.create_bucket(Bucket="uploads-bucket")
    lm.add_trigger("react", "s3:uploads-bucket", events=["s3:ObjectCreated:*"], prefix="in/", suffix=".csv")
    lm.client("sns").create_topic(Name="alerts")
    lm.add_trigger("react", "sns:alerts", filter_policy={"level": ["ERROR"]})
    events_client = lm.client("events")
    events_client.put_rule(Name="orders-placed", EventPattern=json.dumps({"source": ["shop"]}))
    lm.add_trigger("react", "events:orders-placed", input=json.dumps({"from": "rule"}))
    lm.add_trigger("react", "schedule:rate(5 minutes)", name="every-five")
    lm.client("scheduler").create_schedule_group(Name="daily")
    lm.add_trigger(
        "react", "schedule:cron(0 8 * * ? *)", name="mornings", scheduler=True, timezone="Europe/Paris", group="daily"
    )
    lm.client("logs").create_log_group(logGroupName="/app/errors")
    lm.add_trigger("react", "logs:/app/errors", filter_pattern="ERROR")
    lm.client("codecommit").create_repository(repositoryName="site")
    lm.add_trigger("react", "codecommit:site", branches=["main"], events=["updateReference"])
    lm.client("lambda").add_permission(
        FunctionName="react",
        StatementId="partner",
        Action="lambda:InvokeFunction",
        Principal="210987654321",
    )

    result = lm.export("sam", tmp_path / "template.yaml")

    resources = read(tmp_path / "template.yaml")["Resources"]
    events = resources["ReactFunction"]["Properties"]["Events"]
    assert events["UploadsBucketS3"]["Properties"] == {
        "Bucket": {"Ref": "UploadsBucketBucket"},
        "Events": ["s3:ObjectCreated:*"],
        "Filter": {"S3Key": {"Rules": [{"Name": "prefix", "Value": "in/"}, {"Name": "suffix", "Value": ".csv"}]}},
    }
    assert events["AlertsTopicSNS"]["Properties"] == {
        "Topic": {"Ref": "AlertsTopic"},
        "FilterPolicy": {"level": ["ERROR"]},
    }
    rule = events["OrdersPlacedRule"]
    assert rule["Type"] == "EventBridgeRule"
    assert rule["Properties"]["Pattern"] == {"source": ["shop"]}
    assert rule["Properties"]["Input"] == json.dumps({"from": "rule"})
    assert events["EveryFiveRule"]["Type"] == "Schedule"
    assert events["EveryFiveRule"]["Properties"]["Schedule"] == "rate(5 minutes)"
    mornings = events["MorningsSchedule"]
    assert mornings["Type"] == "ScheduleV2"
    assert mornings["Properties"]["ScheduleExpression"] == "cron(0 8 * * ? *)"
    assert mornings["Properties"]["ScheduleExpressionTimezone"] == "Europe/Paris"
    assert mornings["Properties"]["GroupName"] == {"Ref": "DailyScheduleGroup"}
    logs = next(e for e in events.values() if e["Type"] == "CloudWatchLogs")
    assert logs["Properties"] == {"LogGroupName": {"Ref": "AppErrorsLogGroup"}, "FilterPattern": "ERROR"}
    repo = resources["SiteRepository"]["Properties"]
    assert repo["Triggers"][0]["Branches"] == ["main"]
    assert repo["Triggers"][0]["DestinationArn"] == {"Fn::GetAtt": ["ReactFunction", "Arn"]}
    permissions = {k: r["Properties"] for k, r in resources.items() if r["Type"] == "AWS::Lambda::Permission"}
    principals = sorted(p["Principal"] for p in permissions.values())
    assert principals == [
        "arn:aws:iam::210987654321:root",
        "codecommit.amazonaws.com",
    ]  # the SAM events grant the others
    assert result.skipped == []
    lint(tmp_path / "template.yaml")
    lm.export("cloudformation", tmp_path / "cfn" / "template.yaml")
    types = sorted({r["Type"] for r in read(tmp_path / "cfn" / "template.yaml")["Resources"].values()})
    for kind in (
        "AWS::SNS::Subscription",
        "AWS::Events::Rule",
        "AWS::Scheduler::Schedule",
        "AWS::Logs::SubscriptionFilter",
    ):
        assert kind in types
    lint(tmp_path / "cfn" / "template.yaml")
