"""CreateFunction and UpdateFunctionCode from a zip, through boto3 and the AWS CLI."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import urllib.request
import zipfile

import pytest

ROLE = "arn:aws:iam::123456789012:role/lambda-role"
APP = "def handler(event, context):\n    return {'app': event.get('n', 0) + 1}\n"


def package(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def sha256(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def test_create_function_from_a_zip_then_invoke_it(account, client):
    zipped = package({"app.py": APP})
    created = client.create_function(
        FunctionName="app",
        Runtime="python3.12",
        Role=ROLE,
        Handler="app.handler",
        Code={"ZipFile": zipped},
        MemorySize=256,
        Timeout=10,
        Environment={"Variables": {"STAGE": "test"}},
        Tags={"team": "blue"},
    )
    assert created["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert (created["State"], created["StateReasonCode"]) == ("Pending", "Creating")
    assert created["CodeSha256"] == sha256(zipped) and created["CodeSize"] == len(zipped)
    assert (created["Handler"], created["Role"], created["MemorySize"]) == ("app.handler", ROLE, 256)
    client.get_waiter("function_active_v2").wait(FunctionName="app")
    got = client.get_function(FunctionName="app")
    assert got["Configuration"]["State"] == "Active" and got["Tags"] == {"team": "blue"}
    with urllib.request.urlopen(got["Code"]["Location"]) as response:
        assert response.read() == zipped
    answer = client.invoke(FunctionName="app", Payload=b'{"n": 41}')
    assert json.loads(answer["Payload"].read()) == {"app": 42}
    function = account.get_function("app")  # the same registry: a cell or lm.invoke sees it
    assert (function.config.memory_mb, function.config.env) == (256, {"STAGE": "test"})
    assert account.invoke("app", {"n": 1}).payload == {"app": 2}


def test_create_function_is_validated(account, client, raw_client):
    zipped = package({"app.py": APP})
    client.create_function(
        FunctionName="app", Runtime="python3.12", Role=ROLE, Handler="app.handler", Code={"ZipFile": zipped}
    )
    with pytest.raises(client.exceptions.ResourceConflictException):
        client.create_function(
            FunctionName="app", Runtime="python3.12", Role=ROLE, Handler="app.handler", Code={"ZipFile": zipped}
        )
    cases = [
        {"Runtime": "nodejs20.x"},
        {"Role": "not-a-role"},
        {"Code": {"ZipFile": b"not a zip"}},
        {"Layers": ["arn:aws:lambda:us-east-1:123456789012:layer:x:1"]},
    ]
    for change in cases:
        params = {
            "FunctionName": "other",
            "Runtime": "python3.12",
            "Role": ROLE,
            "Handler": "app.handler",
            "Code": {"ZipFile": zipped},
            **change,
        }
        with pytest.raises(client.exceptions.InvalidParameterValueException):
            raw_client.create_function(**params)
    assert account.registry.latest("other") is None


MULTI = {
    "app.py": "import json\nfrom helpers.maths import double\n\n"
    "def handler(event, context):\n"
    "    with open('data/config.json') as f:\n"
    "        return {'double': double(event['n']), 'config': json.load(f), 'module': __name__}\n",
    "helpers/__init__.py": "",
    "helpers/maths.py": "def double(x):\n    return 2 * x\n",
    "data/config.json": '{"stage": "test"}',
}


def test_a_handler_the_zip_does_not_hold_is_accepted_and_fails_on_invoke(client):
    """As on AWS: CreateFunction takes any handler; the runtime reports the missing module."""
    client.create_function(
        FunctionName="nohandler",
        Runtime="python3.12",
        Role=ROLE,
        Handler="missing.handler",
        Code={"ZipFile": package({"app.py": APP})},
    )
    answer = client.invoke(FunctionName="nohandler")
    assert answer["FunctionError"] == "Unhandled"
    assert json.loads(answer["Payload"].read())["errorType"] == "Runtime.ImportModuleError"


def test_a_multi_file_package_imports_its_modules_and_reads_its_data(account, client):
    zipped = package(MULTI)
    client.create_function(
        FunctionName="multi", Runtime="python3.12", Role=ROLE, Handler="app.handler", Code={"ZipFile": zipped}
    )
    answer = client.invoke(FunctionName="multi", Payload=b'{"n": 21}')
    assert "FunctionError" not in answer
    assert json.loads(answer["Payload"].read()) == {"double": 42, "config": {"stage": "test"}, "module": "app"}
    function = account.get_function("multi")
    assert function.config.handler_setting == "app.handler"
    assert sorted(function.deployment_package.names) == [
        "app.py",
        "data/config.json",
        "helpers/__init__.py",
        "helpers/maths.py",
    ]
    assert client.get_function_configuration(FunctionName="multi")["CodeSha256"] == sha256(zipped)


def test_changing_the_handler_of_a_package_picks_another_module(account, client):
    files = {**MULTI, "other.py": "def main(event, context):\n    return 'other'\n"}
    client.create_function(
        FunctionName="multi", Runtime="python3.12", Role=ROLE, Handler="app.handler", Code={"ZipFile": package(files)}
    )
    answer = client.update_function_configuration(FunctionName="multi", Handler="other.main")
    assert answer["Handler"] == "other.main"
    assert json.loads(client.invoke(FunctionName="multi")["Payload"].read()) == "other"


def test_a_missing_module_in_the_package_is_an_import_error_at_invoke(account, client):
    client.create_function(
        FunctionName="broken",
        Runtime="python3.12",
        Role=ROLE,
        Handler="app.handler",
        Code={"ZipFile": package({"app.py": "import nothere\ndef handler(e, c):\n    pass\n"})},
    )
    answer = client.invoke(FunctionName="broken")
    assert answer["FunctionError"] == "Unhandled"
    error = json.loads(answer["Payload"].read())
    assert error["errorType"] == "Runtime.ImportModuleError"
    assert error["errorMessage"].startswith("Unable to import module 'app':")


def test_update_function_code_and_publish(account, client):
    client.create_function(
        FunctionName="app",
        Runtime="python3.12",
        Role=ROLE,
        Handler="app.handler",
        Code={"ZipFile": package({"app.py": APP})},
    )
    newer = package({"app.py": APP.replace("+ 1", "+ 100")})
    updated = client.update_function_code(FunctionName="app", ZipFile=newer, Publish=True)
    assert updated["LastUpdateStatus"] == "InProgress" and updated["CodeSha256"] == sha256(newer)
    client.get_waiter("function_updated_v2").wait(FunctionName="app")
    assert json.loads(client.invoke(FunctionName="app", Payload=b'{"n": 1}')["Payload"].read()) == {"app": 101}
    assert [v.version for v in account.registry.versions("app")] == ["$LATEST", "1"]
    assert client.get_function_configuration(FunctionName="app", Qualifier="1")["CodeSha256"] == sha256(newer)


def test_a_cell_function_is_a_zip_holding_lambda_function_py(account, client):
    code = "def lambda_handler(event, context):\n    return 1\n"
    account.register("cell", code)
    location = client.get_function(FunctionName="cell")["Code"]["Location"]
    with urllib.request.urlopen(location) as response, zipfile.ZipFile(io.BytesIO(response.read())) as archive:
        assert archive.namelist() == ["lambda_function.py"]
        assert archive.read("lambda_function.py").decode() == code


@pytest.mark.slow
def test_cli_create_function_from_a_zip_file(account, cli, tmp_path):
    path = tmp_path / "app.zip"
    path.write_bytes(package({"app.py": APP}))
    done = cli(
        "create-function",
        "--function-name",
        "fromcli",
        "--runtime",
        "python3.12",
        "--role",
        ROLE,
        "--handler",
        "app.handler",
        "--zip-file",
        f"fileb://{path}",
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["CodeSha256"] == sha256(path.read_bytes())
    assert account.invoke("fromcli", {"n": 2}).payload == {"app": 3}
