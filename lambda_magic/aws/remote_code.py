"""Code that AWS stores: its ``CodeSha256`` and ``CodeSize`` are what AWS reported."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RemoteCode:
    """A mixin for a function or layer version as AWS reports it (before the local class in the bases)."""

    remote_sha256: str = ""
    remote_size: int = 0

    @property
    def code_sha256(self) -> str:
        """``CodeSha256`` as AWS reported it."""
        return self.remote_sha256

    @property
    def code_size(self) -> int:
        """``CodeSize`` as AWS reported it."""
        return self.remote_size
