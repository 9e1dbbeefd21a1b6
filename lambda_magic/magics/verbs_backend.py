"""The ``backend`` verb: ``%lambda backend aws [...]`` / ``%lambda backend local``."""

from __future__ import annotations

from typing import Any

from .. import api, backends
from .parsing import VerbParser, split_args

BACKEND_VERBS = {
    "backend": "where functions deploy and run: %lambda backend local | aws [--profile P] [--region R] "
    "[--role ARN | --create-role] [--endpoint-url U] [--max-calls N]",
}


class BackendVerbs:
    """Mixin of ``LambdaMagic``: ``%lambda backend`` (``LambdaMagic.aws_max_calls`` calls
    :meth:`_apply_aws_max_calls`: traits are declared on the configurable class itself)."""

    def _apply_aws_max_calls(self, change: Any) -> None:
        backends.set_max_calls(change["new"])

    def _parser_backend(self) -> VerbParser:
        parser = VerbParser(
            "%lambda backend",
            "Choose where %%lambda deploys and %lambda invoke runs: the local emulator (local) or AWS Lambda "
            "(aws; credentials from boto3's usual chain, never read by the local backend).  With no name: "
            "the backend in use.",
        )
        parser.add_argument("name", nargs="?", choices=("local", "aws"))
        parser.add_argument("--profile", help="a profile of ~/.aws/config")
        parser.add_argument("--region", help="the region (default: the profile's)")
        parser.add_argument("--role", metavar="ARN", help="the functions' execution role")
        parser.add_argument(
            "--create-role", action="store_true", help="make (or reuse) the role lambda-magic-execution"
        )
        parser.add_argument("--endpoint-url", metavar="URL", help="another endpoint, e.g. a moto server")
        parser.add_argument("--max-calls", type=int, metavar="N", help="deploys and invokes allowed before asking")
        return parser

    def _verb_backend(self, rest: str) -> Any:
        args = self._parser_backend().parse(split_args(rest))
        if args.name is None:
            current: Any = api.account()
            print(current.describe() if backends.backend() == "aws" else "local backend (the emulator)")
            return None
        if args.name == "local":
            backends.use_backend("local")
            print("local backend: functions deploy and run in this kernel's emulator")
            return None
        account = backends.use_backend(
            "aws",
            profile=args.profile,
            region=args.region,
            role=args.role,
            create_role=args.create_role,
            endpoint_url=args.endpoint_url,
            max_calls=args.max_calls if args.max_calls is not None else getattr(self, "aws_max_calls", None),
        )
        print(account.describe())
        return None
