"""The service's verdict on a function's answer, for an invocation made from a template."""

from __future__ import annotations

from typing import Any

from .contracts import Verdict, check_response, contract_for


def verdict_for(template_id: str, event: Any, invocation: Any, *, response_document: Any = None) -> Verdict | None:
    """Check ``invocation``'s answer as the service behind ``template_id`` would.

    ``response_document``: what the function sent the service on the side, when the
    caller captured it (CloudFormation: the document PUT to ``ResponseURL``).

    ``None`` when the source does not read the answer, or when nothing ran
    (queued, dry run, throttled).
    """
    contract = contract_for(template_id)
    if contract is None or invocation.status in ("queued", "dry-run", "throttled"):
        return None
    return check_response(
        contract, event, invocation.payload, invocation.function_error, response_document=response_document
    )
