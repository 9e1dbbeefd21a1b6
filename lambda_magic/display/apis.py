"""The notebook's handle on an API Gateway API or function URL: its address, routes and access log."""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING, Any

from ..common.api_access_log import ACCESS_LOG_COLUMNS
from .theme import BOX, TD, TH

if TYPE_CHECKING:
    import pandas as pd


def access_log_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """The access log as a DataFrame (one row per request, oldest first; ``time`` as a timestamp)."""
    import pandas as pd

    frame = pd.DataFrame(rows, columns=list(ACCESS_LOG_COLUMNS))
    frame["time"] = pd.to_datetime(frame["time"], unit="s", utc=True)
    return frame


class ApiView:
    """An API as the notebook sees it: ``.url``, ``.requests()`` (the access log), ``.routes``."""

    def __init__(self, api: Any):
        self._api = api

    @property
    def name(self) -> str:
        return self._api.name

    @property
    def url(self) -> str:
        """The invoke URL (``requests.get(api.url + "/items/42")``)."""
        return self._api.url

    @property
    def api_id(self) -> str:
        return self._api.api_id

    @property
    def kind(self) -> str:
        return "HTTP API" if self._api.kind == "http" else "REST API"

    @property
    def routes(self) -> list[dict[str, Any]]:
        return self._api.routes()

    def requests(self) -> pd.DataFrame:
        """The access log: method, path, route, status, latency_ms, integration_latency_ms, request_id,
        function, function_request_id."""
        return access_log_frame(self._api.requests())

    def __repr__(self) -> str:
        lines = [f"{self.kind} {self.name!r} ({self.api_id}) at {self.url}"]
        lines += [
            f"  {r['route']:<28} -> {r['function']}" + (f"  [authorizer {r['authorizer']}]" if r["authorizer"] else "")
            for r in self.routes
        ]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><td style='{TD}'><code>{escape(r['route'])}</code></td><td style='{TD}'>{escape(r['function'])}</td>"
            f"<td style='{TD}'>{escape(r['authorizer'] or '')}</td></tr>"
            for r in self.routes
        )
        return (
            f"<div style='{BOX}'><b>{escape(self.kind)} {escape(self.name)}</b> "
            f"<a href='{escape(self.url)}' target='_blank'><code>{escape(self.url)}</code></a>"
            f"<table><tr><th style='{TH}'>route</th><th style='{TH}'>function</th>"
            f"<th style='{TH}'>authorizer</th></tr>{rows}</table></div>"
        )
