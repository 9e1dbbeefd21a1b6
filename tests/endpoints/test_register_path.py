"""lm.register(name, path=..., handler="app.handler"): a function from a folder or a zip."""

from __future__ import annotations

import io
import json
import zipfile

import pytest

import lambda_magic as lm

APP = "from helpers import greet\n\ndef handler(event, context):\n    return greet(event['name'])\n"
HELPERS = (
    "import json, pathlib\n\ndef greet(name):\n"
    "    return json.loads(pathlib.Path('greeting.json').read_text())['text'] + name\n"
)


@pytest.fixture
def folder(tmp_path):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "app.py").write_text(APP)
    (tmp_path / "src" / "helpers.py").write_text(HELPERS)
    (tmp_path / "src" / "greeting.json").write_text(json.dumps({"text": "Hello, "}))
    (tmp_path / "src" / "__pycache__").mkdir()
    (tmp_path / "src" / "__pycache__" / "app.cpython-311.pyc").write_bytes(b"stale")
    return tmp_path / "src"


@pytest.fixture
def clean():
    lm.reset()
    yield
    lm.reset()
    lm.account().shutdown()


def test_register_a_folder(clean, folder):
    function = lm.register("greeter", path=str(folder), handler="app.handler", memory_mb=256)
    assert function.config.handler_setting == "app.handler" and function.config.memory_mb == 256
    assert sorted(function.deployment_package.names) == ["app.py", "greeting.json", "helpers.py"]
    assert lm.invoke("greeter", {"name": "Ada"}).payload == "Hello, Ada"


def test_register_a_zip_and_reach_it_through_the_api(clean, folder, tmp_path):
    archive = tmp_path / "greeter.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        for path in folder.glob("*.*"):
            zipped.write(path, path.name)
    lm.register("greeter", path=str(archive), handler="app.handler")
    answer = lm.client("lambda").invoke(FunctionName="greeter", Payload=b'{"name": "Grace"}')
    assert json.loads(answer["Payload"].read()) == "Hello, Grace"
    got = lm.client("lambda").get_function(FunctionName="greeter")
    assert got["Configuration"]["Handler"] == "app.handler"
    import urllib.request

    with urllib.request.urlopen(got["Code"]["Location"]) as response:
        served = response.read()
    assert served == archive.read_bytes()  # the zip as it was given
    assert sorted(zipfile.ZipFile(io.BytesIO(served)).namelist()) == ["app.py", "greeting.json", "helpers.py"]
