"""No request leaves the machine: every environment gets loopback addresses, whatever its code says.

A guard installed in each environment at init (an audit hook on the socket
calls) writes every address a handler tries to reach to a file; the tests read
it and check that every one is on loopback, and that the guard did see the
connections to the local cloud (so it cannot pass by seeing nothing).
"""

from __future__ import annotations

import ipaddress
import json
import urllib.parse

import pytest

from lambda_magic.common.errors import InvalidParameterValueException
from lambda_magic.runtime.endpoints import is_loopback

from .helpers import code

GUARD = code(
    """
    import json, os, sys

    _EVENTS = ("socket.getaddrinfo", "socket.connect", "socket.sendto", "socket.sendmsg",
               "socket.gethostbyname", "socket.gethostbyname_ex", "socket.gethostbyaddr")

    def _guard(event, args):
        if event not in _EVENTS:
            return
        path = os.environ.get("LM_GUARD_LOG")  # inline: only while this function's environment is in place
        if not path:
            return
        try:
            if event == "socket.getaddrinfo":
                host, port = args[0], args[1]
            elif event.startswith("socket.gethost"):
                host, port = args[0], None
            else:
                address = args[1]
                if not isinstance(address, tuple):
                    return  # a Unix socket
                host, port = address[0], address[1]
            if isinstance(host, bytes):
                host = host.decode()
            with open(path, "a") as log:
                log.write(json.dumps({"event": event, "host": host, "port": port}) + "\\n")
        except Exception:
            pass

    sys.addaudithook(_guard)
    """
)

POWERTOOLS = GUARD + code(
    """
    from aws_lambda_powertools.utilities import parameters

    def lambda_handler(event, context):
        try:
            return {"value": parameters.get_parameter(event["name"])}
        except parameters.exceptions.GetParameterError as exc:
            return {"error": type(exc).__name__, "message": str(exc)}
    """
)

LATE_SDK = GUARD + code(
    """
    import importlib, os

    def lambda_handler(event, context):
        if not event.get("call"):
            return os.environ["AWS_ENDPOINT_URL"]
        sdk = importlib.import_module("bo" + "to3")  # the code's text never names the SDK
        return sdk.client("sqs").get_queue_url(QueueName=event["queue"])["QueueUrl"]
    """
)

XRAY = GUARD + code(
    """
    import os, socket

    def lambda_handler(event, context):
        host, port = os.environ["AWS_XRAY_DAEMON_ADDRESS"].split(":")
        sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sender.sendto(b'{"format": "json", "version": 1}\\n{"name": "first"}', (host, int(port)))
        for _ in range(event["flood"]):  # far more than the socket buffers: sendto still returns
            sender.sendto(b"x" * 60000, (host, int(port)))
        sender.close()
        return {name: os.environ[name] for name in
                ("AWS_XRAY_DAEMON_ADDRESS", "_AWS_XRAY_DAEMON_ADDRESS", "_AWS_XRAY_DAEMON_PORT")}
    """
)

ENVIRON = GUARD + code(
    """
    import os

    def lambda_handler(event, context):
        return dict(os.environ)
    """
)


def _loopback_host(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _seen(path) -> list[dict]:
    with open(path) as log:
        return [json.loads(line) for line in log]


def _assert_stayed_local(path, cloud_port: int) -> None:
    seen = _seen(path)
    assert [r for r in seen if not _loopback_host(str(r["host"]))] == []
    assert any(r["event"] == "socket.connect" and r["port"] == cloud_port for r in seen), seen  # not vacuous


def _port(url: str) -> int:
    port = urllib.parse.urlsplit(url).port
    assert port is not None
    return port


@pytest.mark.parametrize("isolation", ["process", "inline"])
def test_a_library_reaches_the_local_cloud_in_a_fresh_account(account, shared, isolation):
    assert "boto" not in POWERTOOLS  # boto3 only inside the library
    log = shared / "guard.jsonl"
    account.register("params", POWERTOOLS, isolation=isolation, timeout_s=60, env={"LM_GUARD_LOG": str(log)})
    assert not account.cloud.running  # nothing started the cloud before
    first = account.invoke("params", {"name": "/app/colour"})
    assert first.status == "success", first.error
    assert first.payload["error"] == "GetParameterError"
    assert "ParameterNotFound" in first.payload["message"]
    assert account.cloud.running  # the handler's connection started it
    account.cloud.client("ssm").put_parameter(Name="/app/colour", Value="teal", Type="String")
    second = account.invoke("params", {"name": "/app/colour"})
    assert second.payload == {"value": "teal"}
    assert not second.cold_start
    _assert_stayed_local(log, _port(account.cloud.endpoint()))


@pytest.mark.parametrize("isolation", ["process", "inline"])
def test_a_warm_environment_started_before_the_cloud_reaches_it(account, shared, isolation):
    log = shared / "guard.jsonl"
    account.register("late", LATE_SDK, isolation=isolation, timeout_s=60, env={"LM_GUARD_LOG": str(log)})
    before = account.invoke("late", {})
    assert before.payload == account.cloud.endpoint()
    assert not account.cloud.running
    url = account.cloud.client("sqs").create_queue(QueueName="later")["QueueUrl"]
    after = account.invoke("late", {"call": True, "queue": "later"})
    assert not after.cold_start, "the same environment"
    assert after.status == "success", after.error
    assert after.payload == url
    _assert_stayed_local(log, _port(account.cloud.endpoint()))


def test_a_warm_environment_keeps_reaching_the_cloud_after_it_is_stopped(account, shared):
    log = shared / "guard.jsonl"
    account.register("late", LATE_SDK, timeout_s=60, env={"LM_GUARD_LOG": str(log)})
    sqs = account.cloud.client("sqs")
    sqs.create_queue(QueueName="first")
    assert account.invoke("late", {"call": True, "queue": "first"}).status == "success"
    first_server = account.cloud.pid
    account.cloud.stop()
    assert not account.cloud.running
    url = account.cloud.client("sqs").create_queue(QueueName="second")["QueueUrl"]  # a new, empty server
    assert account.cloud.pid != first_server
    again = account.invoke("late", {"call": True, "queue": "second"})
    assert not again.cold_start and again.payload == url
    _assert_stayed_local(log, _port(account.cloud.endpoint()))


@pytest.mark.parametrize("isolation", ["process", "inline"])
def test_xray_daemon_address_is_a_loopback_socket_the_account_owns(account, shared, isolation):
    log = shared / "guard.jsonl"
    account.register("traced", XRAY, isolation=isolation, timeout_s=60, env={"LM_GUARD_LOG": str(log)})
    invocation = account.invoke("traced", {"flood": 200})
    assert invocation.status == "success", invocation.error
    sink = account.endpoints.xray
    assert invocation.payload == {
        "AWS_XRAY_DAEMON_ADDRESS": f"127.0.0.1:{sink.port}",
        "_AWS_XRAY_DAEMON_ADDRESS": "127.0.0.1",
        "_AWS_XRAY_DAEMON_PORT": str(sink.port),
    }
    received = sink.received()
    assert 0 < len(received) <= 64  # a small bounded buffer
    assert b'{"name": "first"}' in received[0]
    seen = _seen(log)
    assert [r for r in seen if not _loopback_host(str(r["host"]))] == []
    assert {(r["host"], r["port"]) for r in seen if r["event"] == "socket.sendto"} == {("127.0.0.1", sink.port)}


def test_a_function_that_never_calls_aws_starts_nothing_but_has_every_address(account):
    account.register("plain", ENVIRON)
    environ = account.invoke("plain").payload
    assert environ["AWS_ENDPOINT_URL"] == account.cloud.endpoint()
    assert is_loopback(environ["AWS_ENDPOINT_URL"])
    assert is_loopback(environ["AWS_XRAY_DAEMON_ADDRESS"])
    assert not account.cloud.running


def test_extensions_add_endpoint_variables_for_new_environments(account):
    account.register("plain", ENVIRON)
    account.endpoints.set("AWS_ENDPOINT_URL_LAMBDA", "http://127.0.0.1:9")
    environ = account.invoke("plain").payload
    assert environ["AWS_ENDPOINT_URL_LAMBDA"] == "http://127.0.0.1:9"
    assert environ["AWS_ENDPOINT_URL"] == account.cloud.endpoint()
    account.endpoints.discard("AWS_ENDPOINT_URL_LAMBDA")
    account.register("plain", ENVIRON)  # a new environment
    assert "AWS_ENDPOINT_URL_LAMBDA" not in account.invoke("plain").payload


@pytest.mark.parametrize(
    "name, address",
    [
        ("AWS_ENDPOINT_URL_LAMBDA", "https://lambda.us-east-1.amazonaws.com"),
        ("AWS_ENDPOINT_URL_LAMBDA", "10.0.0.1:80"),
        ("not a name", "http://127.0.0.1:9"),
    ],
)
def test_endpoint_variables_must_point_at_loopback(account, name, address):
    with pytest.raises(InvalidParameterValueException) as error:
        account.endpoints.set(name, address)
    assert "\n" not in str(error.value)


def test_is_loopback():
    assert is_loopback("http://127.0.0.1:4566/") and is_loopback("localhost:2000") and is_loopback("http://[::1]:80")
    assert not is_loopback("https://s3.amazonaws.com") and not is_loopback("169.254.79.129:2000")


def test_an_inline_handler_has_its_own_sdk_session_not_the_kernels(account, monkeypatch):
    import boto3

    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)
    boto3.setup_default_session(region_name="ap-south-1")  # the notebook's own boto3 setup
    kernels = boto3.DEFAULT_SESSION
    account.register(
        "where",
        code("""
        import boto3
        def lambda_handler(event, context):
            client = boto3.client("sqs")
            return [client.meta.region_name, client.meta.endpoint_url]
        """),
        isolation="inline",
    )
    assert account.invoke("where").payload == ["us-east-1", account.cloud.endpoint()]
    assert boto3.DEFAULT_SESSION is kernels
    assert boto3.client("sqs").meta.region_name == "ap-south-1"
