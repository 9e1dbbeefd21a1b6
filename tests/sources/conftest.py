"""Fixtures for the event source tests.  The ``account`` fixture (tests/conftest.py) gives each
test a fresh account, whose embedded local cloud (a moto server in its own process) starts on
first use and stops with the account."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import pytest

from lambda_magic.runtime import LocalAccount
from lambda_magic.sources import EventSourceMappings


@pytest.fixture
def mappings(account) -> EventSourceMappings:
    """The account's event source mappings (``create``, ``get(uuid)`` for the poller, ...)."""
    return EventSourceMappings.of(account)


class FailureQueue:
    """A standard SQS queue of the local cloud used as an OnFailure destination."""

    def __init__(self, account: LocalAccount, name: str = "on-failure"):
        self.sqs = account.cloud.client("sqs")
        self.url = self.sqs.create_queue(QueueName=name)["QueueUrl"]
        self.arn = self.sqs.get_queue_attributes(QueueUrl=self.url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        self.destination = {"OnFailure": {"Destination": self.arn}}

    def messages(self) -> list[dict[str, Any]]:
        """Every record in the queue (received once, then deleted), decoded."""
        bodies = []
        while True:
            got = self.sqs.receive_message(QueueUrl=self.url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get(
                "Messages", []
            )
            if not got:
                return bodies
            for message in got:
                bodies.append(json.loads(message["Body"]))
                self.sqs.delete_message(QueueUrl=self.url, ReceiptHandle=message["ReceiptHandle"])


@pytest.fixture
def failure_queue(account) -> FailureQueue:
    return FailureQueue(account)


@pytest.fixture
def eventually() -> Callable[..., None]:
    """Wait for a condition that the pollers reach by themselves (a guard, not a timing check)."""

    def wait_for(predicate: Callable[[], bool], what: str, timeout_s: float = 60.0) -> None:
        deadline = time.monotonic() + timeout_s
        while not predicate():
            if time.monotonic() > deadline:
                pytest.fail(f"never happened: {what}")
            time.sleep(0.02)

    return wait_for
