"""The local cloud panel: its address and the resources in it."""

from __future__ import annotations

from html import escape
from typing import Any

from . import theme


class CloudPanel:
    """What ``%lambda cloud`` shows: endpoint, server process, and resources by service."""

    def __init__(self, endpoint: str, pid: int | None, resources: dict[str, list[str]]):
        self.endpoint = endpoint
        self.pid = pid
        self.resources = resources

    @classmethod
    def of(cls, cloud: Any) -> CloudPanel:
        endpoint = cloud.endpoint()
        listing = {
            "s3 buckets": lambda: [b["Name"] for b in cloud.client("s3").list_buckets().get("Buckets", [])],
            "sqs queues": lambda: [
                u.rsplit("/", 1)[-1] for u in cloud.client("sqs").list_queues().get("QueueUrls", [])
            ],
            "sns topics": lambda: [
                t["TopicArn"].rsplit(":", 1)[-1] for t in cloud.client("sns").list_topics().get("Topics", [])
            ],
            "kinesis streams": lambda: cloud.client("kinesis").list_streams().get("StreamNames", []),
            "dynamodb tables": lambda: cloud.client("dynamodb").list_tables().get("TableNames", []),
        }
        resources = {}
        for kind, list_them in listing.items():
            try:
                resources[kind] = sorted(list_them())
            except Exception as exc:  # one service failing must not hide the others
                resources[kind] = [f"(could not list: {type(exc).__name__})"]
        return cls(endpoint, cloud.pid, resources)

    def __repr__(self) -> str:
        where = f"moto server (pid {self.pid})" if self.pid else "configured endpoint"
        lines = [f"Local cloud at {self.endpoint} — {where}"]
        lines += [f"  {kind}: {', '.join(names) if names else '-'}" for kind, names in self.resources.items()]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><th style='text-align:left;padding-right:10px'>{escape(kind)}</th>"
            f"<td style='text-align:left'>{escape(', '.join(names) or '-')}</td></tr>"
            for kind, names in self.resources.items()
        )
        return (
            f'<div style="{theme.SCROLL}"><strong>Local cloud</strong> at <code>{escape(self.endpoint)}</code>'
            f"<table>{rows}</table></div>"
        )


class TriggersPanel:
    """What ``%lambda triggers`` shows: each mapping and its poller's state."""

    def __init__(self, pollers: list[Any]):
        self.rows = [(p.mapping, p.describe(), dict(p.stats)) for p in pollers]

    @staticmethod
    def _state(describe: dict, stats: dict) -> str:
        facts = {
            **{k: v for k, v in stats.items() if isinstance(v, (int, float)) and v},
            **{k: v for k, v in describe.items() if isinstance(v, (int, float, str, bool)) and v not in ("", 0, False)},
        }
        return ", ".join(f"{key} {value}" for key, value in sorted(facts.items())) or "idle"

    def __repr__(self) -> str:
        if not self.rows:
            return "No event source mappings yet (%lambda trigger NAME sqs:QUEUE ...)."
        return "\n".join(
            f"{m.function_name} <- {m.source}:{m.event_source_arn.rsplit(':', 1)[-1]} "
            f"[{m.state}, batch {m.batch_size}]: {self._state(d, s)}"
            for m, d, s in self.rows
        )

    def _repr_html_(self) -> str:
        if not self.rows:
            return "<p>No event source mappings yet.</p>"
        body = "".join(
            f"<tr><td><strong>{escape(m.function_name)}</strong></td><td>{escape(m.source)}</td>"
            f"<td><code>{escape(m.event_source_arn)}</code></td><td>{escape(m.state)}</td><td>{m.batch_size}</td>"
            f"<td style='text-align:left'>{escape(self._state(d, s))}</td></tr>"
            for m, d, s in self.rows
        )
        return (
            f'<div style="{theme.SCROLL}"><table><thead><tr><th>function</th><th>source</th><th>ARN</th>'
            f"<th>state</th><th>batch</th><th>poller</th></tr></thead><tbody>{body}</tbody></table></div>"
        )
