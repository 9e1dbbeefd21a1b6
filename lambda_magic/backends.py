"""Which backend the module-level API acts on: the local emulator, or AWS (``use_backend``)."""

from __future__ import annotations

from typing import Any

from . import api
from .common.errors import InvalidParameterValueException


def use_backend(
    name: str = "local",
    *,
    profile: str | None = None,
    region: str | None = None,
    role: str | None = None,
    endpoint_url: str | None = None,
    max_calls: int | None = None,
    create_role: bool = False,
    ask: Any = input,
    **options: Any,
) -> Any:
    """Make ``lm.register``, ``lm.invoke``, ``lm.logs``... act on ``"aws"`` (boto3's credential
    chain, or ``profile``; ``endpoint_url``: e.g. a moto server) or on ``"local"`` again.

    ``max_calls`` bounds the deploys and invokes sent from this kernel (counted across switches):
    past it each one asks (``ask``, ``input`` by default; ``None`` refuses).  Returns the account.
    The local backend never reads credentials."""
    if name == "local":
        api._default.backend = None
        return api.account()
    if name != "aws":
        raise InvalidParameterValueException(f"backend {name!r}: use 'local' or 'aws'")
    from .aws import AwsAccount, CallGuard
    from .display.presenter import DisplayPresenter

    used = api._default.aws_calls_used()
    limit = max_calls if max_calls is not None else api._default.aws_max_calls
    account = AwsAccount(
        profile=profile,
        region=region,
        role=role,
        endpoint_url=endpoint_url,
        create_role=create_role,
        guard=CallGuard(limit, ask=ask, used=used),
        presenter=DisplayPresenter(),
        **options,
    )
    account.account_id  # noqa: B018  # sts get-caller-identity now: bad credentials fail here, in one line
    api._default.backend = account
    return account


def backend() -> str:
    """The backend in use: ``"local"`` or ``"aws"``."""
    return "local" if api._default.backend is None else "aws"


def set_max_calls(max_calls: int | None) -> None:
    """The cost guard's limit for the AWS backend in use and the next ones (``%config LambdaMagic.aws_max_calls``)."""
    api._default.aws_max_calls = max_calls
    if api._default.backend is not None:
        api._default.backend.guard.max_calls = max_calls
