"""%lambda templates / event / builder / invoke --template."""

import pandas as pd
import pytest
from IPython.core.error import UsageError

import lambda_magic as lm
from lambda_magic.display.builder import EventBuilder

KEY_ECHO = "def lambda_handler(event, context):\n    return event['Records'][0]['s3']['object']['key']\n"
PROXY = "def lambda_handler(event, context):\n    return {'statusCode': 200, 'body': event['path']}\n"
BAD_PROXY = "def lambda_handler(event, context):\n    return {'body': 42}\n"


def test_templates_verb_lists_a_service(shell):
    frame = shell.run_line_magic("lambda", "templates sqs")
    assert isinstance(frame, pd.DataFrame)
    assert list(frame.columns) == ["id", "service", "event", "description", "params"]
    assert "sqs/receive-message" in frame["id"].tolist()
    assert set(frame["service"]) == {"sqs"}
    assert len(shell.run_line_magic("lambda", "templates")) == len(lm.templates())


def test_event_verb_renders_with_params_and_seed(shell):
    first = shell.run_line_magic("lambda", "event sqs/receive-message --param records=2 --seed 7")
    again = shell.run_line_magic("lambda", "event sqs/receive-message --param records=2 --seed 7")
    assert len(first["Records"]) == 2
    ids = [record["messageId"] for record in first["Records"]]
    assert ids == [record["messageId"] for record in again["Records"]]  # a seed fixes the ids
    assert len(set(ids)) == 2
    assert lm.event("sqs/receive-message", records=["a", "b"])["Records"][1]["body"] == "b"


def test_invoke_with_template_and_param(shell):
    shell.run_cell_magic("lambda", "keys", KEY_ECHO)
    invocation = shell.run_line_magic("lambda", "invoke keys --template s3/put --param 'key=my photo.jpg'")
    assert invocation.payload == "my+photo.jpg"  # S3 form-encodes keys, spaces as '+'
    assert invocation.template == "s3/put"
    assert invocation.verdict is None  # S3 does not read the answer


def test_invoke_with_template_shows_the_service_verdict(shell):
    shell.run_cell_magic("lambda", "good", PROXY)
    shell.run_cell_magic("lambda", "bad", BAD_PROXY)
    good = lm.invoke("good", template="apigateway/aws-proxy", params={"path": "/hello"})
    assert good.verdict.ok and good.verdict.details["statusCode"] == 200
    bad = shell.run_line_magic("lambda", "invoke bad --template apigateway/aws-proxy")
    assert not bad.verdict.ok
    assert bad.verdict.details["statusCode"] == 502
    assert "502" in bad._repr_html_() and "502" in repr(bad)


@pytest.mark.parametrize(
    "line, fragment",
    [
        ("event s3/putt", "did you mean 's3/put'"),
        ("event s3/put --param nope=1", "unknown parameter 'nope'"),
        ("event sqs/receive-message --param records=x", "records"),
        ("invoke keys --param a=1", "need --template"),
        ("invoke keys --seed 3", "need --template"),
        ("event s3/put --now yesterday", "not an ISO 8601 time"),
        ("invoke keys {} --template s3/put", "not both"),
        ("builder nobody", "Function not found"),
    ],
)
def test_template_mistakes_are_usage_errors(shell, line, fragment):
    shell.run_cell_magic("lambda", "keys", KEY_ECHO)
    error = shell.run_cell(f"%lambda {line}").error_in_exec
    assert isinstance(error, UsageError) and fragment in str(error)
    assert "\n" not in str(error)


def test_builder_verb_returns_the_widget(shell):
    shell.run_cell_magic("lambda", "keys", KEY_ECHO)
    builder = shell.run_line_magic("lambda", "builder keys")
    assert isinstance(builder, EventBuilder)
    assert builder.function.value == "keys"
    builder.select("s3/put")
    builder.fields["key"].value = "lecture.txt"
    builder.invoke_button.click()
    assert "lecture.txt" in builder.result.value
    assert isinstance(lm.builder(), EventBuilder)


def test_quoted_params_and_reproducible_template_invokes(shell):
    shell.run_cell_magic("lambda", "keys", KEY_ECHO)
    line = 'invoke keys --template s3/put --param key="red flower.jpg" --seed 1 --now 2024-05-01T12:00:00Z'
    first = shell.run_line_magic("lambda", line)
    second = shell.run_line_magic("lambda", line)
    assert first.payload == "red+flower.jpg"
    assert first.event == second.event  # same seed and time: the same event
    assert first.event["Records"][0]["eventTime"] == "2024-05-01T12:00:00.000Z"
