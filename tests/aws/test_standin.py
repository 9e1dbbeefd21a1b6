"""The AWS stand-in (``python -m lambda_magic.standin``): one endpoint on 127.0.0.1 where Lambda runs the code.

Each test reaches one stand-in process (the ``standin`` fixture: started for this module, stopped by its pid), through
the real clients: boto3, the AWS backend (``lm.use_backend("aws", endpoint_url=...)``) and the
AWS CLI.  Waits for asynchronous outcomes (log delivery, an SQS mapping's poll) are bounded
polls, never timing assertions.
"""

from __future__ import annotations

import base64
import http.client
import io
import json
import os
import select
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import zipfile
from pathlib import Path

import pytest

import lambda_magic as lm
from lambda_magic.standin import service_of

from .standin_process import READY_TIMEOUT_S, REGION
from .standin_process import environment as _environment
from .standin_process import start as _start
from .standin_process import stop as _stop

#: The bound on waiting for something asynchronous (a log line in CloudWatch, a polled message).
EVENTUALLY_S = 60.0
HANDLER = (
    "def lambda_handler(event, context):\n"
    "    print('greeting', event.get('name'))\n"
    "    return {'message': f\"Hello, {event.get('name', 'world')}!\"}\n"
)


def _children(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (Linux's /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def _eventually(find, what: str):
    """``find()``'s first truthy answer, polled for at most :data:`EVENTUALLY_S`."""
    deadline = time.monotonic() + EVENTUALLY_S
    while time.monotonic() < deadline:
        found = find()
        if found:
            return found
        time.sleep(0.25)
    pytest.fail(f"{what} did not happen within {EVENTUALLY_S:.0f} s")


@pytest.fixture
def session(aws_env):
    import boto3

    return boto3.Session(region_name=REGION)


def _zip(source: str, name: str = "app.py") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(name, source)
    return buffer.getvalue()


# --- routing ---------------------------------------------------------------------------------------


def test_the_scope_names_the_service():
    signed = (
        b"POST /2015-03-31/functions HTTP/1.1\r\nHost: x\r\n"
        b"authorization: AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/lambda/aws4_request, "
        b"SignedHeaders=host, Signature=00\r\n\r\n"
    )
    assert service_of(signed) == "lambda"
    presigned = (
        b"GET /b/k?X-Amz-Algorithm=AWS4-HMAC-SHA256"
        b"&X-Amz-Credential=AKID%2F20260101%2Fus-east-1%2Fs3%2Faws4_request HTTP/1.1\r\n\r\n"
    )
    assert service_of(presigned) == "s3"
    sigv4a = (
        b"GET / HTTP/1.1\r\n"
        b"Authorization: AWS4-ECDSA-P256-SHA256 Credential=AKID/20260101/sqs/aws4_request, Signature=1\r\n\r\n"
    )
    assert service_of(sigv4a) == "sqs"
    assert service_of(b"GET /moto-api/ HTTP/1.1\r\nHost: x\r\n\r\n") is None
    assert service_of(b"GET / HTTP/1.1\r\nAuthorization: AWS AKID:signature\r\n\r\n") is None


def _signed(session, service: str, method: str, url: str, body: bytes = b"", headers=None):
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest

    request = AWSRequest(method=method, url=url, data=body, headers=headers or {})
    SigV4Auth(session.get_credentials(), service, REGION).add_auth(request)
    return dict(request.headers.items())


def test_keep_alive_connections_of_two_services_stay_routed(standin, session):
    host, port = standin.removeprefix("http://").split(":")
    lam, sqs = http.client.HTTPConnection(host, int(port)), http.client.HTTPConnection(host, int(port))
    sqs_body = b"Action=ListQueues&Version=2012-11-05"
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    sockets = {}
    try:
        for round_ in range(3):
            lam.request(
                "GET",
                "/2015-03-31/functions/",
                headers=_signed(session, "lambda", "GET", f"{standin}/2015-03-31/functions/"),
            )
            answer = lam.getresponse()
            assert answer.status == 200 and "Functions" in json.loads(answer.read())
            sqs.request(
                "POST", "/", body=sqs_body, headers=_signed(session, "sqs", "POST", f"{standin}/", sqs_body, form)
            )
            answer = sqs.getresponse()
            assert answer.status == 200 and b"ListQueuesResponse" in answer.read()
            if round_ == 0:
                sockets = {"lambda": lam.sock, "sqs": sqs.sock}
            assert {"lambda": lam.sock, "sqs": sqs.sock} == sockets  # the same connections, kept alive
    finally:
        lam.close()
        sqs.close()


def test_a_presigned_url_reaches_s3(standin, session):
    from botocore.config import Config

    s3 = session.client("s3", endpoint_url=standin, config=Config(signature_version="s3v4"))
    s3.create_bucket(Bucket="standin-presigned")
    s3.put_object(Bucket="standin-presigned", Key="hello.txt", Body=b"hello")
    url = s3.generate_presigned_url("get_object", Params={"Bucket": "standin-presigned", "Key": "hello.txt"})
    assert "X-Amz-Credential" in url
    with urllib.request.urlopen(url, timeout=30) as answer:
        assert answer.read() == b"hello"


# --- Lambda runs the code --------------------------------------------------------------------------


def test_boto3_deploys_and_invokes_with_a_role_made_in_iam(standin, session):
    iam = session.client("iam", endpoint_url=standin)
    assert session.client("sts", endpoint_url=standin).get_caller_identity()["Account"] == "123456789012"
    role = iam.create_role(RoleName="standin-boto3", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    policy = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
    iam.attach_role_policy(RoleName="standin-boto3", PolicyArn=policy)
    lam = session.client("lambda", endpoint_url=standin)
    code = "def handler(event, context):\n    print('got', event['n'])\n    return event['n'] * 2\n"
    created = lam.create_function(
        FunctionName="doubler", Runtime="python3.12", Role=role, Handler="app.handler", Code={"ZipFile": _zip(code)}
    )
    assert created["Role"] == role
    answer = lam.invoke(FunctionName="doubler", Payload=b'{"n": 21}', LogType="Tail")
    assert json.loads(answer["Payload"].read()) == 42
    tail = base64.b64decode(answer["LogResult"]).decode().splitlines()
    assert "got 21" in tail and tail[-1].startswith("REPORT RequestId: ")
    failing = lam.invoke(FunctionName="doubler", Payload=b"{}")
    assert failing["FunctionError"] == "Unhandled"
    assert json.loads(failing["Payload"].read())["errorType"] == "KeyError"
    lam.delete_function(FunctionName="doubler")


def test_the_aws_backend_deploys_runs_logs_triggers_and_cleans_up(standin, aws_env, module_backend):
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    shell.run_line_magic("load_ext", "lambda_magic")  # (before the switch: the extension configures the local account)
    aws = lm.use_backend("aws", endpoint_url=standin, region=REGION, create_role=True, max_calls=20)
    function = lm.register("greet", HANDLER, memory_mb=256, timeout_s=10)
    assert function.backend == "aws" and aws.role == "arn:aws:iam::123456789012:role/lambda-magic-execution"
    lam = lm.client("lambda")
    assert lam.get_function(FunctionName="greet")["Configuration"]["CodeSha256"] == function.code_sha256

    invocation = lm.invoke("greet", {"name": "Ada"})
    assert (invocation.status_code, invocation.function_error) == (200, None)
    assert invocation.payload == {"message": "Hello, Ada!"}
    assert "greeting Ada" in invocation.log_lines
    assert invocation.report.startswith(f"REPORT RequestId: {invocation.request_id}")
    assert invocation.duration_ms is not None and invocation.memory_size_mb == 256
    assert invocation.max_memory_used_mb is not None and invocation.max_memory_used_mb > 0

    def logged(text):
        return lambda: text in lm.logs("greet")["message"].tolist()

    _eventually(logged("greeting Ada"), "the invocation's log line in CloudWatch Logs")

    sqs = lm.client("sqs")
    queue_url = sqs.create_queue(QueueName="orders")["QueueUrl"]
    shell.run_line_magic("lambda", "trigger greet sqs:orders --batch-size 5")
    arn = aws.source_arn("sqs", "orders")
    mappings = lam.list_event_source_mappings(EventSourceArn=arn)["EventSourceMappings"]
    assert [(m["FunctionArn"].rsplit(":", 1)[1], m["BatchSize"]) for m in mappings] == [("greet", 5)]
    attached = lm.client("iam").list_attached_role_policies(RoleName="lambda-magic-execution")["AttachedPolicies"]
    assert "AWSLambdaSQSQueueExecutionRole" in [p["PolicyName"] for p in attached]

    sqs.send_message(QueueUrl=queue_url, MessageBody="order 1")
    # the handler gets an SQS event (no "name"): it prints "greeting None" when Lambda's poller ran it
    _eventually(logged("greeting None"), "the SQS-triggered run's log line")
    _eventually(
        lambda: (
            sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["ApproximateNumberOfMessages"])["Attributes"][
                "ApproximateNumberOfMessages"
            ]
            == "0"
        ),
        "the message's deletion after a successful batch",
    )

    lm.delete("greet")
    assert lam.list_event_source_mappings(EventSourceArn=arn)["EventSourceMappings"] == []
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.get_function(FunctionName="greet")


def test_an_s3_notification_runs_the_function(standin, aws_env, module_backend):
    lm.use_backend("aws", endpoint_url=standin, region=REGION, create_role=True)
    code = (
        "def lambda_handler(event, context):\n"
        "    for r in event['Records']:\n"
        "        print('object', r['s3']['object']['key'])\n"
    )
    lm.register("thumbs", code)
    s3 = lm.client("s3")
    s3.create_bucket(Bucket="standin-photos")
    lm.add_trigger("thumbs", "s3:standin-photos", events=["s3:ObjectCreated:*"], prefix="in/")
    s3.put_object(Bucket="standin-photos", Key="in/a.jpg", Body=b"jpeg")
    _eventually(lambda: "object in/a.jpg" in lm.logs("thumbs")["message"].tolist(), "the S3-triggered run's log line")
    lm.delete("thumbs")


def test_power_tuning_on_the_aws_backend_runs_there(standin, aws_env, module_backend):
    """``lm.power_tune`` on the AWS backend: versions published, invoked and deleted through AWS's API
    (here the stand-in, which runs them), and ``$LATEST`` left as it was."""
    aws = lm.use_backend("aws", endpoint_url=standin, region=REGION, create_role=True, max_calls=100, ask=None)
    lm.register("tuned", "def lambda_handler(event, context):\n    return sum(range(event['n']))\n", memory_mb=192)
    result = lm.power_tune("tuned", {"n": 1000}, memory=[128, 256], num=5, strategy="speed")
    frame = result.frame
    assert list(frame["memory_mb"]) == [128, 256] and list(frame["invocations"]) == [5, 5]
    assert list(frame["errors"]) == [0, 0] and (frame["average_duration_ms"] > 0).all()
    lam = lm.client("lambda")
    assert [v["Version"] for v in lam.list_versions_by_function(FunctionName="tuned")["Versions"]] == ["$LATEST"]
    assert lam.get_function_configuration(FunctionName="tuned")["MemorySize"] == 192
    assert aws.guard.used == 1 + 2 * (5 + 1)  # the deploy, then 5 invokes and a version per size
    aws.guard.max_calls = aws.guard.used + 5  # too few for the next tuning: refused before anything is sent
    with pytest.raises(lm.LambdaMagicError, match="refused power tuning tuned: 12 versions and invokes"):
        lm.power_tune("tuned", {"n": 1}, memory=[128, 256], num=5)
    assert [v["Version"] for v in lam.list_versions_by_function(FunctionName="tuned")["Versions"]] == ["$LATEST"]
    lm.delete("tuned")


def test_the_aws_cli_invokes(standin, session, tmp_path):
    aws_cli = Path(sys.executable).with_name("aws")
    if not aws_cli.exists():
        pytest.skip("the AWS CLI (awscli) is not installed in this environment")
    lam = session.client("lambda", endpoint_url=standin)
    role = "arn:aws:iam::123456789012:role/standin-cli"
    code = "def handler(event, context):\n    print('cli says', event['word'])\n    return {'echo': event['word']}\n"
    lam.create_function(
        FunctionName="cli-echo", Runtime="python3.12", Role=role, Handler="app.handler", Code={"ZipFile": _zip(code)}
    )
    out = tmp_path / "out.json"
    command = [str(aws_cli), "--endpoint-url", standin, "--region", REGION, "lambda", "invoke"]
    command += ["--function-name", "cli-echo"]  # (AWS CLI v1: a blob parameter is its raw text)
    command += ["--payload", '{"word": "hi"}', "--log-type", "Tail", str(out)]
    done = subprocess.run(command, capture_output=True, text=True, env=_environment(), timeout=120)
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert answer["StatusCode"] == 200
    assert "cli says hi" in base64.b64decode(answer["LogResult"]).decode()
    assert json.loads(out.read_text()) == {"echo": "hi"}
    lam.delete_function(FunctionName="cli-echo")


# --- the process -----------------------------------------------------------------------------------


def test_sigterm_ends_the_stand_in_and_its_moto_child():
    process, url = _start()
    children = _children(process.pid)
    assert children  # moto (and the account's template process) run as its children
    assert _stop(process) == 0
    _eventually(lambda: not any(Path(f"/proc/{pid}").exists() for pid in children), "the children's exit")
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", int(url.rsplit(":", 1)[1])), timeout=5).close()


def test_the_end_of_stdin_ends_the_stand_in():
    process, _ = _start()
    assert process.stdin is not None
    process.stdin.close()
    assert process.wait(60) == 0


def _ended(pid: int) -> bool:
    """True once ``pid`` has exited (gone, or a zombie nobody reaped yet)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


_PARENT = """
import subprocess, sys, time
child = subprocess.Popen([sys.executable, "-m", "lambda_magic.standin"], stdin=subprocess.DEVNULL,
                         stdout=subprocess.PIPE, text=True)
print(child.stdout.readline().strip(), child.pid, flush=True)
time.sleep(600)
"""


def test_the_stand_in_ends_with_its_parent():
    parent = subprocess.Popen([sys.executable, "-c", _PARENT], stdout=subprocess.PIPE, text=True, env=_environment())
    assert parent.stdout is not None
    readable, _, _ = select.select([parent.stdout], [], [], READY_TIMEOUT_S)
    words = parent.stdout.readline().split() if readable else []
    assert words[:1] == ["ready"], words
    pid = int(words[2])
    try:
        os.kill(parent.pid, signal.SIGKILL)  # no chance to stop its child: the stand-in notices by itself
        parent.wait()
        _eventually(lambda: _ended(pid), "the stand-in's exit after its parent's")
    finally:
        if not _ended(pid):
            os.kill(pid, signal.SIGKILL)


def test_a_bad_region_is_one_line():
    done = subprocess.run(
        [sys.executable, "-m", "lambda_magic.standin", "--region", "nowhere"],
        capture_output=True,
        text=True,
        env=_environment(),
        timeout=120,
    )
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "python -m lambda_magic.standin: region 'nowhere' is not a region name like 'us-east-1'"
    ]


def test_a_port_in_use_is_one_line():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-m", "lambda_magic.standin", "--port", str(port)],
            capture_output=True,
            text=True,
            env=_environment(),
            timeout=120,
        )
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"python -m lambda_magic.standin: cannot listen on 127.0.0.1:{port}: Address already in use"
    ]
