"""The %lambda / %%lambda magics, driven through a real IPython shell."""

import json

import pandas as pd
import pytest
from IPython.core.error import UsageError

import lambda_magic as lm
from lambda_magic.display.panels import FunctionPanel


def run_error(shell, source):
    """Run a cell and return the exception it raised (None when it succeeded)."""
    return shell.run_cell(source).error_in_exec


HELLO = 'def lambda_handler(event, context):\n    print("hi", event)\n    return {"name": event.get("name")}\n'


def register(shell, line="hello", code=HELLO):
    return shell.run_cell_magic("lambda", line, code)


def test_cell_registers_function_and_shows_panel(shell):
    panel = register(shell, "hello --memory 256 --timeout 5 --env STAGE=dev --env MODE=a=b --description demo")
    assert isinstance(panel, FunctionPanel)
    function = lm.account().get_function("hello")
    assert function.code == HELLO
    assert function.config.memory_mb == 256 and function.config.timeout_s == 5
    assert function.config.env == {"STAGE": "dev", "MODE": "a=b"}
    assert function.config.description == "demo"
    assert "Registered hello" in repr(panel)
    html = panel._repr_html_()
    assert "arn:aws:lambda:us-east-1:123456789012:function:hello" in html
    assert function.code_sha256 in html


def test_rerunning_the_cell_updates_and_next_invoke_is_cold(shell):
    register(shell)
    assert shell.run_line_magic("lambda", "invoke hello {}").cold_start
    assert not shell.run_line_magic("lambda", "invoke hello {}").cold_start
    panel = register(shell)
    assert "Updated hello" in repr(panel)
    assert shell.run_line_magic("lambda", "invoke hello {}").cold_start


def test_cell_options_map_to_configuration(shell):
    register(
        shell,
        "j --handler main --runtime python3.12 --architecture arm64 --log-format JSON --log-level INFO "
        "--isolation inline",
        "def main(event, context):\n    return 1\n",
    )
    config = lm.account().get_function("j").config
    assert (config.handler, config.runtime, config.architecture) == ("main", "python3.12", "arm64")
    assert (config.log_format, config.log_level, config.isolation) == ("JSON", "INFO", "inline")
    assert shell.run_line_magic("lambda", "invoke j").payload == 1


@pytest.mark.parametrize(
    "line, fragment",
    [
        ("bad --memory 64", "128-10240 MB"),
        ("bad --memory lots", "invalid int value"),
        ("bad --timeout 901", "1-900 seconds"),
        ("bad --env AWS_REGION=x", "reserved"),
        ("bad --env NOEQUALS", "KEY=VALUE"),
        ("bad --handler 9lives", "identifier"),
        ("bad --architecture sparc", "invalid choice"),
        ("bad --log-level DEBUG", "JSON"),
        ("bad --colour red", "unrecognized arguments"),
        ("", "required: name"),
        ("no/slash", "invalid function name"),
    ],
)
def test_bad_cell_options_are_one_line_usage_errors_and_register_nothing(shell, line, fragment):
    error = run_error(shell, f"%%lambda {line}\n{HELLO}")
    assert isinstance(error, UsageError)
    assert fragment in str(error)
    assert "\n" not in str(error)
    assert lm.account().list_functions() == []


def test_empty_cell_is_refused(shell):
    error = run_error(shell, "%%lambda hello\n\n   \n")
    assert isinstance(error, UsageError) and "empty" in str(error)
    assert lm.account().list_functions() == []


def test_invoke_with_json_spaces_and_quotes(shell):
    register(shell)
    inv = shell.run_line_magic("lambda", 'invoke hello {"name": "Ada Lovelace", "x": [1, 2]}')
    assert inv.payload == {"name": "Ada Lovelace"}
    assert inv.status_code == 200 and inv.function_error is None


def test_invoke_event_from_variable_and_store_result(shell):
    register(shell)
    shell.user_ns["ev"] = {"name": "Grace"}
    shell.run_line_magic("lambda", "invoke hello $ev -o result")
    assert shell.user_ns["result"].payload == {"name": "Grace"}


def test_invoke_assignment_form(shell):
    register(shell)
    shell.run_cell('inv = %lambda invoke hello {"name": "Linus"}')
    assert shell.user_ns["inv"].payload == {"name": "Linus"}


def test_invoke_options_after_the_name_and_event_file(shell, tmp_path):
    register(shell)
    path = tmp_path / "event.json"
    path.write_text(json.dumps({"name": "File"}))
    inv = shell.run_line_magic("lambda", f"invoke hello --event-file {path}")
    assert inv.payload == {"name": "File"}
    inv = shell.run_line_magic("lambda", 'invoke hello --type DryRun {"name": "x"}')
    assert inv.status_code == 204 and inv.status == "dry-run"


def test_invoke_client_context_and_qualifier(shell):
    register(
        shell,
        "ctx",
        "def lambda_handler(event, context):\n"
        "    cc = context.client_context\n"
        "    return [cc.custom, cc.env, context.invoked_function_arn]\n",
    )
    inv = shell.run_line_magic(
        "lambda", """invoke ctx --qualifier $LATEST --client-context '{"custom": {"a": 1}, "env": {"b": 2}}'"""
    )
    assert inv.payload == [{"a": 1}, {"b": 2}, "arn:aws:lambda:us-east-1:123456789012:function:ctx:$LATEST"]


def test_event_invocation_returns_202_and_wait(shell):
    register(shell)
    inv = shell.run_line_magic("lambda", 'invoke hello --type Event {"name": "later"}')
    assert inv.status_code == 202 and inv.status == "queued"
    shell.run_line_magic("lambda", "wait")
    records = lm.account().invocation_records("hello")
    assert [r.request_id for r in records] == [inv.request_id]
    assert records[0].status == "success" and records[0].invocation_type == "Event"


@pytest.mark.parametrize(
    "line, fragment",
    [
        ("invok hello", "did you mean 'invoke'"),
        ("", "needs a verb"),
        ("invoke missing {}", "Function not found: missing"),
        ("invoke hello {bad json}", "not valid JSON"),
        ("invoke hello $nothing_here", "no variable 'nothing_here'"),
        ("invoke hello --type Sometimes", "invalid choice"),
        ("invoke hello --event-file /no/such/file.json", "cannot read --event-file"),
        ("invoke hello --client-context {oops", "--client-context is not valid JSON"),
        ("invoke hello --qualifier 7", "no such version"),
        ("invoke hello -o 1abc", "valid Python variable name"),
        ("invoke hello {} {}", "after the event"),
        ("logs hello --tail x", "invalid int value"),
        ("logs nobody", "Function not found"),
        ("delete nobody", "Function not found"),
        ("invocations nobody", "Function not found"),
        ("logs hello --filter {$.level=}", "Invalid filter pattern"),
    ],
)
def test_user_mistakes_are_one_line_usage_errors(shell, line, fragment):
    register(shell)
    before = len(lm.account().invocation_records())
    error = run_error(shell, f"%lambda {line}")
    assert isinstance(error, UsageError), error
    assert fragment in str(error)
    assert "\n" not in str(error)
    assert len(lm.account().invocation_records()) == before  # nothing ran


def test_every_verb_answers_help(shell, capsys):
    for verb in ("invoke", "list", "invocations", "logs", "delete", "wait", "reset"):
        assert shell.run_line_magic("lambda", f"{verb} --help") is None
        assert f"usage: %lambda {verb}" in capsys.readouterr().out
    assert shell.run_cell_magic("lambda", "--help", "x = 1") is None
    assert "usage: %%lambda" in capsys.readouterr().out
    assert lm.account().list_functions() == []


def test_magic_docstring_lists_the_verbs(shell):
    doc = shell.find_line_magic("lambda").__doc__
    for verb in ("invoke", "list", "invocations", "logs", "delete", "wait", "reset"):
        assert f"%lambda {verb}" in doc


def test_dataframe_verbs(shell):
    register(shell)
    inv = shell.run_line_magic("lambda", 'invoke hello {"name": "A"}')
    functions = shell.run_line_magic("lambda", "list")
    assert isinstance(functions, pd.DataFrame) and functions["name"].tolist() == ["hello"]
    invocations = shell.run_line_magic("lambda", "invocations hello")
    assert invocations["request_id"].tolist() == [inv.request_id]
    logs = shell.run_line_magic("lambda", f"logs hello --request-id {inv.request_id}")
    assert logs["message"].iloc[0].startswith("START RequestId")
    assert logs["message"].iloc[-1].startswith("REPORT RequestId")
    assert shell.run_line_magic("lambda", "logs hello --tail 2")["message"].iloc[-1].startswith("REPORT")
    hits = shell.run_line_magic("lambda", """logs hello --filter '"hi {"'""")  # a phrase: quoted, as CloudWatch wants
    assert hits["message"].tolist() == ["hi {'name': 'A'}"]


def test_delete_and_reset(shell, capsys):
    register(shell)
    shell.run_line_magic("lambda", "invoke hello {}")
    shell.run_line_magic("lambda", "delete hello")
    assert "Deleted function hello" in capsys.readouterr().out
    assert lm.account().list_functions() == []
    assert len(lm.logs("hello")) > 0  # log groups outlive functions, as on AWS
    shell.run_line_magic("lambda", "reset")
    assert len(lm.logs()) == 0 and len(lm.invocations()) == 0


def test_config_sets_defaults_for_new_functions(shell):
    try:
        shell.run_line_magic("config", "LambdaMagic.memory = 512")
        shell.run_line_magic("config", "LambdaMagic.timeout = 7")
        shell.run_line_magic("config", "LambdaMagic.region = 'eu-west-1'")
        shell.run_line_magic("config", "LambdaMagic.account = '000000000042'")
        register(shell)
        function = lm.account().get_function("hello")
        assert function.config.memory_mb == 512 and function.config.timeout_s == 7
        assert function.arn == "arn:aws:lambda:eu-west-1:000000000042:function:hello"
        shell.run_line_magic("config", "LambdaMagic.memory = 99999")  # refused by validation
        assert lm.account().settings.memory_mb == 512
    finally:
        for setting in ("memory = 128", "timeout = 3", "region = 'us-east-1'", "account = '123456789012'"):
            shell.run_line_magic("config", f"LambdaMagic.{setting}")


def test_handler_errors_are_data_not_exceptions(shell):
    register(shell, "boom", "def lambda_handler(event, context):\n    raise ValueError('no way')\n")
    inv = shell.run_line_magic("lambda", "invoke boom")
    assert inv.function_error == "Unhandled"
    assert inv.payload["errorType"] == "ValueError"
    assert "no way" in repr(inv)


def test_cell_that_will_fail_registers_with_a_warning(shell):
    panel = register(shell, "misnamed", "def handler(event, context):\n    return 1\n")
    text = repr(panel)
    assert "Registered misnamed" in text
    assert (
        "Warning: the first invoke will answer Runtime.HandlerNotFound: "
        "Handler 'lambda_handler' missing on module 'lambda_function'"
    ) in text
    assert "Handler &#x27;lambda_handler&#x27; missing on module &#x27;lambda_function&#x27;" in panel._repr_html_()
    assert shell.run_line_magic("lambda", "invoke misnamed").error_type == "Runtime.HandlerNotFound"

    panel = register(shell, "broken", "def lambda_handler(event, context)\n    return 1\n")
    assert (
        "Warning: the first invoke will answer Runtime.UserCodeSyntaxError: Syntax error in module "
        "'lambda_function': expected ':' (lambda_function.py, line 1)\n    def lambda_handler(event, context)"
        in repr(panel)
    )
    assert "Runtime.UserCodeSyntaxError" in panel._repr_html_()


def test_a_good_cell_has_no_warning(shell):
    panel = register(shell)
    assert "Warning" not in repr(panel) and "Warning" not in panel._repr_html_()
    assert panel.function.warnings == ()
