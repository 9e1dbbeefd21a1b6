"""The API Gateway APIs an AWS account's kernel makes: ``lm.http_api`` / ``lm.rest_api`` on the AWS
backend, the region's logging role a REST API's access log needs, and the APIs made so far
(``lm.apis()``, ``lm.api_view``)."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from ..common.errors import ResourceNotFoundException
from . import roles
from .access_log import account_logging_role
from .deploy import retrying
from .errors import client_error
from .http_api import api_label
from .triggers import Wiring

if TYPE_CHECKING:
    from .account import AwsAccount


class AccountApis:
    """The APIs one :class:`AwsAccount` made in this kernel, and how it makes them."""

    def __init__(self, account: AwsAccount):
        self._account = account
        self._made: list[Any] = []
        #: What was wired for each API made (api id -> its wiring), for replacing it.
        self._wiring_of: dict[str, list[Wiring]] = {}

    def http_api(self, name: str, routes: Mapping[str, Any], **options: Any) -> Any:
        """An HTTP API whose routes proxy to the functions (``http_api.create_http_api``), with its access log."""
        from .http_api import create_http_api

        return self._make(
            create_http_api, "apigatewayv2", name, routes, {"logs": self._account.client("logs"), **options}
        )

    def rest_api(self, name: str, routes: Mapping[str, Any], **options: Any) -> Any:
        """A REST API deployed to a stage (``rest_api.create_rest_api``), with its access log once the
        region has an API Gateway logging role (see :meth:`logging_role`)."""
        from .rest_api import create_rest_api

        logging = {"logs": self._account.client("logs"), "logging_role": self.logging_role}
        return self._make(create_rest_api, "apigateway", name, routes, {**logging, **options})

    def logging_role(self) -> str | None:
        """The region's API Gateway logging role (``cloudwatchRoleArn``); with ``create_role``, one
        is made and set when none is (one set already is kept)."""
        account = self._account
        make = (lambda: roles.ensure_api_gateway_logs_role(account.client("iam"))) if account.create_role else None
        delay_s = account.deployer.retry_delay_s

        def retry(call: Callable[[], Any], **how: Any) -> Any:
            return retrying(call, delay_s=delay_s, **how)

        return account_logging_role(account.client("apigateway"), make, retry)

    def made(self) -> list[Any]:
        """The APIs made in this kernel and not deleted since (deleting their functions deletes them)."""
        standing = {w.what for w in self._account.wiring_records()}
        return [api for api in self._made if api_label(_kind_name(api), api.api_id, api.name) in standing]

    def get(self, name: str) -> Any:
        """The API made in this kernel called ``name`` (or with id ``name``); the newest of that name."""
        for api in reversed(self.made()):
            if name in (api.name, api.api_id):
                return api
        raise ResourceNotFoundException(f"no API {name!r} made on AWS in this kernel: lm.http_api / lm.rest_api")

    def _make(self, create: Any, service: str, name: str, routes: Mapping[str, Any], options: Any) -> Any:
        account = self._account
        try:
            api, wiring = create(
                account.client(service),
                account.client("lambda"),
                name,
                routes,
                function_arn=account.function_arn,
                region=account.region,
                account_id=account.account_id,
                **options,
            )
        except ClientError as exc:
            raise client_error(exc) from None
        account.add_wiring(wiring)
        previous = [made for made in self.made() if made.name == api.name]
        self._made.append(api)
        self._wiring_of[api.api_id] = list(wiring)
        for old in previous:  # declaring an API again replaces it, once the new one is made
            self._remove(old)
        return api

    def _remove(self, api: Any) -> None:
        """Delete an API made here and the permissions given for it (what is gone already is skipped)."""
        left = []
        standing = self._account.wiring_records()
        for wiring in reversed(self._wiring_of.pop(api.api_id, [])):
            if wiring not in standing:
                continue
            try:
                wiring.undo()
            except ClientError as exc:
                code = exc.response.get("Error", {}).get("Code", "")
                if code not in ("ResourceNotFoundException", "NotFoundException"):
                    left.append(f"{wiring.what} ({code})")
            self._account.remove_wiring(wiring)
        self._made.remove(api)
        if left:
            warnings.warn(f"the replaced API {api.api_id} left behind: {', '.join(left)}", stacklevel=3)


def _kind_name(api: Any) -> str:
    return "HTTP API" if api.kind == "http" else "REST API"
