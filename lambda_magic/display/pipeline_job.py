"""A CodePipeline Lambda invoke action as the notebook sees it: its status, its history, a panel."""

from __future__ import annotations

from collections.abc import Iterable
from html import escape
from typing import TYPE_CHECKING, Any

from .theme import BOX, TD, TH, badge

if TYPE_CHECKING:
    import pandas as pd

    from ..endpoints.codepipeline_jobs import ActionExecution

HISTORY_COLUMNS = ["time", "job_id", "event", "detail", "request_id"]
EXECUTION_COLUMNS = ["job_id", "function", "pipeline", "status", "jobs", "failure", "started"]
_BADGE = {"InProgress": "queued", "Succeeded": "success", "Failed": "error"}


class JobView:
    """The job ``lm.codepipeline.run`` returns: one run of the action, over all its jobs
    (a continuation makes a new job; ``.id`` is the first's, ``.job_ids`` all of them)."""

    def __init__(self, execution: ActionExecution, api: Any):
        self.execution = execution
        self._api = api

    @property
    def id(self) -> str:
        """The first job's id (the ``CodePipeline.job`` id the function first sees)."""
        return self.execution.jobs[0].id

    @property
    def job_ids(self) -> list[str]:
        return [job.id for job in self.execution.jobs]

    @property
    def status(self) -> str:
        """``InProgress``, ``Succeeded`` or ``Failed`` (a timeout that passed fails it now)."""
        current = self.execution.current
        if current is not None:
            self._api.expire(current)
        return self.execution.status

    @property
    def failure(self) -> str | None:
        """The failure message (the function's ``failureDetails.message``, or the timeout's)."""
        return self.execution.failure_message

    @property
    def failure_type(self) -> str | None:
        return self.execution.failure["type"] if self.execution.failure else None

    @property
    def output_variables(self) -> dict[str, str]:
        return dict(self.execution.output_variables)

    @property
    def events(self) -> list[dict[str, Any]]:
        """The ``CodePipeline.job`` events the function was invoked with, one per job."""
        return [job.event for job in self.execution.jobs]

    def wait(self, timeout: float | None = None) -> JobView:
        """Wait until the action succeeds or fails (with the ``auto`` or ``manual`` clock a job
        without an answer times out at once, on account time); returns the job."""
        self._api.account.wait(timeout)
        if self.status == "InProgress":
            self.execution.wait(timeout)
        return self

    def invocations(self) -> list[Any]:
        """The function's invocations (every attempt) for this action's jobs."""
        triggers = {f"codepipeline:{job_id}" for job_id in self.job_ids}
        return [r for r in self._api.account.invocation_records() if r.trigger in triggers]

    def history(self) -> pd.DataFrame:
        """What happened, in order: jobs made, invocations and their outcome, result calls, the end."""
        import pandas as pd

        rows = [(e.time, e.job_id, e.what, e.detail, e.request_id) for e in self.execution.entries]
        job_of = {f"codepipeline:{job_id}": job_id for job_id in self.job_ids}
        for r in self.invocations():
            outcome = r.status if not r.error_type else f"{r.status} ({r.error_type}: {r.error_message})"
            attempt = f"attempt {getattr(r, 'attempt', None) or 1}: {outcome}"
            rows.append((r.start, job_of[r.trigger], "Invocation", attempt, r.request_id))
        rows.sort(key=lambda row: (row[0], row[2] != "JobCreated"))
        frame = pd.DataFrame(rows, columns=HISTORY_COLUMNS)
        frame["time"] = pd.to_datetime(frame["time"], unit="s", utc=True)
        return frame

    def _lines(self) -> list[tuple[str, str]]:
        ex = self.execution
        lines = [
            ("status", self.status),
            ("function", ex.function),
            ("pipeline", f"{ex.pipeline} / {ex.stage} / {ex.action}"),
            ("jobs", f"{len(ex.jobs)} ({', '.join(j.id for j in ex.jobs)})"),
        ]
        if ex.user_parameters is not None:
            lines.append(("UserParameters", ex.user_parameters))
        for a in ex.inputs:
            lines.append(("input artifact", f"{a.name}: s3://{a.bucket}/{a.key}"))
        for a in ex.outputs:
            lines.append(("output artifact", f"{a.name}: s3://{a.bucket}/{a.key}"))
        if ex.failure:
            lines.append(("failure", f"{ex.failure['type']}: {ex.failure['message']}"))
        if ex.output_variables:
            lines.append(("outputVariables", ", ".join(f"{k}={v}" for k, v in ex.output_variables.items())))
        return lines

    def __repr__(self) -> str:
        return "CodePipeline job\n" + "\n".join(f"  {k}: {v}" for k, v in self._lines())

    def _repr_html_(self) -> str:
        status = self.status
        rows = "".join(
            f"<tr><th style='{TH}'>{escape(k)}</th><td style='{TD}'>{escape(v)}</td></tr>"
            for k, v in self._lines()
            if k != "status"
        )
        return (
            f'<div style="{BOX}"><b>CodePipeline Lambda invoke action</b> '
            f"{badge(_BADGE.get(status, 'info'), status)}"
            f"<table style='margin:4px 0'>{rows}</table></div>"
        )


def executions_frame(executions: Iterable[ActionExecution]) -> pd.DataFrame:
    """One row per action run."""
    import pandas as pd

    rows = [
        (
            e.jobs[0].id if e.jobs else None,
            e.function,
            e.pipeline,
            e.status,
            len(e.jobs),
            e.failure_message,
            e.started,
        )
        for e in executions
    ]
    frame = pd.DataFrame(rows, columns=EXECUTION_COLUMNS)
    frame["started"] = pd.to_datetime(frame["started"], unit="s", utc=True)
    return frame
