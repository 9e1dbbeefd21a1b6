"""Push sources: S3, SNS, EventBridge rules and schedules, CloudWatch Logs subscriptions and
CodeCommit triggers call the functions asynchronously, as the services do on AWS.

:class:`~.base.PushSources` is the account extension; each source is a
:class:`~.base.PushSource` plugin listed in :data:`~.base.SOURCES`.
"""

from __future__ import annotations

from .base import SOURCES, PushSource, PushSources, Trigger

__all__ = ["SOURCES", "PushSource", "PushSources", "Trigger"]
