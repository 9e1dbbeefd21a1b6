"""%lambda api: serve an HTTP or REST API from a line, list every API, one-line mistakes."""

import pytest
import requests
from IPython.core.error import UsageError

import lambda_magic as lm
from lambda_magic.display.api_list import ApisPanel
from lambda_magic.display.apis import ApiView

ECHO = (
    "import json\n"
    "def lambda_handler(event, context):\n"
    "    return {'statusCode': 200, 'body': json.dumps({'version': event.get('version'),"
    " 'params': event.get('pathParameters'), 'stage': event['requestContext']['stage']})}\n"
)


def test_api_verb_serves_an_http_api(shell):
    shell.run_cell_magic("lambda", "get_item", ECHO)
    view = shell.run_line_magic("lambda", "api shop 'GET /items/{id}=get_item' GET:/health=get_item")
    assert isinstance(view, ApiView) and view.kind == "HTTP API"
    assert [r["route"] for r in view.routes] == ["GET /health", "GET /items/{id}"]
    body = requests.get(view.url + "/items/42").json()
    assert body == {"version": "2.0", "params": {"id": "42"}, "stage": "$default"}
    assert requests.get(view.url + "/nope").status_code == 404
    again = shell.run_line_magic("lambda", "api shop")
    assert isinstance(again, ApiView) and again.url == view.url


def test_api_verb_serves_a_rest_api_at_its_stage(shell):
    shell.run_cell_magic("lambda", "get_item", ECHO)
    view = shell.run_line_magic("lambda", "api legacy 'ANY /{proxy+}=get_item' --rest --stage prod")
    assert view.kind == "REST API" and view.url.endswith("/prod")
    body = requests.get(view.url + "/a/b").json()
    assert body == {"version": None, "params": {"proxy": "a/b"}, "stage": "prod"}


def test_api_verb_without_arguments_lists_shortcut_and_boto3_apis(shell):
    shell.run_cell_magic("lambda", "get_item", ECHO)
    shell.run_line_magic("lambda", "api shop GET:/=get_item")
    arn = lm.client("lambda").get_function(FunctionName="get_item")["Configuration"]["FunctionArn"]
    api_id = lm.client("apigatewayv2").create_api(Name="quick", ProtocolType="HTTP", Target=arn)["ApiId"]
    panel = shell.run_line_magic("lambda", "api")
    assert isinstance(panel, ApisPanel)
    rows = {row[0]: row for row in panel.rows()}
    assert set(rows) == {"shop", "quick"}
    assert rows["quick"][2] == api_id and rows["quick"][5] == lm.api_url(api_id)
    assert shell.run_line_magic("lambda", f"api {api_id}").url == lm.api_url(api_id)
    assert requests.get(lm.api_url(api_id) + "/x").status_code == 500  # no permission for API Gateway yet
    lm.client("lambda").add_permission(
        FunctionName="get_item",
        StatementId="apigw",
        Action="lambda:InvokeFunction",
        Principal="apigateway.amazonaws.com",
        SourceArn=f"arn:aws:execute-api:us-east-1:123456789012:{api_id}/*/$default",
    )
    assert requests.get(lm.api_url(api_id) + "/x").json()["version"] == "2.0"


@pytest.mark.parametrize(
    "line, fragment",
    [
        ("api shop items=get_item", "write 'METHOD /path' with METHOD"),
        ("api shop GET:/=nobody", "no function 'nobody'"),
        ("api shop GET:/=get_item --rest --cors-origins '*'", "--cors-* belong to HTTP APIs"),
        ("api shop GET:/=get_item --binary-media-types image/png", "belongs to REST APIs"),
        ("api shop $default=get_item --rest", "a REST API has no $default route"),
        ("api shop GET:/=get_item --rest --stage 'bad stage'", "letters, digits"),
        ("api shop GET:/=get_item --stage-variable color", "must look like KEY=VALUE"),
        ("api missing", "no API 'missing'"),
        ("api shop GET:/=get_item --bogus", "unrecognized arguments"),
    ],
)
def test_api_verb_mistakes_are_one_line_and_leave_the_old_api(shell, line, fragment):
    shell.run_cell_magic("lambda", "get_item", ECHO)
    before = shell.run_line_magic("lambda", "api shop 'GET /old=get_item'")
    error = shell.run_cell(f"%lambda {line}").error_in_exec
    assert isinstance(error, UsageError), error
    assert fragment in str(error) and "\n" not in str(error)
    assert requests.get(before.url + "/old").status_code == 200  # the old API still serves


def test_api_verb_help(shell, capsys):
    shell.run_line_magic("lambda", "api --help")
    out = capsys.readouterr().out
    assert "ROUTE=FUNCTION" in out and "--rest" in out
