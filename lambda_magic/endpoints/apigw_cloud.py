"""The APIs a student configures through boto3, served by the account (an account extension).

The local cloud stores them; its server tells this extension what every API looks like
after each change (:mod:`.apigw_moto`).  Each served stage is one
:class:`~.apigw_deployed.DeployedHttpApi` or :class:`~.apigw_deployed.DeployedRestApi` in
the account's :class:`~.apigw.ApiGateway`, under the key ``API_ID/STAGE``:

* an HTTP API serves each stage with ``AutoDeploy`` as soon as it changes (as AWS does);
* a REST API serves, at each stage, the deployment the stage points at: a change reaches
  the traffic only with a new ``CreateDeployment`` (or ``UpdateStage`` to another deployment).

AWS's invoke URL is ``https://API_ID.execute-api.REGION.amazonaws.com/STAGE``; the local one is
:meth:`CloudApis.url` (``lm.api_url(api_id, stage)``).
"""

from __future__ import annotations

import threading
from typing import Any

from ..common.errors import ResourceNotFoundException
from .apigw import ApiGateway, GatewayApi
from .apigw_deployed import Allowed, DeployedHttpApi, DeployedRestApi, Deployment, http_deployment, rest_deployment

EXTENSION = "apigateway_cloud"
#: The module loaded into the local cloud's server.
MOTO_SIDE = "lambda_magic.endpoints.apigw_moto"


class CloudApis:
    """The boto3-configured APIs the account serves, by ``API_ID/STAGE``."""

    def __init__(self, account: Any, *, allowed: Allowed | None = None):
        self.account = account
        self.gateway = ApiGateway.of(account)
        #: ``allowed(function_arn, principal, source_arn)``: the function's resource-based policy decides.
        self.allowed = allowed
        self._lock = threading.Lock()
        self._keys: dict[str, set[str]] = {}
        #: Stages stored but not served, with the reason (an HTTP API stage without AutoDeploy...).
        self.undeployed: dict[str, str] = {}
        account.cloud_hooks.add(MOTO_SIDE, self._call)

    @classmethod
    def of(cls, account: Any, **options: Any) -> CloudApis:
        """The account's extension (made on first use; its moto side loads into the local cloud)."""
        return account.extension(EXTENSION, lambda: cls(account, **options))

    # --- what the moto side says --------------------------------------------------------------

    def _call(self, payload: dict[str, Any], signer: str | None) -> Any:
        state = payload["api"]
        api_id = state["api_id"]
        if payload.get("op") == "apigateway.http":
            deployments = [] if state.get("deleted") else self._http(state)
        else:
            deployments = [] if state.get("deleted") else self._rest(state)
        self._reconcile(api_id, deployments, rest=payload.get("op") != "apigateway.http")
        return {"served": [d.stage for d in deployments]}

    def _http(self, state: dict[str, Any]) -> list[Deployment]:
        if state.get("protocol_type") != "HTTP":
            return []  # WebSocket APIs are not served
        deployments = []
        for stage in state.get("stages", []):
            key = f"{state['api_id']}/{stage['stageName']}"
            if stage.get("autoDeploy"):
                deployments.append(http_deployment(state, stage))
                self.undeployed.pop(key, None)
            else:
                self.undeployed[key] = (
                    "not deployed: moto has no CreateDeployment for HTTP APIs; make the stage with AutoDeploy=True"
                )
        return deployments

    def _rest(self, state: dict[str, Any]) -> list[Deployment]:
        deployments = []
        for stage in state.get("stages", []):
            key = f"{state['api_id']}/{stage['stage']}"
            if stage.get("snapshot") is None:
                self.undeployed[key] = "no deployment: call create_deployment(restApiId=..., stageName=...)"
                continue
            self.undeployed.pop(key, None)
            deployments.append(rest_deployment(state["api_id"], stage["snapshot"], stage))
        return deployments

    def _reconcile(self, api_id: str, deployments: list[Deployment], *, rest: bool) -> None:
        wanted = {f"{api_id}/{d.stage}": d for d in deployments}
        with self._lock:
            old = self._keys.get(api_id, set())
            self._keys[api_id] = set(wanted)
        for key in old - set(wanted):
            self.gateway.delete(key)
        kind = DeployedRestApi if rest else DeployedHttpApi
        for key, deployment in wanted.items():
            current = self.gateway.get(key)
            if isinstance(current, kind):
                current.deploy(deployment)
            else:
                self.gateway.put(
                    lambda port, d=deployment: kind(self.gateway, d, allowed=self.allowed, port=port),
                    key,
                )

    # --- what the student asks -----------------------------------------------------------------

    def apis(self) -> list[GatewayApi]:
        """The served stages of boto3-configured APIs."""
        with self._lock:
            keys = sorted(k for ks in self._keys.values() for k in ks)
        return [api for api in (self.gateway.get(k) for k in keys) if api is not None]

    def get(self, api_id: str, stage: str | None = None) -> GatewayApi:
        """The served stage of an API (``stage`` may be left out when it has one)."""
        with self._lock:
            keys = sorted(self._keys.get(api_id, ()))
        if stage is None:
            if len(keys) == 1:
                stage = keys[0].partition("/")[2]
            elif keys:
                stages = ", ".join(k.partition("/")[2] for k in keys)
                raise ResourceNotFoundException(f"API {api_id} has stages {stages}: give stage=")
        key = f"{api_id}/{stage}"
        api = self.gateway.get(key) if key in keys else None
        if api is None:
            why = self.undeployed.get(key) or next(
                (v for k, v in self.undeployed.items() if k.startswith(f"{api_id}/")), None
            )
            raise ResourceNotFoundException(
                f"API {api_id}"
                + (f" stage {stage}" if stage else "")
                + " is not served"
                + (f" ({why})" if why else ": no such API in the local cloud, or no stage deployed yet")
            )
        return api

    def url(self, api_id: str, stage: str | None = None) -> str:
        """The local invoke URL of an API's stage (AWS's is ``https://API_ID.execute-api.REGION.amazonaws.com/STAGE``)."""
        return self.get(api_id, stage).url

    def stop(self) -> None:
        self.account.cloud_hooks.discard(MOTO_SIDE)
        with self._lock:
            keys = [k for ks in self._keys.values() for k in ks]
            self._keys.clear()
        for key in keys:
            self.gateway.delete(key)
