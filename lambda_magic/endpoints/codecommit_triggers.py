"""CodeCommit repository triggers: their configuration, and the events a branch change sends.

Every operation that moves a branch goes through :func:`move_branch`, which sends each
trigger whose events and branch filter match the change its ``aws:codecommit`` record
(one reference per change, ``customData`` when configured), as CodeCommit does: to a
Lambda function through the API's ``deliver`` (asynchronous, after the function's
resource-based policy is checked for ``codecommit.amazonaws.com``), or to an SNS topic of
the local cloud as the message.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .codecommit_calls import CodeCommitCall, fail, valid_ref

if TYPE_CHECKING:
    from .codecommit_repos import Repository

PRINCIPAL = "codecommit.amazonaws.com"
EVENTS = ("all", "updateReference", "createReference", "deleteReference")
MAX_TRIGGERS = 10
MAX_BRANCHES = 10
ZERO_COMMIT = "0" * 40


@dataclass(frozen=True)
class RefChange:
    """A branch created, moved or deleted (``commit``: the new tip, or the deleted one)."""

    branch: str
    commit: str
    kind: str  # createReference | updateReference | deleteReference

    def reference(self) -> dict[str, Any]:
        ref: dict[str, Any] = {"commit": self.commit, "ref": f"refs/heads/{self.branch}"}
        if self.kind == "createReference":
            ref["created"] = True
        elif self.kind == "deleteReference":
            ref["deleted"] = True
        return ref


# --- configuration ---------------------------------------------------------------------------------


def check_triggers(call: CodeCommitCall) -> list[dict[str, Any]]:
    """The ``triggers`` of a put or test, validated as CodeCommit validates them."""
    triggers = call.params.get("triggers")
    if triggers is None:
        raise fail("RepositoryTriggersListRequiredException", "The list of triggers for the repository is required.")
    if len(triggers) > MAX_TRIGGERS:
        raise fail("MaximumRepositoryTriggersExceededException", "The number of triggers allowed is 10.")
    names: set[str] = set()
    checked = []
    for trigger in triggers:
        name = trigger.get("name")
        if not name:
            raise fail("RepositoryTriggerNameRequiredException", "A name for the trigger is required.")
        if len(name) > 100 or name in names:
            raise fail(
                "InvalidRepositoryTriggerNameException", f"The trigger name {name!r} is not valid or not unique."
            )
        names.add(name)
        _check_destination(call, trigger.get("destinationArn"))
        events = trigger.get("events")
        if not events:
            raise fail(
                "RepositoryTriggerEventsListRequiredException", "At least one event for the trigger is required."
            )
        if any(e not in EVENTS for e in events) or ("all" in events and len(events) > 1):
            raise fail(
                "InvalidRepositoryTriggerEventsException",
                f"The events {events} are not valid: use all, or any of updateReference, createReference, "
                "deleteReference.",
            )
        branches = trigger.get("branches")
        if branches is None:
            raise fail(
                "RepositoryTriggerBranchNameListRequiredException",
                "The branches list of the trigger is required (an empty list means all branches).",
            )
        if len(branches) > MAX_BRANCHES:
            raise fail("MaximumBranchesExceededException", "The number of branches for the trigger was exceeded.")
        if any(not isinstance(b, str) or not valid_ref(b) for b in branches):
            raise fail("InvalidRepositoryTriggerBranchNameException", f"A branch name in {branches} is not valid.")
        custom = trigger.get("customData")
        if custom is not None and len(custom) > 1000:
            raise fail("InvalidRepositoryTriggerCustomDataException", "The custom data exceeds 1000 characters.")
        kept = {
            "name": name,
            "destinationArn": trigger["destinationArn"],
            "branches": list(branches),
            "events": list(events),
        }
        if custom is not None:
            kept["customData"] = custom
        checked.append(kept)
    return checked


def _check_destination(call: CodeCommitCall, arn: Any) -> None:
    if not arn:
        raise fail("RepositoryTriggerDestinationArnRequiredException", "A destination ARN for the target is required.")
    parts = str(arn).split(":")
    if len(parts) < 6 or parts[0] != "arn" or parts[2] not in ("lambda", "sns") or not parts[5]:
        raise fail(
            "InvalidRepositoryTriggerDestinationArnException",
            f"The destination ARN {arn} is not valid: use the ARN of a Lambda function or an SNS topic.",
        )
    if parts[3] != call.region:
        raise fail(
            "InvalidRepositoryTriggerRegionException",
            f"The destination {arn} must be created in the same Region as the repository ({call.region}).",
        )


def put_repository_triggers(call: CodeCommitCall) -> dict[str, Any]:
    repo = call.repository()
    triggers = check_triggers(call)
    with repo.lock:
        repo.triggers = triggers
        repo.triggers_config_id = str(uuid.uuid4())
        return {"configurationId": repo.triggers_config_id}


def get_repository_triggers(call: CodeCommitCall) -> dict[str, Any]:
    repo = call.repository()
    with repo.lock:
        return {"configurationId": repo.triggers_config_id, "triggers": [dict(t) for t in repo.triggers]}


def test_repository_triggers(call: CodeCommitCall) -> dict[str, Any]:
    """Send each trigger a ``TriggerEventTest`` record (the last commit, or zeros in an empty repository)."""
    repo = call.repository()
    triggers = check_triggers(call)
    succeeded, failed = [], []
    with repo.lock:
        for trigger in triggers:
            branch = next((b for b in trigger["branches"] if b in repo.branches), repo.default_branch)
            commit = repo.branches.get(branch or "", ZERO_COMMIT)
            change = RefChange(branch or "main", commit, "updateReference")
            event = _event(call, repo, trigger, [change], "TriggerEventTest")
            problem = _send(call, repo, trigger, event)
            if problem is None:
                succeeded.append(trigger["name"])
            else:
                failed.append({"trigger": trigger["name"], "failureMessage": problem})
    return {"successfulExecutions": succeeded, "failedExecutions": failed}


# --- firing ----------------------------------------------------------------------------------------


def move_branch(
    call: CodeCommitCall, repo: Repository, branch: str, commit_id: str | None
) -> tuple[str | None, str | None]:
    """Point ``branch`` at ``commit_id`` (None deletes it) and fire the matching triggers."""
    old, new = repo.move_branch(branch, commit_id)
    if new is None:
        change = RefChange(branch, old or ZERO_COMMIT, "deleteReference")
    else:
        change = RefChange(branch, new, "createReference" if old is None else "updateReference")
    for trigger in list(repo.triggers):
        if _matches(trigger, change):
            _send(call, repo, trigger, _event(call, repo, trigger, [change], "ReferenceChanges"))
    return old, new


def _matches(trigger: dict[str, Any], change: RefChange) -> bool:
    events = trigger["events"]
    return ("all" in events or change.kind in events) and (
        not trigger["branches"] or change.branch in trigger["branches"]
    )


def _event(
    call: CodeCommitCall, repo: Repository, trigger: dict[str, Any], changes: list[RefChange], name: str
) -> dict[str, Any]:
    now = call.now()
    record: dict[str, Any] = {
        "awsRegion": call.region,
        "codecommit": {"references": [c.reference() for c in changes]},
    }
    if trigger.get("customData"):
        record["customData"] = trigger["customData"]
    record.update(
        {
            "eventId": str(uuid.uuid4()),
            "eventName": name,
            "eventPartNumber": 1,
            "eventSource": "aws:codecommit",
            "eventSourceARN": repo.arn,
            "eventTime": now.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "+0000",
            "eventTotalParts": 1,
            "eventTriggerConfigId": repo.triggers_config_id,
            "eventTriggerName": trigger["name"],
            "eventVersion": "1.0",
            "userIdentityARN": call.identity_arn,
        }
    )
    return {"Records": [record]}


def _send(call: CodeCommitCall, repo: Repository, trigger: dict[str, Any], event: dict[str, Any]) -> str | None:
    """Deliver one event to the trigger's destination; None, or why it could not be delivered."""
    arn = trigger["destinationArn"]
    label = f"codecommit:{repo.name}"
    if arn.split(":")[2] == "sns":
        return call.api.publish(arn, json.dumps(event), label)
    deliver: Callable[..., Any] | None = call.api.deliver
    if deliver is None:
        call.api.drop(arn, label, "NoDelivery")
        return "This account delivers no trigger events (its CodeCommit API was made without deliver)."
    invocation = deliver(
        arn, event, trigger=label, principal=PRINCIPAL, source_arn=repo.arn, caused_by=call.caller_request_id
    )
    if invocation is None:
        return (
            f"Unable to invoke {arn}: the function does not exist, or its resource-based policy does not allow "
            f"{PRINCIPAL} to invoke it from {repo.arn} (lambda add_permission)."
        )
    return None


OPERATIONS: dict[str, Callable[[CodeCommitCall], Any]] = {
    "PutRepositoryTriggers": put_repository_triggers,
    "GetRepositoryTriggers": get_repository_triggers,
    "TestRepositoryTriggers": test_repository_triggers,
}
