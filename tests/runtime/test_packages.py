"""Functions made of many files: folders, zips, packages, data files, layers, and the
deterministic package of a cell (CodeSha256 as AWS computes it), in both isolations."""

from __future__ import annotations

import base64
import hashlib
import io
import os
import re
import sys
import zipfile

import pytest

from lambda_magic.common.errors import InvalidParameterValueException
from lambda_magic.runtime.layers import layer_store
from lambda_magic.runtime.package import UNZIPPED_MAX_BYTES, DeploymentPackage
from lambda_magic.runtime.sandbox import SHARED_TMP_LIMITATION, TASK_ROOT_NOTE

from .helpers import OK, code

ISOLATIONS = ["process", "inline"]

APP = code(
    """
    import os
    from pkg import helper
    from pkg.sub import deep

    HERE = os.path.dirname(__file__)

    def handler(event, context):
        return {
            "helper": helper.VALUE,
            "deep": deep.name(),
            "by_file": open(os.path.join(HERE, "data", "greeting.txt")).read(),
            "by_cwd": open("data/greeting.txt").read(),
            "by_task_root": open(os.path.join(os.environ["LAMBDA_TASK_ROOT"], "data", "greeting.txt")).read(),
            "file": __file__,
            "cwd": os.getcwd(),
            "task_root": os.environ["LAMBDA_TASK_ROOT"],
        }
    """
)

FILES = {
    "app.py": APP,
    "pkg/__init__.py": "",
    "pkg/helper.py": "VALUE = 42\n",
    "pkg/sub/__init__.py": "",
    "pkg/sub/deep.py": "def name():\n    return __name__\n",
    "data/greeting.txt": "hello from the package",
}


def make_zip(files: dict[str, str | bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    """A zip as a user's tool would make it (entries in the given order, today's timestamps)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def write_folder(root, files: dict[str, str | bytes]) -> None:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content.encode() if isinstance(content, str) else content)


def b64sha(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def mounted(invocation) -> bool:
    """Whether the environment could mount the code at /var/task (a mount namespace)."""
    return invocation.isolation == "process" and not any(TASK_ROOT_NOTE in note for note in invocation.limitations)


def assert_package_answer(invocation) -> None:
    assert invocation.error is None, invocation.payload
    body = invocation.payload
    assert body["helper"] == 42
    assert body["deep"] == "pkg.sub.deep"
    assert body["by_file"] == body["by_cwd"] == body["by_task_root"] == "hello from the package"
    assert body["cwd"] == body["task_root"]
    assert body["file"] == os.path.join(body["task_root"], "app.py")
    if mounted(invocation):
        assert body["task_root"] == "/var/task"
    else:
        assert body["task_root"] != "/var/task" and os.path.isdir(body["task_root"])


# --- where the code comes from -------------------------------------------------------------------


@pytest.mark.parametrize("isolation", ISOLATIONS)
def test_zip_bytes_with_packages_and_data_files(account, isolation):
    function = account.register("fn", zip_file=make_zip(FILES), handler="app.handler", isolation=isolation)
    assert function.config.handler_setting == "app.handler"
    assert function.warnings == ()
    assert_package_answer(account.invoke("fn"))


@pytest.mark.parametrize("isolation", ISOLATIONS)
def test_folder(account, tmp_path, isolation):
    write_folder(tmp_path / "src", FILES)
    account.register("fn", path=tmp_path / "src", handler="app.handler", isolation=isolation)
    assert_package_answer(account.invoke("fn"))


@pytest.mark.parametrize("isolation", ISOLATIONS)
def test_zip_file_path(account, tmp_path, isolation):
    data = make_zip(FILES)
    (tmp_path / "function.zip").write_bytes(data)
    function = account.register("fn", path=str(tmp_path / "function.zip"), handler="app.handler", isolation=isolation)
    assert function.code_sha256 == b64sha(data)
    assert_package_answer(account.invoke("fn"))


@pytest.mark.parametrize("handler", ["pkg.sub.deep.handler", "pkg/sub/deep.handler"])
@pytest.mark.parametrize("isolation", ISOLATIONS)
def test_handler_in_a_nested_package(account, isolation, handler):
    files = {
        "pkg/__init__.py": "",
        "pkg/sub/__init__.py": "",
        "pkg/sub/deep.py": "def handler(event, context):\n    return [__name__, event]\n",
    }
    account.register("fn", zip_file=make_zip(files), handler=handler, isolation=isolation)
    assert account.invoke("fn", {"n": 1}).payload == ["pkg.sub.deep", {"n": 1}]


@pytest.mark.parametrize("isolation", ISOLATIONS)
def test_a_cell_with_extra_files_imports_them(account, isolation):
    cell = "import utils\ndef lambda_handler(event, context):\n    return utils.double(event)\n"
    function = account.register(
        "fn", cell, files={"utils.py": "def double(x):\n    return 2 * x\n"}, isolation=isolation
    )
    assert account.invoke("fn", 21).payload == 42
    with zipfile.ZipFile(io.BytesIO(function.deployment_package.zip_file)) as archive:
        assert archive.namelist() == ["lambda_function.py", "utils.py"]


def test_an_inline_package_module_named_like_a_kernel_module_is_its_own(account, monkeypatch):
    """The kernel holds a ``tools`` package (and ``tools.sub``): the function's own ``tools`` is what
    its code imports, and the kernel's modules are back, untouched, after each invocation."""
    kernel_tools, kernel_sub = type(sys)("tools"), type(sys)("tools.sub")
    kernel_tools.WHO = kernel_sub.WHO = "kernel"
    monkeypatch.setitem(sys.modules, "tools", kernel_tools)
    monkeypatch.setitem(sys.modules, "tools.sub", kernel_sub)
    cell = "import tools.sub\ndef lambda_handler(event, context):\n    return [tools.WHO, tools.sub.WHO]\n"
    files = {"tools/__init__.py": "WHO = 'function'\n", "tools/sub.py": "WHO = 'function sub'\n"}
    account.register("fn", cell, files=files, isolation="inline")
    for _ in range(2):  # the first (cold) and a warm invocation
        assert account.invoke("fn").payload == ["function", "function sub"]
        assert sys.modules["tools"] is kernel_tools and sys.modules["tools.sub"] is kernel_sub


def test_a_cell_handler_may_name_an_extra_module(account):
    function = account.register(
        "fn", "", files={"utils.py": "def run(e, c):\n    return 'utils'\n"}, handler="utils.run"
    )
    assert function.config.handler_setting == "utils.run"
    assert account.invoke("fn").payload == "utils"


def test_the_account_register_signature_the_api_uses(account):
    function = account.register(
        "fn",
        zip_file=make_zip({"m.py": "def h(e, c):\n    return 'm'\n"}),
        handler="m.h",
        memory_mb=256,
        timeout_s=10,
        env={"STAGE": "dev"},
        description="from a zip",
    )
    assert (function.config.memory_mb, function.config.timeout_s, function.config.description) == (
        256,
        10,
        "from a zip",
    )
    assert function.code == "def h(e, c):\n    return 'm'\n"  # the handler module's source, when the zip holds it
    assert account.invoke("fn").payload == "m"


# --- /var/task ---------------------------------------------------------------------------------------


def test_process_environment_mounts_the_code_read_only_at_var_task(account):
    existed = os.path.exists("/var/task")
    source = code(
        """
        import os
        def lambda_handler(event, context):
            try:
                open("/var/task/new.txt", "w").close()
                wrote = True
            except OSError:
                wrote = False
            return [__file__, os.getcwd(), os.environ["LAMBDA_TASK_ROOT"], sorted(os.listdir("/var/task")), wrote]
        """
    )
    account.register("fn", source)
    invocation = account.invoke("fn")
    if not mounted(invocation):
        pytest.skip("this machine allows no mount namespace: the code runs from its real folder")
    assert invocation.payload == [
        "/var/task/lambda_function.py",
        "/var/task",
        "/var/task",
        ["lambda_function.py"],
        False,
    ]
    assert os.path.exists("/var/task") == existed  # the machine's /var is never changed


def test_without_a_mount_the_invocation_says_where_the_code_is(account):
    account.register(
        "fn", "import os\ndef lambda_handler(e, c):\n    return os.environ['LAMBDA_TASK_ROOT']\n", isolation="inline"
    )
    invocation = account.invoke("fn")
    assert any("LAMBDA_TASK_ROOT names the real folder" in note for note in invocation.limitations)
    assert os.path.isfile(os.path.join(invocation.payload, "lambda_function.py"))
    assert "LAMBDA_TASK_ROOT names its real folder" in SHARED_TMP_LIMITATION


def test_error_stack_traces_name_var_task_in_both_isolations(account):
    files = {
        "app.py": "from lib import boom\ndef handler(e, c):\n    return boom()\n",
        "lib.py": "def boom():\n    raise ValueError('no')\n",
    }
    for isolation in ISOLATIONS:
        account.register(f"fn-{isolation}", zip_file=make_zip(files), handler="app.handler", isolation=isolation)
        stack = account.invoke(f"fn-{isolation}").payload["stackTrace"]
        assert stack[0].startswith('  File "/var/task/app.py", line 3, in handler')
        assert stack[1].startswith('  File "/var/task/lib.py", line 2, in boom')


# --- the deterministic package and CodeSha256 ----------------------------------------------------------


def test_a_cells_package_is_deterministic_and_hashed_as_aws_does(account):
    first = account.register("fn", OK, files={"b.py": "B = 1\n", "a/x.txt": b"\x00\x01"})
    again = account.register("fn", OK, files={"a/x.txt": b"\x00\x01", "b.py": "B = 1\n"})
    data = first.deployment_package.zip_file
    assert again.deployment_package.zip_file == data
    assert first.code_sha256 == again.code_sha256 == b64sha(data)
    assert first.code_size == len(data)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        infos = archive.infolist()
    assert [info.filename for info in infos] == ["a/x.txt", "b.py", "lambda_function.py"]
    assert {info.date_time for info in infos} == {(1980, 1, 1, 0, 0, 0)}
    assert {info.external_attr >> 16 for info in infos} == {0o100644}
    assert DeploymentPackage.from_cell(OK).zip_file == DeploymentPackage.from_cell(OK).zip_file
    assert account.register("fn", OK + "# changed\n").code_sha256 != first.code_sha256


def test_lm_package_and_the_functions_frame_show_the_same_hash():
    import lambda_magic as lm
    from lambda_magic.display.frames import functions_frame

    lm.reset()
    try:
        function = lm.register("fn-frame", OK)
        data = lm.package("fn-frame")
        assert data == function.deployment_package.zip_file
        row = functions_frame(lm.account().list_functions()).set_index("name").loc["fn-frame"]
        assert row["code_sha256"] == b64sha(data) == function.code_sha256
        assert row["code_size"] == len(data)
    finally:
        lm.reset()


def test_a_folder_zips_the_same_whatever_the_timestamps(account, tmp_path):
    write_folder(tmp_path / "src", FILES)
    first = DeploymentPackage.from_path(tmp_path / "src").zip_file
    for index, path in enumerate(sorted((tmp_path / "src").rglob("*"))):
        os.utime(path, (1_000_000 + index, 2_000_000 + index))
    (tmp_path / "src" / "__pycache__").mkdir()
    (tmp_path / "src" / "__pycache__" / "app.cpython-311.pyc").write_bytes(b"junk")
    assert DeploymentPackage.from_path(tmp_path / "src").zip_file == first


def test_a_users_zip_is_hashed_byte_for_byte(account):
    data = make_zip({"z.py": "def h(e, c):\n    return 1\n", "a.txt": "a"}, zipfile.ZIP_STORED)
    function = account.register("fn", zip_file=data, handler="z.h")
    assert function.deployment_package.zip_file == data
    assert function.code_sha256 == b64sha(data)
    assert function.code_size == len(data)


def test_publish_version_sees_a_change_in_any_file(account):
    account.register(
        "fn",
        zip_file=make_zip({"m.py": "def h(e, c):\n    return open('d.txt').read()\n", "d.txt": "1"}),
        handler="m.h",
    )
    assert account.publish_version("fn").version == "1"
    account.register(
        "fn",
        zip_file=make_zip({"m.py": "def h(e, c):\n    return open('d.txt').read()\n", "d.txt": "2"}),
        handler="m.h",
    )
    assert account.publish_version("fn").version == "2"
    assert account.invoke("fn", qualifier="1").payload == "1"
    assert account.invoke("fn", qualifier="2").payload == "2"


# --- layers ------------------------------------------------------------------------------------------------

LAYER = {
    "python/shared.py": "WHERE = 'layer python/'\n",
    f"python/lib/python{sys.version_info.major}.{sys.version_info.minor}/site-packages/vendored.py": (
        "WHERE = 'site-packages'\n"
    ),
    "python/both.py": "WHERE = 'layer'\n",
}
USES_LAYER = code(
    """
    import os, sys
    import both, shared, vendored

    def lambda_handler(event, context):
        return [shared.WHERE, vendored.WHERE, both.WHERE, shared.__file__, os.environ["LAMBDA_TASK_ROOT"]]
    """
)


def test_publish_layer_version_numbers_and_arns(account):
    store = layer_store(account)
    first = store.publish("deps", make_zip(LAYER), description="d")
    second = store.publish("deps", make_zip(LAYER))
    assert first.arn == "arn:aws:lambda:us-east-1:123456789012:layer:deps:1"
    assert second.arn == "arn:aws:lambda:us-east-1:123456789012:layer:deps:2"
    assert first.code_sha256 == b64sha(first.package.zip_file) and first.code_size == len(first.package.zip_file)
    assert [v.version for v in store.versions("deps")] == [2, 1]
    assert store.get(first.arn) is first


@pytest.mark.parametrize("isolation", ISOLATIONS)
def test_a_functions_layers_are_importable_after_its_own_code(account, isolation):
    layer = layer_store(account).publish("deps", make_zip(LAYER))
    function = account.register(
        "fn", USES_LAYER, files={"both.py": "WHERE = 'function'\n"}, layers=[layer.arn], isolation=isolation
    )
    assert function.config.layers == (layer.arn,)
    invocation = account.invoke("fn")
    assert invocation.error is None, invocation.payload
    where, vendored, both, shared_file, _ = invocation.payload
    assert (where, vendored, both) == ("layer python/", "site-packages", "function")
    if mounted(invocation):
        assert shared_file == "/opt/python/shared.py"
    else:
        assert shared_file.endswith("/python/shared.py") and os.path.isfile(shared_file)


def test_later_layers_files_win(account):
    store = layer_store(account)
    one = store.publish("one", make_zip({"python/which.py": "N = 1\n"}))
    two = store.publish("two", make_zip({"python/which.py": "N = 2\n"}))
    account.register("fn", "import which\ndef lambda_handler(e, c):\n    return which.N\n", layers=[one.arn, two.arn])
    assert account.invoke("fn").payload == 2


def test_layer_errors(account):
    store = layer_store(account)
    with pytest.raises(
        InvalidParameterValueException,
        match=re.escape("Layer version arn:aws:lambda:us-east-1:123456789012:layer:nope:1 does not exist."),
    ):
        account.register("fn", OK, layers=["arn:aws:lambda:us-east-1:123456789012:layer:nope:1"])
    with pytest.raises(InvalidParameterValueException, match="layer version ARN"):
        account.register("fn", OK, layers=["deps"])
    with pytest.raises(InvalidParameterValueException, match="Could not unzip uploaded file"):
        store.publish("deps", b"not a zip")
    layer = store.publish("deps", make_zip(LAYER))
    with pytest.raises(InvalidParameterValueException, match="at most 5 layers"):
        account.register("fn", OK, layers=[layer.arn] * 6)
    assert account.list_functions() == []


# --- validation and errors -----------------------------------------------------------------------------------


def test_a_zip_that_is_not_a_zip_is_refused_with_awss_message(account):
    for data in (b"PK\x03\x04 not really", b"", OK.encode()):
        with pytest.raises(InvalidParameterValueException) as caught:
            account.register("fn", zip_file=data, handler="app.handler")
        assert str(caught.value) == "Could not unzip uploaded file. Please check your file, then try to upload again."
    assert account.list_functions() == []


def big_zip(size: int) -> bytes:
    """A small zip whose content unzips to ``size`` bytes of zeros."""
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive,
        archive.open("big.bin", "w", force_zip64=True) as entry,
    ):
        chunk = bytes(1 << 22)
        left = size
        while left:
            entry.write(chunk[: min(left, len(chunk))])
            left -= min(left, len(chunk))
    return buffer.getvalue()


def test_unzipped_size_over_250_mb_is_refused(account):
    with pytest.raises(InvalidParameterValueException) as caught:
        account.register("fn", zip_file=big_zip(UNZIPPED_MAX_BYTES + 1), handler="app.handler")
    assert str(caught.value) == "Unzipped size must be smaller than 262144000 bytes"
    assert account.list_functions() == []


def test_code_and_layers_together_over_250_mb_are_refused(account):
    layer = layer_store(account).publish("big", big_zip(UNZIPPED_MAX_BYTES - 10))
    with pytest.raises(InvalidParameterValueException) as caught:
        account.register("fn", zip_file=make_zip({"app.py": "x" * 100}), handler="app.handler", layers=[layer.arn])
    assert str(caught.value).startswith(
        "Function code combined with layers exceeds the maximum allowed size of 262144000 bytes. The actual size is "
    )


@pytest.mark.parametrize("isolation", ISOLATIONS)
def test_a_handler_module_missing_from_the_package_fails_at_invoke(account, isolation):
    function = account.register("fn", zip_file=make_zip({"other.py": ""}), handler="app.handler", isolation=isolation)
    assert [w.error_type for w in function.warnings] == ["Runtime.ImportModuleError"]
    body = account.invoke("fn").payload
    assert body["errorType"] == "Runtime.ImportModuleError"
    assert body["errorMessage"] == "Unable to import module 'app': No module named 'app'"


@pytest.mark.parametrize("isolation", ISOLATIONS)
def test_syntax_error_and_missing_handler_name_the_module(account, isolation):
    account.register(
        "bad",
        zip_file=make_zip({"app.py": "def handler(e, c)\n    pass\n"}),
        handler="app.handler",
        isolation=isolation,
    )
    body = account.invoke("bad").payload
    assert body["errorType"] == "Runtime.UserCodeSyntaxError"
    assert body["errorMessage"].startswith("Syntax error in module 'app': ")
    assert body["stackTrace"][0].strip() == 'File "/var/task/app.py" Line 1'
    function = account.register(
        "none", zip_file=make_zip({"app.py": "x = 1\n"}), handler="app.handler", isolation=isolation
    )
    assert [w.error_type for w in function.warnings] == ["Runtime.HandlerNotFound"]
    body = account.invoke("none").payload
    assert (body["errorType"], body["errorMessage"]) == (
        "Runtime.HandlerNotFound",
        "Handler 'handler' missing on module 'app'",
    )


def test_code_is_given_one_way(account, tmp_path):
    with pytest.raises(InvalidParameterValueException, match="one way"):
        account.register("fn", OK, zip_file=make_zip(FILES))
    with pytest.raises(InvalidParameterValueException, match="one way"):
        account.register("fn")
    with pytest.raises(InvalidParameterValueException, match=r"neither a folder nor a \.zip"):
        account.register("fn", path=tmp_path / "missing", handler="app.handler")
    with pytest.raises(InvalidParameterValueException, match=r"bytes of a \.zip"):
        account.register("fn", zip_file="PK...", handler="app.handler")
    with pytest.raises(InvalidParameterValueException, match="lambda_function"):
        account.register("fn", OK, handler="app.handler")  # a cell without that module
    assert account.list_functions() == []


# --- inline isolation: the kernel's path and modules are left as they were ------------------------------------


def test_inline_puts_the_package_on_sys_path_only_for_the_call_and_keeps_modules_apart(account):
    import types

    kernel_module = types.ModuleType("util")
    kernel_module.WHO = "kernel"
    saved = sys.modules.get("util")
    sys.modules["util"] = kernel_module
    path_before, cwd_before = list(sys.path), os.getcwd()
    try:
        cell = "import util\ndef lambda_handler(e, c):\n    return util.WHO\n"
        account.register("a", cell, files={"util.py": "WHO = 'a'\n"}, isolation="inline")
        account.register("b", cell, files={"util.py": "WHO = 'b'\n"}, isolation="inline")
        assert [account.invoke(name).payload for name in ("a", "b", "a", "b")] == ["a", "b", "a", "b"]
        assert sys.modules["util"] is kernel_module
        assert "lambda_function" not in sys.modules
        assert sys.path == path_before and os.getcwd() == cwd_before
    finally:
        if saved is None:
            sys.modules.pop("util", None)
        else:
            sys.modules["util"] = saved
