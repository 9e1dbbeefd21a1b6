"""The endpoints panel: which loopback address serves which AWS service."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from html import escape

from .theme import BOX, TD, TH


class EndpointsPanel(Mapping):
    """A mapping of service name (``"*"``: every other service) to URL, shown as a small panel
    with a ready AWS CLI line."""

    def __init__(self, addresses: dict[str, str], *, region: str):
        self._addresses = dict(addresses)
        self.region = region

    def __getitem__(self, service: str) -> str:
        return self._addresses[service]

    def __iter__(self) -> Iterator[str]:
        return iter(self._addresses)

    def __len__(self) -> int:
        return len(self._addresses)

    @property
    def cli(self) -> str:
        """A ready AWS CLI command against the Lambda API."""
        return f"aws --endpoint-url {self._addresses['lambda']} --region {self.region} lambda list-functions"

    def _label(self, service: str) -> str:
        return "every other service (local cloud)" if service == "*" else service

    def __repr__(self) -> str:
        width = max(len(self._label(s)) for s in self._addresses)
        lines = ["Endpoints on loopback:"]
        lines += [f"  {self._label(s):<{width}}  {url}" for s, url in self._addresses.items()]
        lines.append(f"  try: {self.cli}")
        lines.append("  (any dummy credentials; boto3 in a handler already has AWS_ENDPOINT_URL_LAMBDA)")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><th style='{TH}'>{escape(self._label(s))}</th><td style='{TD}'><code>{escape(url)}</code></td></tr>"
            for s, url in self._addresses.items()
        )
        return (
            f'<div style="{BOX}">'
            "<b>Endpoints on loopback</b>"
            f"<table style='margin:4px 0'>{rows}</table>"
            f"<div>try: <code>{escape(self.cli)}</code></div></div>"
        )
