"""%lambda cloud / trigger / triggers, against the embedded local cloud."""

import pytest
from IPython.core.error import UsageError

import lambda_magic as lm
from lambda_magic.display.cloud import CloudPanel, TriggersPanel

COLLECT = "def lambda_handler(event, context):\n    return [r['body'] for r in event['Records']]\n"


def test_cloud_verb_lists_resources(shell):
    lm.client("sqs").create_queue(QueueName="orders")
    panel = shell.run_line_magic("lambda", "cloud")
    assert isinstance(panel, CloudPanel)
    assert panel.endpoint.startswith("http://127.0.0.1:")
    assert "sqs queues: orders" in repr(panel)


def test_trigger_feeds_a_function_from_a_queue(shell, capsys):
    url = lm.client("sqs").create_queue(QueueName="jobs")["QueueUrl"]
    for body in ("a", "b", "c"):
        lm.client("sqs").send_message(QueueUrl=url, MessageBody=body)
    shell.run_cell_magic("lambda", "collect", COLLECT)
    shell.run_line_magic("lambda", "trigger collect sqs:jobs --batch-size 10")
    assert "collect <- sqs:jobs" in capsys.readouterr().out
    assert lm.wait(timeout=60)
    bodies = sorted(
        body for r in lm.account().invocation_records("collect") if r.status == "success" for body in r.payload
    )
    assert bodies == ["a", "b", "c"]
    assert {r.trigger for r in lm.account().invocation_records("collect")} == {"sqs:jobs"}
    panel = shell.run_line_magic("lambda", "triggers")
    assert isinstance(panel, TriggersPanel) and "collect <- sqs:jobs [Enabled, batch 10]" in repr(panel)
    frame = lm.event_source_mappings()
    assert frame[["function", "source", "state"]].values.tolist() == [["collect", "sqs", "Enabled"]]


@pytest.mark.parametrize(
    "line, fragment",
    [
        ("trigger collect orders", "sqs:QUEUE"),
        ("trigger collect sqs:nope", "no sqs resource named 'nope'"),
        ("trigger collect ftp:files", "choose sqs, kinesis, dynamodb (a mapping) or s3, sns, events"),
        ("trigger collect sns:topic --filter-policy {oops", "--filter-policy: not JSON"),
        ("trigger nobody sqs:jobs", "Function not found"),
    ],
)
def test_trigger_mistakes_are_usage_errors(shell, line, fragment):
    lm.client("sqs").create_queue(QueueName="jobs")
    shell.run_cell_magic("lambda", "collect", COLLECT)
    error = shell.run_cell(f"%lambda {line}").error_in_exec
    assert isinstance(error, UsageError), error
    assert fragment in str(error) and "\n" not in str(error)
