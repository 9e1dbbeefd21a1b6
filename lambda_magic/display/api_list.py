"""Every API the account serves, as a panel: ``lm.apis()`` and ``%lambda api``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

from .theme import BOX, TD, TH

_HEAD = ("name", "type", "api id", "stage", "routes")


class ApisPanel:
    """The served APIs (shortcut and boto3-configured) and the stages stored but not served."""

    def __init__(
        self, apis: Sequence[Any], undeployed: Mapping[str, str] | None = None, url_heading: str = "local URL"
    ):
        self.apis = list(apis)
        self.undeployed = dict(undeployed or {})
        self.url_heading = url_heading

    def rows(self) -> list[tuple[str, str, str, str, str, str]]:
        return [
            (
                api.name,
                "HTTP API" if api.kind == "http" else "REST API",
                api.api_id,
                api.stage,
                str(len(api.routes())),
                api.url,
            )
            for api in self.apis
        ]

    def __repr__(self) -> str:
        if not self.apis and not self.undeployed:
            return (
                "no APIs: lm.http_api(...), lm.rest_api(...), %lambda api NAME ROUTE=FUNCTION, or boto3's apigatewayv2"
            )
        lines = [f"{r[0]:<20} {r[1]:<8} {r[2]:<10} {r[3]:<10} {r[4]:>3} routes  {r[5]}" for r in self.rows()]
        lines += [f"{key}: {why}" for key, why in self.undeployed.items()]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        head = "".join(f"<th style='{TH}'>{escape(h)}</th>" for h in (*_HEAD, self.url_heading))
        body = "".join(
            "<tr>"
            + "".join(f"<td style='{TD}'>{escape(v)}</td>" for v in r[:5])
            + f"<td style='{TD}'><code>{escape(r[5])}</code></td></tr>"
            for r in self.rows()
        )
        notes = "".join(f"<div>{escape(k)}: {escape(v)}</div>" for k, v in self.undeployed.items())
        return f"<div style='{BOX}'><b>APIs</b><table><tr>{head}</tr>{body}</table>{notes}</div>"
