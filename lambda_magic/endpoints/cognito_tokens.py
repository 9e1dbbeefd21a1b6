"""Cognito's tokens after a pre token generation trigger: the ID token issued again with its claims.

moto issues real RS256 JWTs signed with one static key that ships inside moto (the one
its ``/.well-known/jwks.json`` publishes, ``kid`` ``"dummy"``).  When a pre token
generation trigger adds, suppresses or overrides claims, the ID token is signed again
here with that same key, so it still verifies against moto's JWKS (an access token
too; the front then hands moto the token it issued, see :mod:`.cognito_claims`).  For a
custom authentication flow, which moto does not run, both tokens are made here (:func:`mint`).
"""

from __future__ import annotations

import gzip
import importlib.resources
import json
import time
import uuid
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

#: The key id moto's JWKS publishes.
KEY_ID = "dummy"
#: Claims a pre token generation trigger cannot change (Cognito's reserved claims).
RESERVED_CLAIMS = frozenset(
    [
        "acr",
        "amr",
        "aud",
        "at_hash",
        "auth_time",
        "azp",
        "cognito:username",
        "exp",
        "iat",
        "identities",
        "iss",
        "jti",
        "nbf",
        "nonce",
        "origin_jti",
        "sub",
        "token_use",
    ]
)
#: Further claims of an access token that claims cannot change (scopes change through scopesToAdd...).
ACCESS_RESERVED = frozenset(["client_id", "username", "scope", "cognito:groups"])


@lru_cache(maxsize=1)
def _private_key() -> Any:
    """moto's private JWK (read from the installed moto package)."""
    import jwt

    resource = importlib.resources.files("moto.cognitoidp").joinpath("resources/jwks-private.json.gz")
    document = json.loads(gzip.decompress(resource.read_bytes()))
    key = document["keys"][0] if "keys" in document else document
    return jwt.PyJWK(key, algorithm="RS256").key


def claims(token: str) -> dict[str, Any]:
    """The payload of a token (its signature not checked: it came from the local cloud)."""
    import jwt

    return dict(jwt.decode(token, options={"verify_signature": False}))


def sign(payload: Mapping[str, Any]) -> str:
    """``payload`` as a JWT signed with moto's key (header ``typ``, ``kid`` and ``alg`` as moto's)."""
    import jwt

    return jwt.encode(dict(payload), _private_key(), algorithm="RS256", headers={"kid": KEY_ID})


def override(
    token: str,
    *,
    add: Mapping[str, Any] | None = None,
    suppress: list[str] | None = None,
    groups: list[str] | None = None,
    scopes_to_add: list[str] | None = None,
    scopes_to_suppress: list[str] | None = None,
) -> str:
    """``token`` signed again with claims added (or overridden), suppressed, ``cognito:groups``
    replaced (``groups=[]`` removes it) and, for an access token, scopes added or removed;
    reserved claims are never touched and suppression wins over addition."""
    payload = claims(token)
    fixed = RESERVED_CLAIMS | (ACCESS_RESERVED if payload.get("token_use") == "access" else frozenset())
    dropped = set(suppress or ()) - fixed
    for name, value in (add or {}).items():
        if name not in fixed and name not in dropped:
            payload[name] = value
    for name in dropped:
        payload.pop(name, None)
    if groups is not None:
        payload.pop("cognito:groups", None)
        if groups:
            payload["cognito:groups"] = list(groups)
    if scopes_to_add or scopes_to_suppress:
        scopes = [s for s in str(payload.get("scope", "")).split() if s not in (scopes_to_suppress or ())]
        scopes += [s for s in scopes_to_add or () if s not in scopes and s not in (scopes_to_suppress or ())]
        payload["scope"] = " ".join(scopes)
    return sign(payload)


def mint(*, region: str, pool_id: str, client_id: str, username: str, sub: str, extra: Mapping[str, Any]) -> dict:
    """An ``AuthenticationResult`` made here (ID, access and refresh tokens) for a flow moto
    does not run; ``extra`` are the ID token's further claims (attributes, groups)."""
    now = int(time.time())
    origin = str(uuid.uuid4())
    common = {
        "iss": f"https://cognito-idp.{region}.amazonaws.com/{pool_id}",
        "sub": sub,
        "iat": now,
        "auth_time": now,
        "exp": now + 3600,
        "origin_jti": origin,
    }
    id_token = {**common, "aud": client_id, "token_use": "id", "jti": str(uuid.uuid4())}
    id_token.update({"cognito:username": username, **extra})
    access = {
        **common,
        "client_id": client_id,
        "token_use": "access",
        "scope": "aws.cognito.signin.user.admin",
        "username": username,
        "jti": str(uuid.uuid4()),
    }
    if "cognito:groups" in extra:
        access["cognito:groups"] = extra["cognito:groups"]
    return {
        "IdToken": sign(id_token),
        "AccessToken": sign(access),
        "RefreshToken": str(uuid.uuid4()),
        "ExpiresIn": 3600,
        "TokenType": "Bearer",
    }
