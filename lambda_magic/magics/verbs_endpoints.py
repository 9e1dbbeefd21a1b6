"""The verb about the loopback endpoints the account serves: endpoints."""

from __future__ import annotations

from typing import Any

from .. import api
from .parsing import VerbParser, split_args

ENDPOINT_VERBS = {
    "endpoints": "the loopback addresses the account serves (the Lambda API, ...) and a ready AWS CLI line",
}


class EndpointVerbs:
    """Mixin of ``LambdaMagic``: each ``_verb_<name>(rest)`` answers ``%lambda <name> ...``."""

    def _verb_endpoints(self, rest: str) -> Any:
        VerbParser(
            "%lambda endpoints",
            "The loopback addresses the account serves, by service: boto3's "
            "lambda client and the AWS CLI (--endpoint-url) reach the notebook's functions there.",
        ).parse(split_args(rest))
        return api.endpoints()
