"""The AWS backend (``lm.use_backend("aws")``): the account protocol on Lambda through boto3.

Mapped: functions (deterministic packages, create/update with waiters and retries, an
execution role on request, vendored requirements), ``Invoke`` (``LogType=Tail``), logs
(``FilterLogEvents``), versions, aliases, concurrency, async configuration, triggers (event
source mappings, S3 notifications, SNS subscriptions, EventBridge rules and schedules, function
URLs) and a cost guard.  The local emulator's own tools (clock, timeline, queue, environments,
templates' verdicts on AWS...) are not mapped.
"""

from __future__ import annotations

from .account import AwsAccount
from .guard import CallGuard, CallLimitReached

__all__ = ["AwsAccount", "CallGuard", "CallLimitReached"]
