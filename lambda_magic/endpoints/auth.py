"""Who signed a request: the SigV4 credential scope, and the environment behind an access key.

SDKs sign with dummy credentials; the signature is not checked (there is no secret
to check it against), but the scope's region must be the account's, as on AWS.
Each execution environment signs with its own access key id
(:func:`~lambda_magic.runtime.environment.environment_access_key`), which names it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..runtime.environment import environment_of_access_key
from .errors import ApiError

_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/(\d{8})/([^/,\s]+)/([^/,\s]+)/aws4_request")


@dataclass(frozen=True)
class Credential:
    """The credential scope of a SigV4 ``Authorization`` header."""

    access_key_id: str
    date: str
    region: str
    service: str

    @property
    def environment_id(self) -> str | None:
        """The execution environment that signed (``env-N``), or None for any other caller."""
        return environment_of_access_key(self.access_key_id)


def credential(authorization: str | None, *, region: str, service: str) -> Credential:
    """The request's credential, refused (as AWS refuses it) when missing or scoped elsewhere."""
    if not authorization:
        raise ApiError("MissingAuthenticationTokenException", "Missing Authentication Token", 403)
    match = _CREDENTIAL.search(authorization)
    if not authorization.startswith("AWS4-HMAC-SHA256 ") or match is None:
        raise ApiError(
            "IncompleteSignatureException",
            "Authorization header requires 'Credential', 'Signature' and 'SignedHeaders' (AWS4-HMAC-SHA256)",
            403,
        )
    found = Credential(*match.groups())
    if found.region != region:
        raise ApiError(
            "InvalidSignatureException",
            f"Credential should be scoped to a valid region, not '{found.region}'. "
            f"(this local account is in {region}: use region_name='{region}')",
            403,
        )
    if found.service != service:
        raise ApiError(
            "InvalidSignatureException", f"Credential should be scoped to correct service: '{service}'.", 403
        )
    return found
