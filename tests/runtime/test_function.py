"""A function's identity (ARN, CodeSha256, size), updates, deletion and reset."""

from __future__ import annotations

import base64
import hashlib
import io
import threading
import zipfile

import pytest

from lambda_magic.runtime import (
    AccountSettings,
    InvalidParameterValueException,
    LocalAccount,
    ResourceNotFoundException,
)

from .helpers import OK, code, wait_until

GLOBALS = code(
    """
    STATE = {"calls": 0}

    def lambda_handler(event, context):
        STATE["calls"] += 1
        if event.get("set"):
            globals()["LEFT_BEHIND"] = event["set"]
        return {"calls": STATE["calls"], "left": globals().get("LEFT_BEHIND"), "version": "v1"}
    """
)

GLOBALS_V2 = code(
    """
    def lambda_handler(event, context):
        return {"left": globals().get("LEFT_BEHIND"), "state": "STATE" in globals(), "version": "v2"}
    """
)


def test_arn_and_identity(account):
    function = account.register("my-function", OK)
    assert function.arn == "arn:aws:lambda:us-east-1:123456789012:function:my-function"
    assert function.qualified_arn("$LATEST") == "arn:aws:lambda:us-east-1:123456789012:function:my-function:$LATEST"
    assert function.version == "$LATEST"
    assert function.log_group_name == "/aws/lambda/my-function"
    assert function.last_modified.tzinfo is not None


def test_region_and_account_are_configurable():
    account = LocalAccount(AccountSettings(region="eu-west-1", account_id="111122223333"))
    try:
        function = account.register(
            "fn",
            code(
                """
            import os
            def lambda_handler(event, context):
                return [context.invoked_function_arn, os.environ["AWS_REGION"], os.environ["AWS_DEFAULT_REGION"]]
            """
            ),
        )
        arn = "arn:aws:lambda:eu-west-1:111122223333:function:fn"
        assert function.arn == arn
        assert account.invoke("fn").payload == [arn, "eu-west-1", "eu-west-1"]
        assert "arn:aws:lambda:eu-west-1::runtime:" in account.invocation_records()[0].init_log_lines[0]
    finally:
        account.shutdown()


@pytest.mark.parametrize("source", [OK, "x = 'é ✓ 😀'\n" + OK, ""])
def test_code_sha256_and_size_are_of_the_package_zip(account, source):
    function = account.register("fn", source)
    data = account.register("fn", source).deployment_package.zip_file  # the same cell: the same bytes
    assert function.deployment_package.zip_file == data
    assert function.code_sha256 == base64.b64encode(hashlib.sha256(data).digest()).decode()
    assert function.code_size == len(data)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.namelist() == ["lambda_function.py"]
        assert archive.read("lambda_function.py") == source.encode("utf-8")


def test_code_sha256_changes_with_the_code(account):
    first = account.register("fn", OK).code_sha256
    assert account.register("fn", OK + "\n# changed\n").code_sha256 != first


def test_re_register_makes_the_next_invoke_cold_and_forgets_old_globals(account):
    account.register("fn", GLOBALS)
    first = account.invoke("fn", {"set": "from-v1"})
    warm = account.invoke("fn")
    assert first.cold_start and not warm.cold_start
    assert warm.payload == {"calls": 2, "left": "from-v1", "version": "v1"}

    account.register("fn", GLOBALS_V2)
    after = account.invoke("fn")
    assert after.cold_start is True
    assert after.init_duration_ms is not None
    assert after.payload == {"left": None, "state": False, "version": "v2"}
    assert after.log_stream != warm.log_stream


def test_re_register_with_only_a_config_change_is_cold_too(account):
    account.register("fn", GLOBALS)
    account.invoke("fn", {"set": "x"})
    account.register("fn", GLOBALS, memory_mb=256)
    after = account.invoke("fn")
    assert after.cold_start is True
    assert after.payload["calls"] == 1 and after.payload["left"] is None
    assert after.memory_size_mb == 256


def test_re_register_ends_the_old_environments(account):
    account.register("fn", OK)
    account.invoke("fn")
    [(old_env, state)] = account.environments()
    assert state == "idle"
    account.register("fn", GLOBALS_V2)
    assert old_env not in [env for env, _ in account.environments()]


def test_update_during_an_invocation_retires_the_busy_environment(account, shared):
    gate = shared / "gate"
    account.register(
        "fn",
        code(
            """
        import os, time
        def lambda_handler(event, context):
            while not os.path.exists(event["gate"]):
                time.sleep(0.01)
            return ["v1", os.getpid()]
        """
        ),
        timeout_s=30,
    )
    results = []
    worker = threading.Thread(target=lambda: results.append(account.invoke("fn", {"gate": str(gate)})))
    worker.start()
    assert wait_until(lambda: [state for _, state in account.environments()] == ["busy"], timeout=10)
    [(old_env, _)] = account.environments()
    account.register("fn", "import os\ndef lambda_handler(e, c):\n    return ['v2', os.getpid()]\n")
    gate.touch()
    worker.join(timeout=30)
    [first] = results
    assert first.payload[0] == "v1"  # the running invocation finished on the old code
    assert old_env.alive is False  # and its environment was not kept
    after = account.invoke("fn")
    assert after.cold_start is True
    assert after.payload[0] == "v2" and after.payload[1] != first.payload[1]


def test_revision_grows_with_each_update(account):
    first = account.register("fn", OK).revision
    assert account.register("fn", OK).revision > first


def test_invoke_by_full_and_partial_arn(account):
    function = account.register(
        "fn",
        code(
            """
        def lambda_handler(event, context):
            return context.invoked_function_arn
        """
        ),
    )
    assert account.invoke(function.arn).payload == function.arn
    assert account.invoke("123456789012:function:fn").payload == function.arn
    assert account.invoke(function.arn + ":$LATEST").payload == function.arn + ":$LATEST"
    assert account.invoke("fn:$LATEST").payload == function.arn + ":$LATEST"


def test_unknown_function_and_qualifier(account):
    with pytest.raises(ResourceNotFoundException) as caught:
        account.invoke("nope")
    assert caught.value.status_code == 404
    assert "nope" in str(caught.value)
    account.register("fn", OK)
    with pytest.raises(ResourceNotFoundException):
        account.invoke("fn", qualifier="1")
    with pytest.raises(ResourceNotFoundException):
        account.invoke("fn", qualifier="prod")
    assert account.invocation_records() == []


def test_list_functions_is_sorted(account):
    for name in ("b", "a", "c"):
        account.register(name, OK)
    assert [f.name for f in account.list_functions()] == ["a", "b", "c"]


def test_delete_function_keeps_its_logs_and_ends_its_environments(account):
    account.register("fn", OK)
    invocation = account.invoke("fn")
    [(env, _)] = account.environments()
    account.delete_function("fn")
    with pytest.raises(ResourceNotFoundException):
        account.invoke("fn")
    with pytest.raises(ResourceNotFoundException):
        account.delete_function("fn")
    assert account.environments() == []
    assert env.alive is False
    assert [e.message for e in account.log_events("fn")][-1] == invocation.report
    assert account.invocation_records("fn") == [invocation]


def test_delete_then_register_again_is_cold(account):
    account.register("fn", GLOBALS)
    account.invoke("fn", {"set": "x"})
    account.delete_function("fn")
    account.register("fn", GLOBALS)
    again = account.invoke("fn")
    assert again.cold_start and again.payload["left"] is None


def test_reset_forgets_everything(account):
    account.register("fn", OK)
    account.invoke("fn")
    account.reset()
    assert account.list_functions() == []
    assert account.invocation_records() == []
    assert account.log_events() == []
    assert account.environments() == []
    account.register("fn", OK)
    assert account.invoke("fn").cold_start is True


def test_bad_invocation_type_is_refused(account):
    account.register("fn", OK)
    with pytest.raises(InvalidParameterValueException, match="RequestResponse"):
        account.invoke("fn", invocation_type="Sync")


def test_function_repr_names_the_essentials(account):
    text = repr(account.register("fn", OK, memory_mb=256, timeout_s=7))
    for part in ("fn", "256 MB", "timeout 7 s", "arn:aws:lambda:us-east-1:123456789012:function:fn", "CodeSha256"):
        assert part in text
