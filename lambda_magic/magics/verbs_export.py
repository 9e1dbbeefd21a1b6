"""The verb that writes the account as an infrastructure template: export."""

from __future__ import annotations

from typing import Any

from .. import api_export
from .parsing import VerbParser, split_args

EXPORT_VERBS = {
    "export": "write the account as a template: %lambda export sam|cloudformation [PATH] (template.yaml)",
}


class ExportVerbs:
    """Mixin of ``LambdaMagic``: ``%lambda export KIND [PATH]``."""

    def _verb_export(self, rest: str) -> Any:
        parser = VerbParser(
            "%lambda export",
            "Write the account's functions (code folders next to the template), their configuration, "
            "triggers, APIs and the queues, tables, streams, buckets and topics they use as an AWS SAM "
            "template, or as plain CloudFormation (the SAM template transformed; code as zips for a "
            "CodeBucket parameter).  What a template cannot express is listed at its top.",
        )
        parser.add_argument("kind", choices=("sam", "cloudformation"), help="the template's kind")
        parser.add_argument("path", nargs="?", default="template.yaml", help="where to write it (template.yaml)")
        args = parser.parse(split_args(rest))
        return api_export.export(args.kind, args.path)
