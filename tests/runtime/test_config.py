"""Configuration is validated as Lambda's CreateFunction validates it (lambda-semantics §2.7, §10)."""

from __future__ import annotations

import sys

import pytest

from lambda_magic.runtime import (
    AccountSettings,
    InvalidParameterValueException,
    LambdaMagicError,
    LocalAccount,
    ResourceNotFoundException,
)
from lambda_magic.common import limits
from lambda_magic.runtime.config import FunctionConfig

from .helpers import OK, code

# --- invalid configurations: (keyword arguments, text the one-line message must contain) -------------------

INVALID = {
    "memory-below-128": ({"memory_mb": 127}, "128-10240"),
    "memory-zero": ({"memory_mb": 0}, "128-10240"),
    "memory-above-10240": ({"memory_mb": 10_241}, "128-10240"),
    "memory-float": ({"memory_mb": 256.0}, "memory"),
    "memory-str": ({"memory_mb": "256"}, "memory"),
    "memory-bool": ({"memory_mb": True}, "memory"),
    "timeout-zero": ({"timeout_s": 0}, "1-900"),
    "timeout-above-900": ({"timeout_s": 901}, "1-900"),
    "timeout-negative": ({"timeout_s": -3}, "1-900"),
    "timeout-float": ({"timeout_s": 1.5}, "timeout"),
    "env-over-4kb": ({"env": {"BIG": "x" * (4096 - 3 + 1)}}, "4 KB"),
    "env-over-4kb-many": ({"env": {f"K{i:03d}": "v" * 100 for i in range(40)}}, "4 KB"),
    "env-reserved-region": ({"env": {"AWS_REGION": "eu-west-1"}}, "AWS_REGION"),
    "env-reserved-handler": ({"env": {"_HANDLER": "x"}}, "_HANDLER"),
    "env-reserved-task-root": ({"env": {"LAMBDA_TASK_ROOT": "/tmp"}}, "LAMBDA_TASK_ROOT"),
    "env-reserved-secret": ({"env": {"AWS_SECRET_ACCESS_KEY": "s"}}, "AWS_SECRET_ACCESS_KEY"),
    "env-key-digit-first": ({"env": {"1ABC": "v"}}, "1ABC"),
    "env-key-dash": ({"env": {"MY-VAR": "v"}}, "MY-VAR"),
    "env-key-space": ({"env": {"MY VAR": "v"}}, "MY VAR"),
    "env-key-one-char": ({"env": {"A": "v"}}, "'A'"),
    "env-key-empty": ({"env": {"": "v"}}, "''"),
    "env-key-underscore-first": ({"env": {"_PRIVATE": "v"}}, "_PRIVATE"),
    "env-value-int": ({"env": {"COUNT": 3}}, "COUNT"),
    "handler-dash": ({"handler": "my-handler"}, "my-handler"),
    "handler-keyword": ({"handler": "class"}, "class"),
    "handler-digit-first": ({"handler": "1handler"}, "1handler"),
    "handler-empty": ({"handler": ""}, "handler"),
    "handler-other-module": ({"handler": "app.handler"}, "app.handler"),
    "handler-module-only": ({"handler": "lambda_function."}, "handler"),
    "runtime-python2": ({"runtime": "python2.7"}, "python2.7"),
    "runtime-python38": ({"runtime": "python3.8"}, "python3.8"),
    "runtime-node": ({"runtime": "nodejs20.x"}, "nodejs20.x"),
    "architecture-x86": ({"architecture": "x86"}, "x86"),
    "architecture-aarch64": ({"architecture": "aarch64"}, "aarch64"),
    "log-format-xml": ({"log_format": "XML"}, "XML"),
    "log-level-needs-json": ({"log_level": "INFO"}, "JSON"),
    "log-level-text-explicit": ({"log_format": "Text", "log_level": "ERROR"}, "JSON"),
    "log-level-unknown": ({"log_format": "JSON", "log_level": "LOUD"}, "LOUD"),
    "description-too-long": ({"description": "d" * 257}, "256"),
    "isolation-unknown": ({"isolation": "docker"}, "docker"),
}


@pytest.mark.parametrize("kwargs, named", INVALID.values(), ids=list(INVALID))
def test_invalid_configuration_is_refused_with_one_line_message_and_nothing_registered(account, kwargs, named):
    with pytest.raises(InvalidParameterValueException) as caught:
        account.register("fn", OK, **kwargs)
    message = str(caught.value)
    assert "\n" not in message
    assert named in message
    assert caught.value.status_code == 400
    assert account.list_functions() == []
    with pytest.raises(ResourceNotFoundException):
        account.get_function("fn")
    with pytest.raises(ResourceNotFoundException):
        account.invoke("fn")


@pytest.mark.parametrize("kwargs, named", INVALID.values(), ids=list(INVALID))
def test_failed_update_leaves_the_old_version_running_and_warm(account, kwargs, named):
    account.register(
        "fn",
        code("COUNT = [0]\ndef lambda_handler(e, c):\n    COUNT[0] += 1\n    return ['v1', COUNT[0]]\n"),
        memory_mb=256,
        timeout_s=5,
    )
    before = account.get_function("fn")
    assert account.invoke("fn").payload == ["v1", 1]
    with pytest.raises(InvalidParameterValueException):
        account.register("fn", "def lambda_handler(e, c):\n    return 'v2'\n", **kwargs)
    after = account.get_function("fn")
    assert after is before
    assert after.config.memory_mb == 256 and after.config.timeout_s == 5
    second = account.invoke("fn")
    assert second.payload == ["v1", 2]
    assert second.cold_start is False


def test_limits_are_those_of_lambda():
    assert (limits.MEMORY_MIN_MB, limits.MEMORY_MAX_MB, limits.MEMORY_DEFAULT_MB) == (128, 10_240, 128)
    assert (limits.TIMEOUT_MIN_S, limits.TIMEOUT_MAX_S, limits.TIMEOUT_DEFAULT_S) == (1, 900, 3)
    assert limits.ENVIRONMENT_MAX_BYTES == 4096
    assert limits.SYNC_PAYLOAD_MAX_BYTES == 6_291_456
    assert limits.ASYNC_PAYLOAD_MAX_BYTES == 1_048_576


@pytest.mark.parametrize("memory_mb", [128, 129, 1769, 10_240])
def test_memory_within_range_is_accepted(account, memory_mb):
    function = account.register("fn", OK, memory_mb=memory_mb)
    assert function.config.memory_mb == memory_mb


@pytest.mark.parametrize("timeout_s", [1, 900])
def test_timeout_bounds_are_accepted(account, timeout_s):
    assert account.register("fn", OK, timeout_s=timeout_s).config.timeout_s == timeout_s


def test_environment_of_exactly_4_kb_is_accepted_one_more_byte_is_not(account):
    key = "BIG"
    exact = {key: "x" * (4096 - len(key))}
    account.register("fn", OK, env=exact)
    assert account.get_function("fn").config.env == exact
    with pytest.raises(InvalidParameterValueException, match="4 KB"):
        account.register("fn", OK, env={key: "x" * (4096 - len(key) + 1)})


def test_environment_size_counts_utf8_bytes(account):
    # 2,045 "é" are 4,090 bytes: with the key the total passes 4 KB although it is 2,052 characters.
    with pytest.raises(InvalidParameterValueException, match="4 KB"):
        account.register("fn", OK, env={"ACCENTS": "é" * 2045})


@pytest.mark.parametrize("name", sorted(limits.RESERVED_ENVIRONMENT_VARIABLES))
def test_every_reserved_variable_is_refused(account, name):
    with pytest.raises(InvalidParameterValueException) as caught:
        account.register("fn", OK, env={name: "value"})
    assert name in str(caught.value)
    if not name.startswith("_"):  # "_X" names also break the key rule, which may be reported first
        assert "reserved" in str(caught.value)
    assert account.list_functions() == []


def test_lambda_reserved_set_is_complete():
    for name in (
        "_HANDLER",
        "_X_AMZN_TRACE_ID",
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
        "AWS_EXECUTION_ENV",
        "AWS_LAMBDA_FUNCTION_NAME",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
        "AWS_LAMBDA_FUNCTION_VERSION",
        "AWS_LAMBDA_INITIALIZATION_TYPE",
        "AWS_LAMBDA_LOG_GROUP_NAME",
        "AWS_LAMBDA_LOG_STREAM_NAME",
        "AWS_ACCESS_KEY",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_LAMBDA_RUNTIME_API",
        "LAMBDA_TASK_ROOT",
        "LAMBDA_RUNTIME_DIR",
    ):
        assert name in limits.RESERVED_ENVIRONMENT_VARIABLES


@pytest.mark.parametrize("key", ["AB", "My_Var2", "lower_case", "X1"])
def test_valid_environment_keys_are_accepted(account, key):
    assert account.register("fn", OK, env={key: "v"}).config.env == {key: "v"}


@pytest.mark.parametrize(
    "handler, setting",
    [
        ("main", "lambda_function.main"),
        ("lambda_function.main", "lambda_function.main"),
        ("_private", "lambda_function._private"),
    ],
)
def test_handler_may_be_bare_or_qualified_with_the_module(account, handler, setting):
    source = "def main(e, c):\n    return 'main'\ndef _private(e, c):\n    return 'private'\n"
    function = account.register("fn", source, handler=handler)
    assert function.config.handler_setting == setting
    assert account.invoke("fn").payload == setting.rpartition(".")[2].lstrip("_")


@pytest.mark.parametrize("runtime", limits.PYTHON_RUNTIMES)
def test_python_runtimes_are_accepted(account, runtime):
    assert account.register("fn", OK, runtime=runtime).config.runtime == runtime


def test_defaults_are_lambdas(account):
    config = account.register("fn", OK).config
    assert config.memory_mb == 128
    assert config.timeout_s == 3
    assert config.architecture == "x86_64"
    assert config.log_format == "Text"
    assert config.log_level is None
    assert config.handler_setting == "lambda_function.lambda_handler"
    assert config.runtime == f"python{sys.version_info.major}.{sys.version_info.minor}"
    assert config.env == {}


def test_log_level_is_normalised_to_upper_case_with_json(account):
    assert account.register("fn", OK, log_format="JSON", log_level="warn").config.log_level == "WARN"


@pytest.mark.parametrize("name", ["", "has space", "a" * 65, "a:b", "näme", "a/b", "a.b"])
def test_invalid_function_names_are_refused(account, name):
    with pytest.raises(InvalidParameterValueException) as caught:
        account.register(name, OK)
    assert "\n" not in str(caught.value)
    assert account.list_functions() == []


@pytest.mark.parametrize("name", ["a", "A-b_9", "x" * 64])
def test_valid_function_names_are_accepted(account, name):
    assert account.register(name, OK).name == name


def test_code_must_be_source_text(account):
    with pytest.raises(InvalidParameterValueException):
        account.register("fn", b"def lambda_handler(e, c): pass\n")
    assert account.list_functions() == []


def test_configuration_errors_are_lambda_magic_errors(account):
    with pytest.raises(LambdaMagicError):
        account.register("fn", OK, memory_mb=1)


def test_function_config_validates_on_construction():
    with pytest.raises(InvalidParameterValueException, match="1-900"):
        FunctionConfig(timeout_s=1000)
    assert FunctionConfig().memory_mb == 128


def test_env_mapping_is_copied_not_shared(account):
    env = {"ONE": "1"}
    account.register("fn", OK, env=env)
    env["TWO"] = "2"
    assert account.get_function("fn").config.env == {"ONE": "1"}


# --- account settings ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "changes, named",
    [
        ({"region": "moon"}, "moon"),
        ({"region": "US-EAST-1"}, "US-EAST-1"),
        ({"account_id": "123"}, "123"),
        ({"account_id": "12345678901a"}, "12345678901a"),
        ({"idle_timeout_s": 0}, "idle"),
        ({"isolation": "vm"}, "vm"),
    ],
)
def test_bad_account_settings_are_refused(changes, named):
    with pytest.raises(InvalidParameterValueException, match=named):
        LocalAccount(AccountSettings(**changes))


def test_configure_refuses_bad_values_and_keeps_the_old_ones(account):
    with pytest.raises(InvalidParameterValueException):
        account.configure(region="moon", memory_mb=512)
    assert account.settings.region == "us-east-1"
    assert account.settings.memory_mb == 128


def test_configure_changes_defaults_for_new_functions(account):
    account.configure(memory_mb=512, timeout_s=10)
    config = account.register("fn", OK).config
    assert (config.memory_mb, config.timeout_s) == (512, 10)
    assert account.register("fn2", OK, memory_mb=256).config.memory_mb == 256


def test_account_default_memory_is_still_validated(account):
    with pytest.raises(InvalidParameterValueException, match="128-10240"):
        account.configure(memory_mb=64)
        account.register("fn", OK)
    assert account.list_functions() == []
