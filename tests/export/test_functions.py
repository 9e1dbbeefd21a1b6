"""Functions: configuration, code folders, layers, versions and aliases, concurrency and
asynchronous configuration in the exported SAM and CloudFormation templates."""

from __future__ import annotations

import io
import zipfile

import pytest

import lambda_magic as lm
from lambda_magic.common.errors import InvalidParameterValueException

CELL = "def lambda_handler(event, context):\n    return {'ok': True}\n"


def _layer_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("python/helpers.py", "GREETING = 'hi'\n")
    return buffer.getvalue()


def test_configuration_code_folder_and_layer(acc, tmp_path, read, lint):
    layer = lm.publish_layer_version("helpers", _layer_zip(), compatible_runtimes=["python3.12"])
    lm.register(
        "orders",
        CELL,
        memory_mb=512,
        timeout_s=30,
        architecture="arm64",
        env={"STAGE": "dev"},
        description="takes orders",
        layers=[layer.arn],
    )
    client = lm.client("lambda")
    client.update_function_configuration(
        FunctionName="orders", TracingConfig={"Mode": "Active"}, EphemeralStorage={"Size": 1024}
    )
    client.put_function_concurrency(FunctionName="orders", ReservedConcurrentExecutions=5)

    result = lm.export("sam", tmp_path / "template.yaml")

    body = read(tmp_path / "template.yaml")
    assert body["Transform"] == "AWS::Serverless-2016-10-31"
    props = body["Resources"]["OrdersFunction"]["Properties"]
    assert props["CodeUri"] == "functions/orders/"
    assert props["Handler"] == "lambda_function.lambda_handler"
    assert props["Architectures"] == ["arm64"]
    assert (props["MemorySize"], props["Timeout"]) == (512, 30)
    assert props["Environment"] == {"Variables": {"STAGE": "dev"}}
    assert props["Tracing"] == "Active"
    assert props["EphemeralStorage"] == {"Size": 1024}
    assert props["ReservedConcurrentExecutions"] == 5
    assert props["Description"] == "takes orders"
    assert props["Layers"] == [{"Ref": "HelpersLayer"}]
    assert body["Resources"]["HelpersLayer"]["Properties"]["ContentUri"] == "layers/helpers/"
    assert (tmp_path / "functions/orders/lambda_function.py").read_text() == CELL
    assert (tmp_path / "layers/helpers/python/helpers.py").read_text() == "GREETING = 'hi'\n"
    assert result.code == ["functions/orders/", "layers/helpers/"]
    lint(tmp_path / "template.yaml")


def test_the_export_is_deterministic(acc, tmp_path, read):
    lm.register("a", CELL, env={"BB": "2", "AA": "1"})
    lm.register("b", CELL)
    first = lm.export("sam", tmp_path / "one" / "template.yaml").text
    second = lm.export("sam", tmp_path / "two" / "template.yaml").text
    assert first == second
    assert first.index("AFunction:") < first.index("BFunction:")
    assert list(
        read(tmp_path / "one" / "template.yaml")["Resources"]["AFunction"]["Properties"]["Environment"]["Variables"]
    ) == ["AA", "BB"]


def test_alias_on_the_newest_version_is_auto_published_with_provisioned_concurrency(acc, tmp_path, read, lint):
    lm.register("api", CELL)
    lm.publish_version("api")
    lm.register("api", CELL.replace("True", "False"))
    lm.publish_version("api")
    lm.create_alias("api", "live", "2")
    lm.create_alias("api", "canary", "2", routing={"1": 0.1})
    lm.put_provisioned_concurrency("api", "live", 2)

    result = lm.export("sam", tmp_path / "template.yaml")

    props = read(tmp_path / "template.yaml")["Resources"]["ApiFunction"]["Properties"]
    assert props["AutoPublishAlias"] == "live"
    assert props["ProvisionedConcurrencyConfig"] == {"ProvisionedConcurrentExecutions": 2}
    assert any("alias canary -> 2 with weights" in item for item in result.skipped)
    assert any("published versions 1" in item for item in result.skipped)
    assert "#   - api: alias canary" in result.text  # the comment block says it too
    lint(tmp_path / "template.yaml")


def test_async_configuration_destinations_and_dead_letter_queue(acc, tmp_path, read, lint):
    sqs = lm.client("sqs")
    url = sqs.create_queue(QueueName="failed")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    topic_arn = lm.client("sns").create_topic(Name="done")["TopicArn"]
    lm.register("worker", CELL)
    lm.register("audit", CELL)
    client = lm.client("lambda")
    client.put_function_event_invoke_config(
        FunctionName="worker",
        MaximumRetryAttempts=0,
        MaximumEventAgeInSeconds=600,
        DestinationConfig={
            "OnSuccess": {"Destination": topic_arn},
            "OnFailure": {"Destination": "arn:aws:lambda:us-east-1:123456789012:function:audit"},
        },
    )
    client.update_function_configuration(FunctionName="audit", DeadLetterConfig={"TargetArn": queue_arn})

    lm.export("sam", tmp_path / "template.yaml")

    resources = read(tmp_path / "template.yaml")["Resources"]
    invoke = resources["WorkerFunction"]["Properties"]["EventInvokeConfig"]
    assert invoke == {
        "MaximumRetryAttempts": 0,
        "MaximumEventAgeInSeconds": 600,
        "DestinationConfig": {
            "OnSuccess": {"Type": "SNS", "Destination": {"Ref": "DoneTopic"}},
            "OnFailure": {"Type": "Lambda", "Destination": {"Fn::GetAtt": ["AuditFunction", "Arn"]}},
        },
    }
    assert resources["AuditFunction"]["Properties"]["DeadLetterQueue"] == {
        "Type": "SQS",
        "TargetArn": {"Fn::GetAtt": ["FailedQueue", "Arn"]},
    }
    assert resources["FailedQueue"]["Properties"]["QueueName"] == "failed"
    lint(tmp_path / "template.yaml")


def test_cloudformation_is_the_sam_template_transformed_with_code_in_s3(acc, tmp_path, read, lint):
    layer = lm.publish_layer_version("helpers", _layer_zip())
    lm.register("hello", CELL, memory_mb=256, env={"STAGE": "dev"}, layers=[layer.arn])
    lm.configure_async("hello", max_retry_attempts=1)

    result = lm.export("cloudformation", tmp_path / "template.yaml")

    body = read(tmp_path / "template.yaml")
    assert "Transform" not in body
    assert body["Parameters"]["CodeBucket"]["Type"] == "String"
    function = body["Resources"]["HelloFunction"]
    assert function["Type"] == "AWS::Lambda::Function"
    assert function["Properties"]["Code"] == {"S3Bucket": {"Ref": "CodeBucket"}, "S3Key": "functions/hello.zip"}
    assert function["Properties"]["MemorySize"] == 256
    assert result.resources["HelloFunctionRole"] == "AWS::IAM::Role"
    assert result.resources["HelloFunctionEventInvokeConfig"] == "AWS::Lambda::EventInvokeConfig"
    with zipfile.ZipFile(tmp_path / "functions/hello.zip") as archive:
        assert archive.read("lambda_function.py").decode() == CELL
    assert lm.package("hello") == (tmp_path / "functions/hello.zip").read_bytes()
    # SAM names a layer version after its content's hash (a new version on each change).
    (layer_id,) = [k for k, v in body["Resources"].items() if v["Type"] == "AWS::Lambda::LayerVersion"]
    assert layer_id.startswith("HelpersLayer")
    assert body["Resources"][layer_id]["Properties"]["Content"] == {
        "S3Bucket": {"Ref": "CodeBucket"},
        "S3Key": "layers/helpers.zip",
    }
    assert function["Properties"]["Layers"] == [{"Ref": layer_id}]
    assert result.code == ["functions/hello.zip", "layers/helpers.zip"]
    lint(tmp_path / "template.yaml")


def test_bad_kind_and_empty_account_are_one_line_errors(acc, tmp_path, read):
    with pytest.raises(InvalidParameterValueException, match="no functions to export"):
        lm.export("sam", tmp_path / "template.yaml")
    lm.register("hello", CELL)
    with pytest.raises(InvalidParameterValueException, match="choose one of sam, cloudformation"):
        lm.export("terraform", tmp_path / "template.yaml")
