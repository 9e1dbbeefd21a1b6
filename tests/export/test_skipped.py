"""What a template cannot express is listed (``.skipped`` and the comment block), never lost;
logical ids follow CloudFormation's rules."""

from __future__ import annotations

import lambda_magic as lm
from lambda_magic.export.naming import logical_id

CELL = "def lambda_handler(event, context):\n    return {'ok': True}\n"


def test_logical_ids_are_alphanumeric_and_start_with_a_letter():
    assert logical_id("orders-queue", "Queue") == "OrdersQueueQueue"
    assert logical_id("/aws/lambda/app", "LogGroup") == "AwsLambdaAppLogGroup"
    assert logical_id("2024_reports") == "R2024Reports"
    assert logical_id("my.fifo.queue") == "MyFifoQueue"


def test_resources_the_environment_names_are_declared(acc, tmp_path, read, lint):
    lm.client("s3").create_bucket(Bucket="reports-archive")
    lm.client("dynamodb").create_table(
        TableName="visits",
        KeySchema=[{"AttributeName": "day", "KeyType": "HASH"}, {"AttributeName": "page", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "day", "AttributeType": "S"},
            {"AttributeName": "page", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    lm.register("report", CELL, env={"BUCKET": "reports-archive", "TABLE": "visits", "MODE": "daily"})

    lm.export("sam", tmp_path / "template.yaml")

    resources = read(tmp_path / "template.yaml")["Resources"]
    assert resources["ReportFunction"]["Properties"]["Environment"]["Variables"] == {
        "BUCKET": {"Ref": "ReportsArchiveBucket"},
        "MODE": "daily",
        "TABLE": {"Ref": "VisitsTable"},
    }
    assert resources["VisitsTable"]["Properties"]["KeySchema"] == [
        {"AttributeName": "day", "KeyType": "HASH"},
        {"AttributeName": "page", "KeyType": "RANGE"},
    ]
    lint(tmp_path / "template.yaml")


def test_what_is_not_expressed_is_listed_in_the_result_and_the_template(acc, tmp_path, read, lint):
    lm.register("hook", CELL, env={"CALLBACK": "http://127.0.0.1:8080/done"})
    lm.publish_version("hook")
    lm.create_alias("hook", "live", "1")
    lm.client("sns").create_topic(Name="news")
    lm.add_trigger("hook", "sns:news")  # the unqualified function: SAM would wire the alias instead

    result = lm.export("sam", tmp_path / "template.yaml")

    assert result.skipped == [
        "sns:arn:aws:sns:us-east-1:123456789012:news -> hook: SAM wires it to alias live",
        "HookFunction: environment variable CALLBACK points at this machine (http://127.0.0.1:8080/done)",
    ]
    header = result.text.split("AWSTemplateFormatVersion")[0]
    assert "# Not expressed in this template" in header
    for item in result.skipped:
        assert f"#   - {item}\n" in header
    assert "Roles: SAM makes each function's execution role" in header
    assert read(tmp_path / "template.yaml")["Resources"]["HookFunction"]["Properties"]["Events"]
    lint(tmp_path / "template.yaml")
