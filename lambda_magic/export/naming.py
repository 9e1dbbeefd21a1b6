"""Logical ids and references: how the template names what the account holds."""

from __future__ import annotations

import re
from typing import Any

_NOT_ALNUM = re.compile(r"[^A-Za-z0-9]+")


def logical_id(name: str, suffix: str = "") -> str:
    """A CloudFormation logical id (alphanumeric, starting with a letter) for ``name``:
    ``orders-queue`` -> ``OrdersQueue``."""
    words = [w for w in _NOT_ALNUM.split(name) if w]
    text = "".join(w[:1].upper() + w[1:] for w in words) or "Resource"
    if not text[0].isalpha():
        text = "R" + text
    return (text + suffix)[:255]


def ref(logical: str) -> dict[str, Any]:
    return {"Ref": logical}


def get_att(logical: str, attribute: str) -> dict[str, Any]:
    return {"Fn::GetAtt": [logical, attribute]}


def arn_name(arn: str) -> str:
    """The last part of an ARN (``...:queue-name`` or ``.../stream-name``)."""
    tail = arn.rsplit(":", 1)[-1]
    return tail.rsplit("/", 1)[-1]


def arn_service(arn: str) -> str:
    parts = arn.split(":")
    return parts[2] if arn.startswith("arn:") and len(parts) > 2 else ""
