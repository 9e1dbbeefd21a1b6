"""Millisecond metering and the price of an invocation (us-east-1 list prices)."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path


def billed_duration_ms(duration_ms: float, init_duration_ms: float | None = None) -> int:
    """Billed Duration = ceil(Duration + Init Duration), the rule since 1 August 2025."""
    return math.ceil(duration_ms + (init_duration_ms or 0.0))


@dataclass(frozen=True)
class PriceList:
    """Request and GB-second prices per architecture, read from ``prices.json``."""

    request_usd: float
    gb_second_usd: dict[str, float]
    region: str

    @classmethod
    def load(cls, path: Path | None = None) -> PriceList:
        data = json.loads((path or Path(__file__).with_name("prices.json")).read_text())
        return cls(data["request_usd"], dict(data["gb_second_usd"]), data["region"])

    def cost_usd(self, billed_ms: int, memory_mb: int, architecture: str) -> float:
        """One request plus (memory GB x billed seconds) at the first tier's price."""
        gb_seconds = memory_mb / 1024 * billed_ms / 1000
        return self.request_usd + gb_seconds * self.gb_second_usd[architecture]
