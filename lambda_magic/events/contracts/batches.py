"""Partial batch responses of the SQS, Kinesis and DynamoDB Streams event source mappings.

With ``ReportBatchItemFailures`` the mapping reads ``batchItemFailures`` from
the answer: SQS deletes the messages not listed and returns the listed ones to
the queue; a stream checkpoints at the lowest listed sequence number and
retries from there.  Without it the answer is ignored.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ._common import Verdict, _and_more, _Call, _dig, _failure, _kind, _verdict

_RBIF = "ReportBatchItemFailures"


@dataclass(frozen=True)
class _Batch:
    source: str
    id_path: tuple[str, ...]
    stream: bool

    @property
    def id_name(self) -> str:
        """Where a record's item identifier is, e.g. ``kinesis.sequenceNumber``."""
        return ".".join(self.id_path)

    def item_id(self, record: Mapping[str, Any]) -> Any:
        return _dig(record, *self.id_path)


_BATCHES = {
    "sqs-batch": _Batch("Amazon SQS event source mapping", ("messageId",), False),
    "kinesis-batch": _Batch("Kinesis Data Streams event source mapping", ("kinesis", "sequenceNumber"), True),
    "dynamodb-batch": _Batch("DynamoDB Streams event source mapping", ("dynamodb", "SequenceNumber"), True),
}


def _records(event: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    records = event.get("Records")
    return [r for r in records if isinstance(r, Mapping)] if isinstance(records, list) else []


def _sequence_key(value: str) -> tuple[int, int | str]:
    return (0, int(value)) if value.isdigit() else (1, value)


def _batch_failures(call: _Call, batch: _Batch, ids: list[str], problems: list[str]) -> list[str] | None:
    """The listed failures, or ``None`` after adding why the whole batch fails.

    See lambda-semantics §6.1.6 and event-catalog §D.3.
    """
    payload = call.payload
    if payload is None or payload == b"":
        return []
    if not isinstance(payload, Mapping):
        problems.append(f"the function returned {_kind(payload)}, not an object with batchItemFailures")
        return None
    items = payload.get("batchItemFailures")
    if items is None:
        return []
    if not isinstance(items, list):
        problems.append(f"batchItemFailures must be a list, got {_kind(items)}")
        return None
    failed: list[str] = []
    for i, entry in enumerate(items):
        where = f"batchItemFailures[{i}]"
        if not isinstance(entry, Mapping):
            problems.append(f'{where} must be an object {{"itemIdentifier": ...}}, got {_kind(entry)}')
        elif "itemIdentifier" not in entry:
            keys = ", ".join(map(repr, entry)) or "none"
            problems.append(f"{where} has no itemIdentifier (its keys: {keys})")
        elif entry["itemIdentifier"] is None:
            problems.append(f"{where}.itemIdentifier is null")
        elif not isinstance(entry["itemIdentifier"], str):
            problems.append(
                f"{where}.itemIdentifier must be a string ({batch.id_name}), got {_kind(entry['itemIdentifier'])}"
            )
        elif entry["itemIdentifier"] == "":
            problems.append(f"{where}.itemIdentifier is empty")
        elif entry["itemIdentifier"] not in ids:
            problems.append(
                f"{where}.itemIdentifier {entry['itemIdentifier']!r} is not a {batch.id_name} in this batch"
            )
        elif entry["itemIdentifier"] not in failed:
            failed.append(entry["itemIdentifier"])
    return None if problems else failed


def _fifo_note(records: list[Mapping[str, Any]], failed: list[str]) -> str | None:
    """On a FIFO queue every later message of a failed message's group should be reported too (event-catalog §D.3)."""
    seen_failed: set[Any] = set()
    for record in records:
        group = _dig(record, "attributes", "MessageGroupId")
        if record.get("messageId") in failed:
            seen_failed.add(group)
        elif group in seen_failed:
            return (
                f"FIFO queue: message {record.get('messageId')!r} of group {group!r} comes after a failed message but "
                "was not reported, so it is deleted and the group's order is broken; report it and every later "
                "message of the group too"
            )
    return None


def _check_batch(call: _Call, batch: _Batch) -> Verdict:
    """Partial batch responses of SQS, Kinesis and DynamoDB Streams (lambda-semantics §6.1-6.2; event-catalog §D.3).

    With ``ReportBatchItemFailures``: null, ``{}``, a missing or null
    ``batchItemFailures`` and an empty list mean full success; an entry that
    is not an object, lacks ``itemIdentifier``, or whose identifier is null,
    empty, not a string or not in the batch fails the whole batch, as does an
    answer that is not an object and a function error.  Otherwise the listed
    items fail; a stream checkpoints at the lowest listed sequence number and
    retries from there.  Without it the answer is ignored: success deletes or
    checkpoints the whole batch, an error retries it.  A stream with a tumbling
    window must return ``state`` or the batch fails.

    Details: ``failed_item_ids``, ``retry`` (``"none"``, ``"items"`` or
    ``"batch"``), ``report_batch_item_failures``; SQS adds
    ``deleted_item_ids``; streams add ``checkpoint`` (the sequence number
    processing resumes from, ``None`` when all succeeded) and
    ``retried_item_ids``.
    """
    records = _records(call.event)
    ids = [str(i) for i in (batch.item_id(r) for r in records) if i is not None]
    reporting = _RBIF in call.function_response_types
    problems: list[str] = []
    notes: list[str] = []
    failed: list[str] | None
    if call.function_error:
        problems.append(_failure(call))
        failed = None
    elif (
        batch.stream and "window" in call.event and not (isinstance(call.payload, Mapping) and "state" in call.payload)
    ):
        problems.append("a tumbling-window invocation must return an object with state")
        failed = None
    elif reporting:
        failed = _batch_failures(call, batch, ids, problems)
        if (
            failed == []
            and isinstance(call.payload, Mapping)
            and call.payload
            and "batchItemFailures" not in call.payload
        ):
            notes.append("the answer has no batchItemFailures, which Lambda reads as full success")
    else:
        failed = []
        items = call.payload.get("batchItemFailures") if isinstance(call.payload, Mapping) else None
        if items:
            notes.append(f"batchItemFailures is ignored: the event source mapping does not have {_RBIF}")
    retry = "batch" if failed is None else "items" if failed else "none"
    failed_ids = list(ids) if failed is None else [i for i in ids if i in failed]
    details: dict[str, Any] = {"failed_item_ids": failed_ids, "retry": retry, "report_batch_item_failures": reporting}
    n, unit = len(ids), "record" if batch.stream else "message"

    def plural(k: int) -> str:
        return f"{k} {unit}{'' if k == 1 else 's'}"

    if batch.stream:
        ordered = sorted(failed_ids, key=_sequence_key)
        checkpoint = ordered[0] if ordered else None
        retried = [i for i in ids if checkpoint is not None and _sequence_key(i) >= _sequence_key(checkpoint)]
        details.update(checkpoint=checkpoint, retried_item_ids=retried)
        if retry == "none":
            summary = f"Lambda checkpoints past all {plural(n)} (full success)"
        elif retry == "items":
            summary = (
                f"Lambda checkpoints at sequence number {checkpoint} and retries {len(retried)} of {plural(n)} "
                f"from there ({len(failed_ids)} reported failed)"
            )
        else:
            summary = f"the whole batch of {plural(n)} fails and is retried; the shard waits: {_and_more(problems)}"
    else:
        details["deleted_item_ids"] = [i for i in ids if i not in failed_ids]
        if retry == "none":
            summary = f"Lambda deletes all {plural(n)} from the queue (full success)"
        elif retry == "items":
            summary = (
                f"Lambda deletes {plural(n - len(failed_ids))}; {plural(len(failed_ids))} "
                f"return{'s' if len(failed_ids) == 1 else ''} to the queue for a retry: {', '.join(failed_ids)}"
            )
            fifo = records and str(records[0].get("eventSourceARN", "")).endswith(".fifo")
            note = _fifo_note(records, failed_ids) if fifo else None
            if note:
                notes.append(note)
        else:
            summary = (
                f"the whole batch fails: all {plural(n)} return to the queue after the visibility timeout: "
                f"{_and_more(problems)}"
            )
    if notes and retry == "none" and not reporting:
        summary += f" (batchItemFailures is ignored without {_RBIF})"
    return _verdict(batch.source, summary, details, problems, notes)
