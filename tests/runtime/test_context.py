"""The context object has the Python runtime's attributes and types (lambda-semantics §1)."""

from __future__ import annotations

import re

import pytest

from lambda_magic.runtime import InvalidParameterValueException

from .helpers import LOG_STREAM, UUID, code

DESCRIBE = code(
    """
    import time

    def describe(value):
        return {"type": type(value).__name__, "value": value if isinstance(value, (str, int, type(None))) else None}

    def lambda_handler(event, context):
        names = ["function_name", "function_version", "invoked_function_arn", "memory_limit_in_mb",
                 "aws_request_id", "log_group_name", "log_stream_name"]
        out = {name: describe(getattr(context, name)) for name in names}
        identity = context.identity
        out["identity"] = {
            "type": type(identity).__name__,
            "id": identity.cognito_identity_id,
            "pool": identity.cognito_identity_pool_id,
        }
        out["client_context"] = None if context.client_context is None else type(context.client_context).__name__
        first = context.get_remaining_time_in_millis()
        time.sleep(0.05)
        second = context.get_remaining_time_in_millis()
        out["remaining"] = [first, second, type(first).__name__]
        out["context_id"] = id(context)
        return out
    """
)

CLIENT_CONTEXT = code(
    """
    def lambda_handler(event, context):
        cc = context.client_context
        if cc is None:
            return None
        client = cc.client
        return {
            "type": type(cc).__name__,
            "custom": cc.custom,
            "env": cc.env,
            "client": None if client is None else {
                name: getattr(client, name)
                for name in ("installation_id", "app_title", "app_version_name", "app_version_code", "app_package_name")
            },
        }
    """
)


def test_context_attributes_and_types(account):
    account.register("ctx-fn", DESCRIBE, memory_mb=256, timeout_s=2)
    invocation = account.invoke("ctx-fn")
    assert invocation.status == "success", invocation.payload
    out = invocation.payload
    assert out["function_name"] == {"type": "str", "value": "ctx-fn"}
    assert out["function_version"] == {"type": "str", "value": "$LATEST"}
    assert out["invoked_function_arn"] == {
        "type": "str",
        "value": "arn:aws:lambda:us-east-1:123456789012:function:ctx-fn",
    }
    assert out["memory_limit_in_mb"] == {"type": "str", "value": "256"}
    assert out["aws_request_id"] == {"type": "str", "value": invocation.request_id}
    assert re.fullmatch(UUID, invocation.request_id)
    assert out["log_group_name"] == {"type": "str", "value": "/aws/lambda/ctx-fn"}
    assert out["log_stream_name"]["type"] == "str"
    assert LOG_STREAM.match(out["log_stream_name"]["value"])
    assert out["log_stream_name"]["value"] == invocation.log_stream
    assert out["identity"] == {"type": "CognitoIdentity", "id": None, "pool": None}
    assert out["client_context"] is None


def test_remaining_time_counts_down_and_is_within_the_timeout(account):
    account.register("fn", DESCRIBE, timeout_s=2)
    first, second, kind = account.invoke("fn").payload["remaining"]
    assert kind == "int"
    assert 0 < first <= 2000
    assert second < first


def test_remaining_time_is_zero_past_the_deadline():
    from lambda_magic.runtime.context import LambdaContext

    context = LambdaContext("id", None, None, 0, "arn")
    assert context.get_remaining_time_in_millis() == 0


def test_request_id_is_fresh_per_invocation_and_matches_the_invocation(account):
    account.register("fn", code("def lambda_handler(e, c):\n    return c.aws_request_id\n"))
    invocations = [account.invoke("fn") for _ in range(3)]
    ids = [i.payload for i in invocations]
    assert ids == [i.request_id for i in invocations]
    assert len(set(ids)) == 3


def test_log_stream_is_stable_across_warm_invocations_and_new_for_a_new_environment(account):
    account.register("fn", code("def lambda_handler(e, c):\n    return c.log_stream_name\n"), timeout_s=1)
    first, second = account.invoke("fn"), account.invoke("fn")
    assert first.cold_start and not second.cold_start
    assert first.payload == second.payload == first.log_stream == second.log_stream
    account.register("fn", code("def lambda_handler(e, c):\n    return c.log_stream_name\n"), timeout_s=2)
    third = account.invoke("fn")
    assert LOG_STREAM.match(third.payload)
    assert third.payload != first.payload


def test_invoked_function_arn_is_qualified_only_when_the_caller_qualified(account):
    account.register("fn", code("def lambda_handler(e, c):\n    return [c.invoked_function_arn, c.function_version]\n"))
    arn = "arn:aws:lambda:us-east-1:123456789012:function:fn"
    assert account.invoke("fn").payload == [arn, "$LATEST"]
    assert account.invoke("fn", qualifier="$LATEST").payload == [arn + ":$LATEST", "$LATEST"]


def test_client_context_is_none_unless_passed(account):
    account.register("fn", CLIENT_CONTEXT)
    assert account.invoke("fn").payload is None


def test_client_context_client_custom_env(account):
    account.register("fn", CLIENT_CONTEXT)
    passed = {
        "client": {
            "installation_id": "inst-1",
            "app_title": "Demo",
            "app_version_name": "1.0",
            "app_version_code": "1",
            "app_package_name": "com.example",
        },
        "custom": {"user": "alice", "n": 3},
        "env": {"platform": "Android", "locale": "en_GB"},
    }
    assert account.invoke("fn", client_context=passed).payload == {
        "type": "ClientContext",
        "custom": passed["custom"],
        "env": passed["env"],
        "client": passed["client"],
    }


def test_client_context_missing_keys_are_none(account):
    account.register("fn", CLIENT_CONTEXT)
    assert account.invoke("fn", client_context={"custom": {"a": 1}}).payload == {
        "type": "ClientContext",
        "custom": {"a": 1},
        "env": None,
        "client": None,
    }
    partial = account.invoke("fn", client_context={"client": {"app_title": "T"}}).payload
    assert partial["client"] == {
        "installation_id": None,
        "app_title": "T",
        "app_version_name": None,
        "app_version_code": None,
        "app_package_name": None,
    }
    assert partial["custom"] is None and partial["env"] is None


def test_client_context_is_passed_only_to_synchronous_invokes(account):
    account.register("fn", CLIENT_CONTEXT)
    account.invoke("fn", client_context={"custom": {"a": 1}}, invocation_type="Event")
    assert account.wait(30)
    [record] = account.invocation_records("fn")
    assert record.invocation_type == "Event"
    assert record.payload is None


def test_client_context_is_not_kept_between_invocations(account):
    account.register("fn", CLIENT_CONTEXT)
    assert account.invoke("fn", client_context={"custom": {"a": 1}}).payload is not None
    assert account.invoke("fn").payload is None


def test_client_context_size_limit_and_type(account):
    account.register("fn", CLIENT_CONTEXT)
    with pytest.raises(InvalidParameterValueException, match="3583"):
        account.invoke("fn", client_context={"custom": {"blob": "x" * 3000}})
    with pytest.raises(InvalidParameterValueException):
        account.invoke("fn", client_context="not a dict")
    assert account.invocation_records() == []


def test_context_is_new_for_every_invocation(account):
    account.register(
        "fn",
        code(
            """
        SEEN = []
        def lambda_handler(event, context):
            SEEN.append(context)
            return [c.aws_request_id for c in SEEN] + [SEEN[0] is SEEN[-1]]
        """
        ),
    )
    account.invoke("fn")
    out = account.invoke("fn").payload
    assert out[2] is False
    assert out[0] != out[1]


def test_context_log_writes_without_a_newline(account):
    account.register(
        "fn",
        code(
            """
        def lambda_handler(event, context):
            context.log("one ")
            context.log("two\\n")
            context.log(3)
            return None
        """
        ),
    )
    invocation = account.invoke("fn")
    assert "one two" in invocation.log_lines
    assert "3" in invocation.log_lines


def test_context_repr_is_the_runtimes(account):
    account.register("fn", code("def lambda_handler(e, c):\n    return repr(c)\n"))
    invocation = account.invoke("fn")
    text = invocation.payload
    assert text.startswith("LambdaContext([aws_request_id=" + invocation.request_id)
    assert "memory_limit_in_mb=128" in text and "function_name=fn" in text
