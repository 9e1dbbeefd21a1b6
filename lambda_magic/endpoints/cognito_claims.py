"""The pre token generation trigger: its event, and its answer written into the tokens.

The pool's ``PreTokenGenerationConfig.LambdaVersion`` picks the event: ``V1_0`` (event
``version`` ``"1"``) customises the ID token only, with ``claimsOverrideDetails``
(``claimsToAddOrOverride``, ``claimsToSuppress``, ``groupOverrideDetails``); ``V2_0`` and
``V3_0`` (``version`` ``"2"``/``"3"``, with the access token's ``scopes`` in the request)
answer ``claimsAndScopeOverrideDetails`` with an ``idTokenGeneration`` and an
``accessTokenGeneration`` (claims, and ``scopesToAdd``/``scopesToSuppress``).
``groupOverrideDetails`` replaces ``cognito:groups`` in both tokens; an empty one removes it.

moto looks up the access tokens it issued (``GetUser`` and the other calls that take an
``AccessToken``), so a rewritten access token is remembered with moto's original, and the
front hands moto the original (:meth:`~.cognito_idp.CognitoIdpAPI.moto_token`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from . import cognito_tokens
from .cognito_lambda import attributes

if TYPE_CHECKING:
    from .cognito_idp import CognitoCall

_VERSIONS = {"V1_0": "1", "V2_0": "2", "V3_0": "3"}


def groups_of(call: CognitoCall, username: str) -> tuple[list[str], list[str]]:
    """The user's group names and the groups' IAM roles."""
    listed = call.moto("AdminListGroupsForUser", UserPoolId=call.pool_id, Username=username).get("Groups", [])
    return [g["GroupName"] for g in listed], [g["RoleArn"] for g in listed if g.get("RoleArn")]


def pre_token_generation(call: CognitoCall, username: str, source: str, tokens: dict[str, Any]) -> None:
    """Run the pre token generation trigger (when the pool has one) and apply its answer to ``tokens``."""
    if not call.config.get("PreTokenGeneration"):
        return
    version = _VERSIONS.get(str((call.config.get("PreTokenGenerationConfig") or {}).get("LambdaVersion")), "1")
    user = call.user(username)
    groups, roles = groups_of(call, username)
    request: dict[str, Any] = {
        "userAttributes": attributes(user),
        "groupConfiguration": {"groupsToOverride": groups, "iamRolesToOverride": roles, "preferredRole": None},
        "clientMetadata": None,
    }
    if version != "1" and tokens.get("AccessToken"):
        request["scopes"] = str(cognito_tokens.claims(tokens["AccessToken"]).get("scope", "")).split()
    empty = {"claimsOverrideDetails": None} if version == "1" else {"claimsAndScopeOverrideDetails": None}
    answer = call.run(
        "PreTokenGeneration",
        source,
        user["Username"],
        request,
        response=empty,
        client_id=call.client_id,
        version=version,
    )
    if not answer:
        return
    v1, v2 = answer.get("claimsOverrideDetails"), answer.get("claimsAndScopeOverrideDetails")
    details = v1 if isinstance(v1, Mapping) else v2 if isinstance(v2, Mapping) else None
    if details is None:
        return
    new_groups: list[str] | None = None
    if "groupOverrideDetails" in details:
        new_groups = list((details.get("groupOverrideDetails") or {}).get("groupsToOverride") or [])
    id_block = details if details is v1 else details.get("idTokenGeneration") or {}
    tokens["IdToken"] = cognito_tokens.override(
        tokens["IdToken"],
        add=id_block.get("claimsToAddOrOverride") or {},
        suppress=id_block.get("claimsToSuppress") or [],
        groups=new_groups,
    )
    access_block = (details.get("accessTokenGeneration") or {}) if details is v2 else {}
    if tokens.get("AccessToken") and (access_block or new_groups is not None):
        original = tokens["AccessToken"]
        tokens["AccessToken"] = cognito_tokens.override(
            original,
            add=access_block.get("claimsToAddOrOverride") or {},
            suppress=access_block.get("claimsToSuppress") or [],
            groups=new_groups,
            scopes_to_add=access_block.get("scopesToAdd") or [],
            scopes_to_suppress=access_block.get("scopesToSuppress") or [],
        )
        call.api.remember_token(tokens["AccessToken"], original)
