"""The state of one rendering: account, region, clock and the source of fresh ids.

Each call to ``Catalog.render`` makes one :class:`RenderContext`.  Ids come from a
``random.Random`` seeded from the OS (fresh every time) or from ``seed`` (reproducible);
times come from ``now`` or the current UTC time, in each AWS source's own format.
"""

from __future__ import annotations

import random
import re
import string
import uuid
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from types import MappingProxyType
from typing import Any

from ..common.errors import InvalidParameterValueException

_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d{1,2}$")
_ACCOUNT = re.compile(r"^\d{12}$")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
ALPHABETS = MappingProxyType(
    {
        "hex": "0123456789abcdef",
        "HEX": "0123456789ABCDEF",
        "digits": string.digits,
        "alnum": string.ascii_letters + string.digits,
        "lower": string.ascii_lowercase + string.digits,
        "upper": string.ascii_uppercase + string.digits,
        "base64": string.ascii_letters + string.digits + "+/",
        "base64url": string.ascii_letters + string.digits + "-_",
    }
)
TIME_FORMATS = (
    "iso_ms",
    "iso_s",
    "iso_ms_offset",
    "iso_ms_local",
    "epoch_s",
    "epoch_ms",
    "epoch_ms_string",
    "epoch_s_float",
    "clf",
    "rfc2822",
    "sequencer",
    "amz_date",
    "date_compact",
    "date_slash",
)


def partition_of(region: str) -> str:
    """The ARN partition of a region: ``aws``, ``aws-cn`` or ``aws-us-gov``."""
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


class RenderContext:
    """Account, region, time and random ids for one rendering (not shared between renders)."""

    def __init__(self, *, region: str, account_id: str, seed: int | None, now: datetime | None) -> None:
        if not isinstance(region, str) or not _REGION.match(region):
            raise InvalidParameterValueException(f"region must look like 'us-east-1'; got {region!r}")
        if not isinstance(account_id, str) or not _ACCOUNT.match(account_id):
            raise InvalidParameterValueException(f"account_id must be 12 digits as a string; got {account_id!r}")
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            raise InvalidParameterValueException(f"seed must be an integer or None; got {seed!r}")
        if now is not None and not isinstance(now, datetime):
            raise InvalidParameterValueException(f"now must be a datetime or None; got {now!r}")
        self.region = region
        self.account_id = account_id
        self.partition = partition_of(region)
        self.dns_suffix = "amazonaws.com.cn" if self.partition == "aws-cn" else "amazonaws.com"
        self.rng = random.Random(seed)  # seed None: seeded from os.urandom, so ids are fresh
        if now is None:
            now = datetime.now(timezone.utc)
        elif now.tzinfo is None:
            now = now.replace(tzinfo=timezone.utc)  # a naive time is taken as UTC
        self.now = now.astimezone(timezone.utc)
        self._sequences: dict[str, tuple[int, int]] = {}

    def builtins(self) -> dict[str, Any]:
        """The names every template may use besides its parameters."""
        return {
            "region": self.region,
            "account_id": self.account_id,
            "partition": self.partition,
            "dns_suffix": self.dns_suffix,
        }

    # --- ids ---------------------------------------------------------------------------

    def uuid(self) -> str:
        """A random (version 4) UUID drawn from this rendering's generator."""
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def token(self, kind: str, length: int) -> str:
        """``length`` random characters of one alphabet (``hex``, ``upper``, ``base64``, ...)."""
        if kind == "uuid":
            return self.uuid()
        alphabet = ALPHABETS[kind]
        text = "".join(self.rng.choice(alphabet) for _ in range(length))
        if kind == "digits" and length > 1 and text[0] == "0":
            text = self.rng.choice("123456789") + text[1:]
        return text

    def sequence(self, name: str, digits: int, start: str | None, index: int) -> str:
        """The ``index``-th number of an increasing sequence (Kinesis, DynamoDB, SQS FIFO, ...)."""
        if name not in self._sequences:
            if start is not None:
                if not (isinstance(start, str) and start.isdigit()):
                    raise InvalidParameterValueException(
                        f"a sequence number must be a string of decimal digits; got {start!r}"
                    )
                base = int(start)
            else:
                base = 10 ** (digits - 1) + self.rng.randrange(4 * 10 ** (digits - 1))
            step = self.rng.randrange(1, 10 ** max(1, digits // 3))
            self._sequences[name] = (base, step)
        base, step = self._sequences[name]
        return str(base + index * step)

    # --- time --------------------------------------------------------------------------

    def time(self, fmt: str, offset_ms: int = 0) -> Any:
        """The rendering's time (plus ``offset_ms``) in one of :data:`TIME_FORMATS`."""
        moment = self.now + timedelta(milliseconds=offset_ms)
        epoch = moment.timestamp()
        millis = f"{moment.microsecond // 1000:03d}"
        if fmt == "iso_ms":
            return moment.strftime("%Y-%m-%dT%H:%M:%S.") + millis + "Z"
        if fmt == "iso_s":
            return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
        if fmt == "iso_ms_offset":
            return moment.strftime("%Y-%m-%dT%H:%M:%S.") + millis + "+0000"
        if fmt == "iso_ms_local":
            return moment.strftime("%Y-%m-%dT%H:%M:%S.") + millis
        if fmt == "epoch_s":
            return int(epoch)
        if fmt == "epoch_ms":
            return round(epoch * 1000)
        if fmt == "epoch_ms_string":
            return str(round(epoch * 1000))
        if fmt == "epoch_s_float":
            return round(epoch, 3)
        if fmt == "clf":
            return f"{moment.day:02d}/{_MONTHS[moment.month - 1]}/{moment:%Y:%H:%M:%S} +0000"
        if fmt == "rfc2822":
            return format_datetime(moment)
        if fmt == "amz_date":  # SigV4 X-Amz-Date
            return moment.strftime("%Y%m%dT%H%M%SZ")
        if fmt == "date_compact":
            return moment.strftime("%Y%m%d")
        if fmt == "date_slash":  # log stream names
            return moment.strftime("%Y/%m/%d")
        if fmt == "sequencer":  # S3: hex that grows with time, 18 digits
            return f"{int(epoch * 1_000_000) * 1000 + self.rng.randrange(1000):018X}"
        raise ValueError(f"unknown time format {fmt!r}; formats are {TIME_FORMATS}")
