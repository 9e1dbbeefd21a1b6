"""The embedded local cloud: one moto server per account, so that boto3 works offline.

The server runs in its own process (handler traffic never competes with the
kernel), on 127.0.0.1 and a free port, started on first need: when a client is
asked for, or when a function whose code uses boto3 gets an environment.  Every
such environment receives ``AWS_ENDPOINT_URL`` (and a region and dummy
credentials), so ``boto3.client("s3")`` reaches it unchanged.  Another
AWS-compatible endpoint can be configured instead (``cloud_endpoint``).
"""

from __future__ import annotations

import os
import select
import subprocess
import sys
import threading
from typing import Any

from ..common.errors import LambdaMagicError

_PACKAGE_PARENT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
_START_TIMEOUT_S = 30.0
#: Code that mentions one of these names talks to AWS and gets the local cloud's endpoint.
AWS_CLIENT_MODULES = ("boto3", "botocore", "aioboto3", "awswrangler")


class LocalCloudError(LambdaMagicError):
    """The local cloud could not start (or be reached)."""

    status_code = 500


class LocalCloud:
    """The account's AWS endpoint: an embedded moto server, or a configured URL."""

    def __init__(self, region: str, credentials: dict[str, str], endpoint: str | None = None):
        self.region = region
        self.credentials = credentials
        self.configured_endpoint = endpoint
        self._process: subprocess.Popen | None = None
        self._control: int | None = None
        self._url: str | None = None
        self._lock = threading.Lock()
        self._clients: dict[str, Any] = {}

    @property
    def running(self) -> bool:
        return self.configured_endpoint is not None or (self._process is not None and self._process.poll() is None)

    @property
    def pid(self) -> int | None:
        return None if self._process is None else self._process.pid

    def endpoint(self) -> str:
        """The endpoint URL, starting the embedded server if needed."""
        if self.configured_endpoint is not None:
            return self.configured_endpoint
        with self._lock:
            if self._process is None or self._process.poll() is not None:
                self._start()
            assert self._url is not None
            return self._url

    def _start(self) -> None:
        import importlib.util

        try:
            missing = importlib.util.find_spec("moto.server") is None
        except ImportError:
            missing = True
        if missing:
            raise LocalCloudError(
                "the local cloud needs moto's server, which is not installed: pip install 'moto[server]', "
                "or set LambdaMagic.cloud_endpoint to another AWS-compatible endpoint"
            )
        theirs, ours = os.pipe()
        environment = {**{k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG")},
                       "PYTHONPATH": _PACKAGE_PARENT, "AWS_DEFAULT_REGION": self.region, **self.credentials}
        process = subprocess.Popen(
            [sys.executable, "-m", "lambda_magic.runtime.cloud_server", str(theirs)],
            pass_fds=(theirs,), env=environment, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL, start_new_session=True, text=True,
        )
        os.close(theirs)
        readable, _, _ = select.select([process.stdout], [], [], _START_TIMEOUT_S)
        line = process.stdout.readline() if readable else ""
        if not line.startswith("ready "):
            process.kill()
            process.wait()
            os.close(ours)
            raise LocalCloudError(
                "the local cloud (moto server) did not start on 127.0.0.1; "
                "check that moto[server] is installed, or set LambdaMagic.cloud_endpoint"
            )
        self._process, self._control = process, ours
        self._url = f"http://127.0.0.1:{int(line.split()[1])}"
        self._clients.clear()

    def environment(self) -> dict[str, str]:
        """Variables that point an execution environment's SDK at this cloud."""
        return {"AWS_ENDPOINT_URL": self.endpoint()}

    def client(self, service: str) -> Any:
        """A boto3 client bound to the local cloud (one per service, reused)."""
        import boto3

        url = self.endpoint()
        key = f"{service}@{url}"
        if key not in self._clients:
            self._clients[key] = boto3.client(service, endpoint_url=url, region_name=self.region,
                                              aws_access_key_id=self.credentials["AWS_ACCESS_KEY_ID"],
                                              aws_secret_access_key=self.credentials["AWS_SECRET_ACCESS_KEY"],
                                              aws_session_token=self.credentials["AWS_SESSION_TOKEN"])
        return self._clients[key]

    def resource(self, service: str) -> Any:
        """A boto3 resource bound to the local cloud."""
        import boto3

        return boto3.resource(service, endpoint_url=self.endpoint(), region_name=self.region,
                              aws_access_key_id=self.credentials["AWS_ACCESS_KEY_ID"],
                              aws_secret_access_key=self.credentials["AWS_SECRET_ACCESS_KEY"],
                              aws_session_token=self.credentials["AWS_SESSION_TOKEN"])

    def reset(self) -> None:
        """Empty the embedded server (every bucket, queue, stream, table, topic); a
        configured endpoint is never touched."""
        if self.configured_endpoint is not None or self._url is None or not self.running:
            return
        import urllib.request

        request = urllib.request.Request(f"{self._url}/moto-api/reset", method="POST")
        with urllib.request.urlopen(request, timeout=30):
            pass

    def stop(self) -> None:
        """Stop the embedded server (the cloud starts again on next need, empty)."""
        with self._lock:
            process, control = self._process, self._control
            self._process = self._control = self._url = None
            self._clients.clear()
        if control is not None:
            os.close(control)  # the server sees EOF and exits
        if process is not None:
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            if process.stdout is not None:
                process.stdout.close()
