"""The module-level Python API for CloudFormation stacks with custom resources
(``lm.cloudformation.create_stack``, ``.update_stack``, ``.delete_stack``), on the default
account of :mod:`lambda_magic.api`.

Custom resources (``Custom::*``, ``AWS::CloudFormation::CustomResource``, with a
``ServiceToken`` naming a function) run as on AWS: the function is invoked asynchronously
and the stack waits for the document it PUTs to the HTTPS ``ResponseURL`` (``cfnresponse``
and crhelper work unchanged).  Every other resource goes to the local cloud's
CloudFormation, and ``lm.client("cloudformation").describe_stacks`` agrees with the status.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .display.stack_view import StackView
    from .runtime.account import LocalAccount


def _account() -> LocalAccount:
    from .api import account as default_account

    return default_account()


def responses(acc: LocalAccount) -> Any:
    """The account's ResponseURL server (an extension; events rendered from ``cloudformation/*``
    templates carry a URL on it)."""
    from .endpoints.cfn_responses import ResponseUrls

    return ResponseUrls.of(acc)


def arrived(acc: LocalAccount, event: Any) -> bytes | None:
    """The document last PUT to ``event``'s ResponseURL (None if none arrived or not ours)."""
    from .endpoints.cfn_responses import EXTENSION

    if not hasattr(acc, "extension") or EXTENSION not in acc.extensions():  # (the AWS backend has no such server)
        return None
    return responses(acc).arrived(event)


def stacks(acc: LocalAccount) -> Any:
    """The account's driven stacks (an extension: its moto hook is added before the cloud starts)."""
    from .endpoints.cfn_stacks import CloudFormationStacks

    return CloudFormationStacks.of(acc)


def _stacks() -> Any:
    return stacks(_account())


def _view(stack: Any, wait: bool) -> StackView:
    from .display.stack_view import StackView

    view = StackView(stack)
    return view.wait() if wait else view


def create_stack(
    name: str, template: Any, parameters: Mapping[str, Any] | None = None, *, wait: bool = True
) -> StackView:
    """Create stack ``name`` from ``template`` (a dict, or JSON/YAML text) with ``parameters``;
    with ``wait`` (the default) return once it is ``CREATE_COMPLETE`` or rolled back, and the
    invocations it sent have ended (their logs are in)."""
    return _view(_stacks().create_stack(name, template, parameters), wait)


def update_stack(
    name: str, template: Any, parameters: Mapping[str, Any] | None = None, *, wait: bool = True
) -> StackView:
    """Update stack ``name`` to ``template``: custom resources whose properties changed get an
    Update request (a new PhysicalResourceId means replacement: the old one gets a Delete)."""
    return _view(_stacks().update_stack(name, template, parameters), wait)


def delete_stack(name: str, *, wait: bool = True) -> StackView:
    """Delete stack ``name``: each custom resource gets a Delete request, then the rest goes."""
    return _view(_stacks().delete_stack(name), wait)


def stack(name: str) -> StackView:
    """The stack ``name`` (or a deleted one by its stack id)."""
    from .display.stack_view import StackView

    return StackView(_stacks().get(name))
