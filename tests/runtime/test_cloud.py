"""The embedded local cloud: lazy start, boto3 in handlers, lifecycle, alternatives, failures."""

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import urllib.parse

import psutil
import pytest

from lambda_magic.runtime import LocalAccount
from lambda_magic.runtime.cloud import LocalCloudError

from .helpers import all_gone, proc

READ_OBJECT = textwrap.dedent("""\
    import boto3
    s3 = boto3.client("s3")
    def lambda_handler(event, context):
        record = event["Records"][0]["s3"]
        body = s3.get_object(Bucket=record["bucket"]["name"], Key=record["object"]["key"])["Body"].read()
        return body.decode()
    """)
WRITE_ITEM = textwrap.dedent("""\
    import os, boto3
    table = boto3.resource("dynamodb").Table("notes")
    def lambda_handler(event, context):
        table.put_item(Item={"id": event["id"], "text": event["text"]})
        return os.environ["AWS_ENDPOINT_URL"]
    """)


def test_cloud_starts_only_on_need(account):
    account.register("plain", "import os\ndef lambda_handler(e, c):\n    return os.environ['AWS_ENDPOINT_URL']\n")
    assert account.invoke("plain").payload == account.cloud.endpoint()  # the address is handed out...
    assert not account.cloud.running  # ...but a function that does not use AWS starts no server
    assert account.cloud.pid is None


def _cloud_servers() -> list[psutil.Process]:
    return [
        child
        for child in psutil.Process().children()
        if "lambda_magic.runtime.cloud_server" in " ".join(child.cmdline())
    ]


def test_connections_waiting_before_the_server_runs_are_all_served_by_one_server(account):
    others = {server.pid for server in _cloud_servers()}  # e.g. the notebook account's, warmed by earlier tests
    clients = [account.cloud.client(service) for service in ("sqs", "sns", "s3", "dynamodb")]
    calls = [
        lambda c=clients[0]: c.list_queues(),
        lambda c=clients[1]: c.list_topics(),
        lambda c=clients[2]: c.list_buckets(),
        lambda c=clients[3]: c.list_tables(),
    ]
    answers: list = []
    threads = [
        threading.Thread(target=lambda call=call: answers.append(call()["ResponseMetadata"]["HTTPStatusCode"]))
        for call in calls
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert answers == [200] * 4
    assert [server.pid for server in _cloud_servers() if server.pid not in others] == [account.cloud.pid]


def test_stop_keeps_the_address_and_the_next_call_starts_an_empty_cloud(account):
    url = account.cloud.endpoint()
    account.cloud.client("sqs").create_queue(QueueName="old")
    server = proc(account.cloud.pid)
    account.cloud.stop()
    assert all_gone([server]) and not account.cloud.running
    assert account.cloud.endpoint() == url
    assert account.cloud.client("sqs").list_queues().get("QueueUrls", []) == []
    assert account.cloud.running and account.cloud.pid != server.pid


def test_shutdown_gives_the_address_back(account):
    port = urllib.parse.urlsplit(account.cloud.endpoint()).port
    account.shutdown()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=5).close()


def test_a_server_that_cannot_start_closes_waiting_connections_at_once(account, monkeypatch):
    from lambda_magic.runtime import cloud

    monkeypatch.setattr(cloud, "_moto_missing", lambda: True)
    port = urllib.parse.urlsplit(account.cloud.endpoint()).port
    with socket.create_connection(("127.0.0.1", port), timeout=30) as connection:
        assert connection.recv(1) == b""  # closed, not left waiting
    assert "pip install 'moto[server]'" in account.cloud.failure
    assert not account.cloud.running


def test_handler_reads_the_object_that_triggered_it(account):
    s3 = account.cloud.client("s3")
    s3.create_bucket(Bucket="photos")
    s3.put_object(Bucket="photos", Key="cat.txt", Body=b"meow")
    account.register("reader", READ_OBJECT)
    event = account.render_event("s3/put", {"bucket": "photos", "key": "cat.txt"})
    invocation = account.invoke("reader", event)
    assert invocation.status == "success", invocation.payload
    assert invocation.payload == "meow"


def test_handler_writes_an_item_the_notebook_can_read(account):
    account.cloud.client("dynamodb").create_table(
        TableName="notes",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    account.register("writer", WRITE_ITEM)
    invocation = account.invoke("writer", {"id": "1", "text": "hello"})
    assert invocation.status == "success", invocation.payload
    assert invocation.payload == account.cloud.endpoint()
    assert invocation.payload.startswith("http://127.0.0.1:")
    item = account.cloud.resource("dynamodb").Table("notes").get_item(Key={"id": "1"})["Item"]
    assert item == {"id": "1", "text": "hello"}


def test_shutdown_stops_the_server(account):
    account.cloud.client("sqs").list_queues()
    server = proc(account.cloud.pid)
    account.shutdown()
    assert all_gone([server])
    assert not account.cloud.running


def test_no_orphaned_server_when_the_kernel_is_killed(tmp_path):
    script = textwrap.dedent("""\
        import sys, time
        from lambda_magic.runtime import LocalAccount
        account = LocalAccount()
        account.cloud.client("sqs").create_queue(QueueName="q")
        print(account.cloud.pid, flush=True)
        time.sleep(300)
        """)
    child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        server = proc(int(child.stdout.readline()))
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        assert all_gone([server])
    finally:
        if child.poll() is None:
            child.kill()
        child.stdout.close()


def test_another_endpoint_can_be_configured(account):
    other = LocalAccount()
    try:
        url = other.cloud.endpoint()
        other.cloud.client("sqs").create_queue(QueueName="elsewhere")
        account.configure(cloud_endpoint=url)
        assert account.cloud.endpoint() == url
        assert account.cloud.pid is None  # no embedded server was started
        names = [u.rsplit("/", 1)[-1] for u in account.cloud.client("sqs").list_queues()["QueueUrls"]]
        assert names == ["elsewhere"]
        account.register(
            "sees", "import os, boto3\ndef lambda_handler(e, c):\n    return os.environ['AWS_ENDPOINT_URL']\n"
        )
        assert account.invoke("sees").payload == url
    finally:
        other.shutdown()


def test_a_missing_moto_is_one_clear_line_and_other_functions_still_work(account, monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "moto" else real(name, *a))
    with pytest.raises(LocalCloudError) as error:
        account.cloud.client("s3")
    assert "pip install 'moto[server]'" in str(error.value) and "\n" not in str(error.value)
    account.register("plain", "def lambda_handler(e, c):\n    return 2\n")
    assert account.invoke("plain").payload == 2


def test_failure_destination_and_dead_letter_queue_in_the_cloud(account):
    sqs = account.cloud.client("sqs")
    arns = {}
    for name in ("failures", "dead"):
        url = sqs.create_queue(QueueName=name)["QueueUrl"]
        arns[name] = (
            url,
            sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"],
        )
    account.register("boom", "def lambda_handler(e, c):\n    raise ValueError('no')\n")
    account.configure_async(
        "boom", max_retry_attempts=0, on_failure=arns["failures"][1], dead_letter_target=arns["dead"][1]
    )
    queued = account.invoke("boom", {"n": 7}, invocation_type="Event")
    assert account.wait(timeout=30)
    [record] = sqs.receive_message(QueueUrl=arns["failures"][0])["Messages"]
    record = json.loads(record["Body"])
    assert record["requestContext"]["requestId"] == queued.request_id
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["requestPayload"] == {"n": 7}
    assert record["responseContext"]["functionError"] == "Unhandled"
    [letter] = sqs.receive_message(QueueUrl=arns["dead"][0], MessageAttributeNames=["All"])["Messages"]
    assert json.loads(letter["Body"]) == {"n": 7}  # a dead letter is the event alone
    assert letter["MessageAttributes"]["RequestID"]["StringValue"] == queued.request_id
    ledger = account.async_ledgers()["boom"]
    assert ledger.to_failure_destination == 1 and ledger.balances()


def test_a_missing_destination_queue_is_a_counted_delivery_failure(account):
    account.cloud.client("sqs").list_queues()
    account.register("boom", "def lambda_handler(e, c):\n    raise ValueError('no')\n")
    account.configure_async("boom", max_retry_attempts=0, on_failure="arn:aws:sqs:us-east-1:123456789012:no-such-queue")
    account.invoke("boom", {}, invocation_type="Event")
    assert account.wait(timeout=30)
    ledger = account.async_ledgers()["boom"]
    assert ledger.destination_delivery_failures == 1
    assert ledger.dropped["RetriesExhausted"] == 1 and ledger.balances()


def test_reset_empties_the_embedded_cloud(account):
    account.cloud.client("sqs").create_queue(QueueName="old")
    account.reset()
    assert account.cloud.client("sqs").list_queues().get("QueueUrls", []) == []


def test_the_notebook_account_warms_the_cloud_up_when_a_first_function_is_registered():
    """lm's account starts moto in the background at the first registration, so a handler's
    first AWS call does not pay for the server's start; the test accounts start it only on need."""
    import time

    warm = LocalAccount(warm_cloud=True)
    try:
        assert not warm.cloud.running
        warm.register("plain", "def lambda_handler(e, c):\n    return 1\n")
        deadline = time.monotonic() + 60
        while not warm.cloud.running and time.monotonic() < deadline:
            time.sleep(0.05)
        assert warm.cloud.running  # started without any client having connected
        s3 = warm.cloud.client("s3")
        s3.create_bucket(Bucket="warm")
        assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == ["warm"]
    finally:
        warm.shutdown()
    assert not warm.cloud.running


def test_the_warm_up_does_not_block_register_nor_import_the_sdk_into_the_kernel():
    """register() only starts the server: moto (whose package imports boto3 and botocore, ~1 s
    and ~35 MB) is found without being imported, and the server is ready after register returned."""
    script = textwrap.dedent("""\
        import json, sys, threading, time
        from lambda_magic.runtime import LocalAccount
        account = LocalAccount(warm_cloud=True)
        ready = threading.Event()
        ready_at = []
        original = account.cloud.on_use
        def on_use(service):
            if service is None and not ready.is_set():
                ready_at.append(time.monotonic())
                ready.set()
            original(service)
        account.cloud.on_use = on_use
        try:
            account.register("plain", "def lambda_handler(e, c):\\n    return 1\\n", isolation="inline")
            returned = time.monotonic()
            imported = sorted(name for name in ("moto", "boto3", "botocore") if name in sys.modules)
            served = ready.wait(60)
            print(json.dumps({"imported": imported, "served": served,
                              "returned_before_ready": served and returned < ready_at[0]}))
        finally:
            account.shutdown()
        """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True)
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert report == {"imported": [], "served": True, "returned_before_ready": True}


def test_the_api_account_warms_the_cloud_and_a_plain_account_does_not(account):
    from lambda_magic.api import _DefaultAccount

    holder = _DefaultAccount()
    try:
        assert holder.get().warm_cloud is True
    finally:
        holder.get().shutdown()
    account.register("plain", "def lambda_handler(e, c):\n    return 1\n")
    assert not account.cloud.running
