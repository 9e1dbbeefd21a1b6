"""Layers through boto3: publish, list, get, delete, and functions that import from them."""

from __future__ import annotations

import io
import json
import urllib.request
import zipfile

import pytest

ROLE = "arn:aws:iam::123456789012:role/lambda-role"
SITE = "python/lib/python3.12/site-packages"  # the functions below run python3.12: /opt/python/lib/python3.12


def package(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


@pytest.fixture
def layer(client):
    return client.publish_layer_version(
        LayerName="shared",
        Description="helpers",
        CompatibleRuntimes=["python3.12"],
        Content={
            "ZipFile": package(
                {"python/shared.py": "GREETING = 'hi'\n", f"{SITE}/vendored/__init__.py": "VERSION = '1.0'\n"}
            )
        },
    )


def test_publish_get_list_delete_layer_versions(account, client, layer):
    assert layer["Version"] == 1
    assert (
        layer["LayerVersionArn"]
        == f"arn:aws:lambda:{account.settings.region}:{account.settings.account_id}:layer:shared:1"
    )
    with urllib.request.urlopen(layer["Content"]["Location"]) as response:
        assert "python/shared.py" in zipfile.ZipFile(io.BytesIO(response.read())).namelist()
    second = client.publish_layer_version(LayerName="shared", Content={"ZipFile": package({"python/x.py": ""})})
    assert second["Version"] == 2
    assert client.get_layer_version(LayerName="shared", VersionNumber=1)["Description"] == "helpers"
    assert client.get_layer_version_by_arn(Arn=layer["LayerVersionArn"])["Version"] == 1
    assert [v["Version"] for v in client.list_layer_versions(LayerName="shared")["LayerVersions"]] == [2, 1]
    [listed] = client.list_layers()["Layers"]
    assert (listed["LayerName"], listed["LatestMatchingVersion"]["Version"]) == ("shared", 2)
    assert client.list_layers(CompatibleRuntime="python3.12")["Layers"][0]["LatestMatchingVersion"]["Version"] == 1
    client.delete_layer_version(LayerName="shared", VersionNumber=2)
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.get_layer_version(LayerName="shared", VersionNumber=2)
    assert client.publish_layer_version(LayerName="shared", Content={"ZipFile": package({"a": ""})})["Version"] == 3


def test_a_function_imports_from_its_layers(account, client, layer):
    code = package(
        {
            "app.py": "import shared, vendored\n\ndef handler(event, context):\n"
            "    return [shared.GREETING, vendored.VERSION]\n"
        }
    )
    created = client.create_function(
        FunctionName="uses",
        Runtime="python3.12",
        Role=ROLE,
        Handler="app.handler",
        Code={"ZipFile": code},
        Layers=[layer["LayerVersionArn"]],
    )
    assert created["Layers"] == [{"Arn": layer["LayerVersionArn"], "CodeSize": layer["Content"]["CodeSize"]}]
    assert json.loads(client.invoke(FunctionName="uses")["Payload"].read()) == ["hi", "1.0"]
    newer = client.publish_layer_version(
        LayerName="shared",
        Content={
            "ZipFile": package(
                {"python/shared.py": "GREETING = 'hello'\n", f"{SITE}/vendored/__init__.py": "VERSION = '2'\n"}
            )
        },
    )
    client.update_function_configuration(FunctionName="uses", Layers=[newer["LayerVersionArn"]])
    assert json.loads(client.invoke(FunctionName="uses")["Payload"].read()) == ["hello", "2"]
    client.update_function_configuration(FunctionName="uses", Layers=[])
    error = json.loads(client.invoke(FunctionName="uses")["Payload"].read())
    assert error["errorType"] == "Runtime.ImportModuleError"


def test_a_missing_or_foreign_layer_is_refused(account, client, layer):
    code = package({"app.py": "def handler(event, context):\n    return 1\n"})
    params = dict(FunctionName="f", Runtime="python3.12", Role=ROLE, Handler="app.handler", Code={"ZipFile": code})
    with pytest.raises(client.exceptions.InvalidParameterValueException):
        client.create_function(**params, Layers=[layer["LayerVersionArn"][:-1] + "9"])
    import botocore.exceptions

    with pytest.raises(botocore.exceptions.ClientError) as caught:
        client.create_function(
            **params, Layers=[layer["LayerVersionArn"].replace(account.settings.account_id, "999999999999")]
        )
    assert caught.value.response["Error"]["Code"] == "AccessDeniedException"
    assert account.registry.latest("f") is None
