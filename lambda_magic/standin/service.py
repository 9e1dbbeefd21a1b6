"""The stand-in's account: a :class:`LocalAccount` whose Lambda runs the code, behind one router.

The account brings its local cloud (moto in a child process on loopback: IAM, STS, SQS,
S3, CloudWatch Logs...) and serves Lambda's own REST API on loopback, with the event
source mappings (which poll the cloud's SQS, Kinesis and DynamoDB Streams) and the push
sources (S3 notifications, SNS subscriptions, EventBridge rules that name a function).
The router sends connections signed for ``lambda`` to the Lambda API and every other
one to moto, so a client given the stand-in's one URL talks to "AWS".
"""

from __future__ import annotations

import os
import urllib.parse
import urllib.request
from typing import Any

from ..common.errors import LambdaMagicError
from ..endpoints.lambda_api import LambdaAPI
from ..runtime.account import LocalAccount
from ..runtime.settings import AccountSettings
from ..sources import EventSourceMappings
from ..sources.push import PushSources
from .router import Router

#: moto's settings the stand-in needs: AWS's managed policies exist, so the AWS backend's
#: ``AttachRolePolicy`` of ``AWSLambdaBasicExecutionRole`` works (as on AWS).
MOTO_SETTINGS = {"MOTO_IAM_LOAD_MANAGED_POLICIES": "true"}
#: How long :meth:`StandIn.start` waits for moto to answer (it loads the managed policies lazily).
START_TIMEOUT_S = 60.0


class StandInError(LambdaMagicError):
    """The stand-in could not start."""


class StandIn:
    """An AWS-compatible endpoint on ``127.0.0.1:port`` where Lambda runs the code.

    ``start()`` binds and serves; ``close()`` ends the router, the account's
    environments and its moto child.
    """

    def __init__(self, *, port: int = 0, region: str = "us-east-1"):
        for name, value in MOTO_SETTINGS.items():
            os.environ.setdefault(name, value)  # read by the cloud's server process when it starts
        self.router = Router(self._upstream, port)  # bind first: a port in use fails before anything starts
        try:
            # Real time: log timestamps and polling are wall-clock, as a client of AWS sees them.
            self.account = LocalAccount(AccountSettings(region=region, clock_mode="real"))
            self.lambda_api = LambdaAPI.of(self.account, mappings=EventSourceMappings.of)
            PushSources.of(
                self.account,
                policy=self.lambda_api.policy,
                lambda_client=self.lambda_api.client,
            )
        except BaseException:
            self.router.close()
            raise
        self._lambda_address = ("127.0.0.1", int(self.lambda_api.url.rsplit(":", 1)[1]))
        cloud = urllib.parse.urlsplit(self.account.cloud.endpoint())
        self._cloud_address = (cloud.hostname or "127.0.0.1", int(cloud.port or 80))

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT``: give it as ``endpoint_url`` / ``--endpoint-url``."""
        return self.router.url

    @property
    def region(self) -> str:
        return self.account.settings.region

    def _upstream(self, service: str | None) -> tuple[str, int]:
        return self._lambda_address if service == "lambda" else self._cloud_address

    def start(self) -> None:
        """Start moto (wait until it answers), then accept connections."""
        url = f"{self.account.cloud.endpoint()}/moto-api/"
        try:
            with urllib.request.urlopen(url, timeout=START_TIMEOUT_S):
                pass
        except OSError as exc:
            raise StandInError(f"the local cloud did not start: {self.account.cloud.failure or exc}") from None
        self.router.start()

    def close(self) -> None:
        """Stop accepting, then end the account: its environments, servers and moto child."""
        self.router.close()
        self.account.shutdown()  # stops the extensions too (the Lambda API, mappings, push sources)

    def __enter__(self) -> StandIn:
        self.start()
        return self

    def __exit__(self, *_: Any) -> None:
        self.close()
