"""Layers on the AWS backend: ``PublishLayerVersion`` and a function's ``Layers``.

The control plane against the moto server (``moto``/``aws`` fixtures); where the function must
really import from its layer, against the AWS stand-in (started here, stopped by its pid).
"""

from __future__ import annotations

import base64
import hashlib
import io
import zipfile

import pytest

import lambda_magic as lm
from lambda_magic.aws.guard import CallGuard
from lambda_magic.runtime.layers import LayerVersion
from lambda_magic.runtime.package import DeploymentPackage

from .helpers import HANDLER, ROLE_ARN, make_account
from .standin_process import REGION

GREETING = {"python/greeting.py": "VALUE = 'hello from the layer'\n"}
USES_GREETING = "import greeting\n\ndef lambda_handler(event, context):\n    return greeting.VALUE\n"


def _zip(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def _sha256(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def _folder(root, files: dict[str, str]):
    for name, content in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(content)
    return root


def _sent(account, operation: str) -> list[dict]:
    """The parameters of each ``operation`` the account's Lambda client sends from now on."""
    calls: list[dict] = []
    account.client("lambda").meta.events.register(
        f"provide-client-params.lambda.{operation}", lambda params, **kw: calls.append(dict(params))
    )
    return calls


# --- the control plane (moto) ---------------------------------------------------------------------------


def test_publish_layer_version_calls_publish_layer_version_and_answers_awss_version(aws):
    data = _zip(GREETING)
    used = aws.guard.used
    sent = _sent(aws, "PublishLayerVersion")
    layer = aws.publish_layer_version(
        "greetings",
        data,
        description="a greeting",
        compatible_runtimes=["python3.12"],
        compatible_architectures=["x86_64"],
        license_info="MIT",
    )
    assert sent == [
        {
            "LayerName": "greetings",
            "Content": {"ZipFile": data},
            "Description": "a greeting",
            "CompatibleRuntimes": ["python3.12"],
            "CompatibleArchitectures": ["x86_64"],
            "LicenseInfo": "MIT",
        }
    ]
    assert aws.guard.used == used + 1  # a deploy
    answer = aws.client("lambda").get_layer_version(LayerName="greetings", VersionNumber=1)  # (moto: not ByArn)
    assert isinstance(layer, LayerVersion)
    assert layer.arn == answer["LayerVersionArn"] == f"arn:aws:lambda:{aws.region}:123456789012:layer:greetings:1"
    assert layer.layer_arn == answer["LayerArn"]
    assert (layer.name, layer.version, layer.region, layer.account_id) == ("greetings", 1, aws.region, "123456789012")
    assert layer.code_sha256 == answer["Content"]["CodeSha256"] == _sha256(data)
    assert layer.code_size == len(data)
    assert (layer.description, layer.compatible_runtimes, layer.compatible_architectures, layer.license_info) == (
        "a greeting",
        ("python3.12",),
        ("x86_64",),
        "MIT",
    )
    assert layer.package.zip_file == data
    assert aws.publish_layer_version("greetings", data).version == 2


def test_the_module_api_publishes_a_folders_deterministic_zip_and_register_takes_layers(
    aws, moto, tmp_path, module_backend
):
    backend = lm.use_backend("aws", endpoint_url=moto, region=aws.region, role=ROLE_ARN, max_calls=10)
    layer = lm.publish_layer_version("greetings", path=_folder(tmp_path, GREETING), compatible_runtimes="python3.12")
    assert layer.code_sha256 == DeploymentPackage.from_path(tmp_path).code_sha256  # what the local backend stores
    assert layer.compatible_runtimes == ("python3.12",)
    function = lm.register("greet", USES_GREETING, layers=[layer.arn])  # no longer "not mapped"
    assert function.config.layers == (layer.arn,) and function.layers == (layer,)
    assert function.warnings == ()
    assert backend.guard.used == 2


def test_register_sends_layers_and_the_functions_view_shows_them(aws):
    layer = aws.publish_layer_version("greetings", _zip(GREETING))
    sent = _sent(aws, "CreateFunction")
    function = aws.register("greet", USES_GREETING, layers=[layer.arn])
    assert [call["Layers"] for call in sent] == [[layer.arn]]
    configuration = aws.client("lambda").get_function(FunctionName="greet")["Configuration"]
    assert [entry["Arn"] for entry in configuration["Layers"]] == [layer.arn]
    assert function.config.layers == (layer.arn,) and function.layers == (layer,)
    assert aws.get_function("greet").config.layers == (layer.arn,)
    listed = {f.name: f for f in aws.list_functions()}
    assert listed["greet"].config.layers == (layer.arn,) and listed["greet"].layers == (layer,)


def test_a_change_of_layers_alone_is_a_configuration_update_and_unchanged_layers_send_nothing(aws, moto):
    one = aws.publish_layer_version("greetings", _zip(GREETING))
    two = aws.publish_layer_version("greetings", _zip({"python/greeting.py": "VALUE = 'two'\n"}))
    aws.register("greet", USES_GREETING, layers=[one.arn])
    updates = _sent(aws, "UpdateFunctionConfiguration")
    aws.register("greet", USES_GREETING, layers=[two.arn])
    assert aws.last_deployment.steps == ["UpdateFunctionConfiguration"]
    assert [call["Layers"] for call in updates] == [[two.arn]]
    lam = aws.client("lambda")
    assert [e["Arn"] for e in lam.get_function(FunctionName="greet")["Configuration"]["Layers"]] == [two.arn]

    calls: list[str] = []
    lam.meta.events.register("before-call.lambda.*", lambda model, **kw: calls.append(model.name))
    used = aws.guard.used
    aws.register("greet", USES_GREETING, layers=[two.arn])  # the same as this kernel deployed
    assert calls == [] and aws.guard.used == used
    other = make_account(moto, region=aws.region)  # another kernel: GetFunction shows the same layers
    other.register("greet", USES_GREETING, layers=[two.arn])
    assert other.last_deployment.action == "unchanged"

    aws.register("greet", USES_GREETING)  # no layers: they are taken away
    assert updates[-1]["Layers"] == []
    assert lam.get_function(FunctionName="greet")["Configuration"].get("Layers", []) == []


def test_delete_leaves_the_layer_versions_as_aws_does(aws):
    layer = aws.publish_layer_version("greetings", _zip(GREETING))
    aws.register("greet", USES_GREETING, layers=[layer.arn])
    assert aws.delete_function("greet") == ["function greet"]
    versions = aws.client("lambda").list_layer_versions(LayerName="greetings")["LayerVersions"]
    assert [v["LayerVersionArn"] for v in versions] == [layer.arn]


def test_publishing_past_the_cost_guard_is_refused_before_anything_is_sent(moto, region):
    account = make_account(moto, region=region, guard=CallGuard(0, ask=None))
    sent = _sent(account, "PublishLayerVersion")
    with pytest.raises(lm.LambdaMagicError, match="refused deploy layer greetings"):
        account.publish_layer_version("greetings", _zip(GREETING))
    assert sent == []


def test_a_bad_layer_name_or_zip_is_the_local_backends_error(aws):
    sent = _sent(aws, "PublishLayerVersion")
    with pytest.raises(lm.LambdaMagicError, match="invalid layer name 'no spaces'"):
        aws.publish_layer_version("no spaces", _zip(GREETING))
    with pytest.raises(lm.LambdaMagicError, match="zip"):
        aws.publish_layer_version("greetings", b"not a zip")
    with pytest.raises(lm.LambdaMagicError, match="layers are layer version ARNs"):
        aws.register("greet", HANDLER, layers=[1])
    assert sent == [] and aws.guard.used == 0


# --- the function runs (the AWS stand-in) ---------------------------------------------------------------


def test_a_handler_imports_its_layer_on_the_aws_backend(standin, aws_env, tmp_path, module_backend):
    lm.use_backend("aws", endpoint_url=standin, region=REGION, create_role=True, max_calls=20)
    layer = lm.publish_layer_version("greetings", path=_folder(tmp_path / "v1", GREETING))
    function = lm.register("greet", USES_GREETING, layers=[layer.arn])
    assert function.config.layers == (layer.arn,)
    invocation = lm.invoke("greet")
    assert (invocation.function_error, invocation.payload) == (None, "hello from the layer")

    second = lm.publish_layer_version(
        "greetings", path=_folder(tmp_path / "v2", {"python/greeting.py": "VALUE = 'the second version'\n"})
    )
    assert second.version == layer.version + 1
    lm.register("greet", USES_GREETING, layers=[second.arn])  # the layers alone changed
    assert lm.invoke("greet").payload == "the second version"

    lm.delete("greet")
    lam = lm.client("lambda")
    assert lam.get_layer_version_by_arn(Arn=layer.arn)["LayerVersionArn"] == layer.arn  # layers stay, as on AWS


def test_a_missing_layer_is_awss_error_as_one_line(standin, aws_env, module_backend):
    lm.use_backend("aws", endpoint_url=standin, region=REGION, create_role=True, max_calls=20)
    missing = f"arn:aws:lambda:{REGION}:123456789012:layer:nope:7"
    with pytest.raises(lm.LambdaMagicError) as raised:
        lm.register("nolayer", HANDLER, layers=[missing])
    assert str(raised.value) == f"InvalidParameterValueException: Layer version {missing} does not exist."
    with pytest.raises(lm.LambdaMagicError) as raised:
        lm.publish_layer_version("greetings", _zip(GREETING), compatible_architectures=["sparc"])
    assert str(raised.value) == "InvalidParameterValueException: architecture 'sparc': x86_64 or arm64"
