"""The presenter the runtime's objects call for their HTML and DataFrame forms."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .cell_lines import CellOrigins

if TYPE_CHECKING:
    from ..runtime.invocation import Invocation


class DisplayPresenter:
    """Renders invocations; imports its rendering modules (and pandas) on first use."""

    def __init__(self) -> None:
        #: The account whose invocations this presents (set by whoever made it).
        self.account: Any = None

    @property
    def cells(self) -> CellOrigins | None:
        """Which ``%%lambda`` cell registered which code (tracebacks point at cell lines); forgotten by a reset."""
        if self.account is None:
            return None
        origins: CellOrigins = self.account.extension("cell_origins", CellOrigins)
        return origins

    def invocation_html(self, invocation: Invocation) -> str:
        from .panels import invocation_html

        return invocation_html(invocation)

    def invocation_frame(self, invocation: Invocation) -> Any:
        from .frames import invocations_frame

        return invocations_frame([invocation])
