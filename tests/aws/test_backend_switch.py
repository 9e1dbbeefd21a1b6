"""Switching the module-level API and the magics between the local and the AWS backend."""

from __future__ import annotations

import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell

import lambda_magic as lm
from lambda_magic.runtime.account import LocalAccount
from lambda_magic.runtime.account_protocol import Account

from .helpers import HANDLER, ROLE_ARN


def test_both_accounts_satisfy_the_protocol(aws):
    assert isinstance(aws, Account)
    assert isinstance(LocalAccount.__new__(LocalAccount), Account)


def test_use_backend_switches_what_the_module_api_acts_on(aws, moto, module_backend):
    lm.use_backend("aws", endpoint_url=moto, region=aws.region, role=ROLE_ARN, max_calls=10)
    assert lm.backend() == "aws"
    function = lm.register("hello", HANDLER, memory_mb=256)
    assert function.backend == "aws"
    assert lm.functions()[["name", "backend"]].values.tolist() == [["hello", "aws"]]
    assert lm.package("hello") == function.deployment_package.zip_file
    assert lm.client("lambda").get_function(FunctionName="hello")["Configuration"]["MemorySize"] == 256
    assert lm.account().guard.used == 1
    echoed = lm.invoke("hello", template="sqs/receive-message", params={"records": ["a"]})
    assert echoed.backend == "aws" and echoed.payload["Records"][0]["body"] == "a"  # moto echoes the event
    assert lm.invocations("hello")[["request_id", "backend"]].values.tolist() == [[echoed.request_id, "aws"]]
    assert lm.logs("hello").empty  # moto without Docker writes no log group
    with pytest.raises(lm.LambdaMagicError, match="not mapped on the AWS backend"):
        lm.clock()
    lm.use_backend("local")
    assert lm.backend() == "local"
    assert "hello" not in [f.name for f in lm.account().list_functions()]


def test_the_call_count_survives_switching(aws, moto, module_backend):
    lm.use_backend("aws", endpoint_url=moto, region=aws.region, role=ROLE_ARN, max_calls=1, ask=None)
    lm.register("hello", HANDLER)
    lm.use_backend("aws", endpoint_url=moto, region=aws.region, role=ROLE_ARN, max_calls=1, ask=None)
    with pytest.raises(lm.LambdaMagicError, match="refused deploy hello"):
        lm.register("hello", HANDLER + "# v2\n")


def test_unknown_backend_is_one_line(module_backend):
    with pytest.raises(lm.LambdaMagicError, match="backend 'gcp': use 'local' or 'aws'"):
        lm.use_backend("gcp")


@pytest.fixture
def shell():
    ip = InteractiveShell.instance()
    ip.run_line_magic("load_ext", "lambda_magic")
    return ip


def test_the_backend_verb_and_a_cell_deployed_to_aws(shell, aws, moto, module_backend, capsys):
    shell.run_line_magic("lambda", f"backend aws --endpoint-url {moto} --region {aws.region} --role {ROLE_ARN}")
    assert capsys.readouterr().out == (
        f"AWS backend: account 123456789012, region {aws.region} at {moto} (0 deploys/invokes so far, no limit)\n"
    )
    panel = shell.run_cell_magic("lambda", "hello", HANDLER)
    assert "backend aws" in repr(panel) and "Backend" in panel._repr_html_()
    shell.run_line_magic("config", "LambdaMagic.aws_max_calls = 1")
    with pytest.raises(UsageError, match="refused invoke hello: 1 AWS calls made, max_calls=1"):
        shell.run_line_magic("lambda", "invoke hello")
    shell.run_line_magic("config", "LambdaMagic.aws_max_calls = None")
    shell.run_line_magic("lambda", "backend local")
    assert capsys.readouterr().out.endswith("local backend: functions deploy and run in this kernel's emulator\n")
    assert lm.backend() == "local"


def test_an_unknown_profile_is_one_line(aws_env, module_backend):
    with pytest.raises(lm.LambdaMagicError, match="AWS backend: The config profile \\(nope\\) could not be found"):
        lm.use_backend("aws", profile="nope")
    assert lm.backend() == "local"


def test_no_credentials_is_one_line_and_keeps_the_local_backend(aws_env, monkeypatch, moto, module_backend):
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    with pytest.raises(lm.LambdaMagicError, match="AWS backend: Unable to locate credentials"):
        lm.use_backend("aws", endpoint_url=moto)
    assert lm.backend() == "local"


def test_settings_are_the_local_emulators_whichever_backend_is_chosen(aws, moto, module_backend):
    """Loading the extension (its settings applied) and ``%config`` on the AWS backend configure the
    local account, which is what they describe; the AWS account is not touched."""
    from lambda_magic.magics.lambda_magic import LambdaMagic

    lm.use_backend("aws", endpoint_url=moto, region=aws.region, role=ROLE_ARN)
    magics = LambdaMagic(shell=InteractiveShell.instance())  # what %load_ext makes, now on the AWS backend
    magics.cpu_share = "off"
    assert lm.api.local_account().settings.cpu_share == "off"
    assert lm.backend() == "aws"
    magics.cpu_share = "on"
    lm.use_backend("local")
    assert lm.account().settings.cpu_share == "on"
