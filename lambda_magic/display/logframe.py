"""A DataFrame of log events that shows whole messages (imports pandas: load lazily)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from .retained import RetainedFrame


class LogFrame(RetainedFrame):
    """A ``pandas.DataFrame`` whose display does not cut log messages at 50 characters
    (and says when retention dropped older events).

    Everything else is plain pandas; frames derived from it stay LogFrames.
    """

    @property
    def _constructor(self) -> Any:
        return LogFrame

    def _repr_html_(self) -> str | None:
        with pd.option_context("display.max_colwidth", None):
            return super()._repr_html_()

    def __repr__(self) -> str:
        with pd.option_context("display.max_colwidth", None):
            return super().__repr__()
