"""Requirements vendored for Lambda's platform with pip (offline: a pure-Python wheel from a local folder)."""

from __future__ import annotations

import base64
import hashlib
import zipfile

import pytest

from lambda_magic.aws.vendor import pip_command, vendor
from lambda_magic.runtime.package import DeploymentPackage


def _wheel(folder, name="tinylib", version="1.0") -> None:
    """A minimal pure-Python wheel (py3-none-any): what pip accepts for any --platform."""
    files = {
        f"{name}/__init__.py": "GREETING = 'hi'\n",
        f"{name}-{version}.dist-info/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n",
        f"{name}-{version}.dist-info/WHEEL": (
            "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
        ),
    }
    record = []
    for path, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=").decode()
        record.append(f"{path},sha256={digest},{len(text.encode())}")
    record.append(f"{name}-{version}.dist-info/RECORD,,")
    files[f"{name}-{version}.dist-info/RECORD"] = "\n".join(record) + "\n"
    with zipfile.ZipFile(folder / f"{name}-{version}-py3-none-any.whl", "w") as whl:
        for path, text in files.items():
            whl.writestr(path, text)


def test_the_pip_command_targets_lambdas_platform():
    command = pip_command(["requests==2.32.3"], "/tmp/t", architecture="arm64", runtime="python3.12")
    joined = " ".join(command)
    assert "--platform manylinux2014_aarch64 --only-binary=:all:" in joined
    assert "--python-version 3.12" in joined and "--implementation cp" in joined
    assert command[-1] == "requests==2.32.3"


@pytest.mark.slow
def test_a_wheel_is_vendored_into_the_package_the_same_way_twice(tmp_path):
    _wheel(tmp_path)
    args = ["--no-index", "--find-links", str(tmp_path)]
    files = vendor(["tinylib"], architecture="x86_64", runtime="python3.12", pip_args=args)
    assert files["tinylib/__init__.py"] == b"GREETING = 'hi'\n"
    again = vendor(["tinylib"], architecture="x86_64", runtime="python3.12", pip_args=args)
    code = "import tinylib\ndef lambda_handler(e, c):\n    return tinylib.GREETING\n"
    assert DeploymentPackage.from_cell(code, files).zip_file == DeploymentPackage.from_cell(code, again).zip_file


def test_a_requirement_pip_cannot_find_is_one_line(tmp_path):
    with pytest.raises(Exception, match="requirements could not be vendored for x86_64"):
        vendor(
            ["no-such-dist"],
            architecture="x86_64",
            runtime="python3.12",
            pip_args=["--no-index", "--find-links", str(tmp_path)],
        )


def test_register_with_requirements_deploys_them(aws, tmp_path):
    _wheel(tmp_path)
    code = "import tinylib\ndef lambda_handler(e, c):\n    return tinylib.GREETING\n"
    function = aws.register(
        "vendored", code, requirements=["tinylib"], pip_args=["--no-index", "--find-links", str(tmp_path)]
    )
    assert "tinylib/__init__.py" in function.deployment_package.names
    assert aws.client("lambda").get_function(FunctionName="vendored")["Configuration"]["CodeSha256"] == (
        function.deployment_package.code_sha256
    )
