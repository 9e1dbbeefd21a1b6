"""What the API checks of an uploaded zip before the runtime reads it (its size)."""

from __future__ import annotations

from .errors import ApiError

ZIP_MAX_BYTES = 50 * 1024 * 1024  # a direct upload


def check_upload(package: bytes, operation: str) -> bytes:
    """``package`` if it fits a direct upload; else the 413 Lambda answers."""
    if len(package) > ZIP_MAX_BYTES:
        raise ApiError(
            "RequestEntityTooLargeException",
            f"Request must be smaller than 69905067 bytes for the {operation} operation",
            413,
        )
    return package
