"""The catalog of event templates: read the data files once, list, look up and render.

>>> catalog = Catalog.load()
>>> catalog.get("s3/put").params[0].name
'bucket'
>>> event = catalog.render("sqs/receive-message", {"records": ["a", "b"]}, seed=1)
>>> [record["body"] for record in event["Records"]]
['a', 'b']
"""

from __future__ import annotations

import difflib
import functools
import json
from collections.abc import Iterator, Mapping
from datetime import datetime
from importlib import resources
from typing import Any

from ..common.errors import InvalidParameterValueException, UnknownParameterError, UnknownTemplateError
from .coerce import coerce
from .context import RenderContext
from .model import Template, TemplateFileError, parse_template
from .render import Renderer

#: Names that belong to ``render``'s keyword options, not to any template.
RENDER_OPTIONS = ("region", "account_id", "seed", "now")


class Catalog:
    """Every event template: ``templates()``, ``get(id)``, ``services()`` and ``render(id, ...)``.

    Templates are the data files ``lambda_magic/events/templates/<service>/<event>.json``.
    A catalog is immutable; :meth:`load` reads the files once per process.
    """

    def __init__(self, entries: Mapping[str, tuple[Template, dict[str, Any], Any]]) -> None:
        self._entries = dict(sorted(entries.items()))

    @classmethod
    def load(cls) -> Catalog:
        """The catalog of the packaged templates (read from disk on the first call only)."""
        return _load_packaged()

    @classmethod
    def from_files(cls, files: Iterator[tuple[str, str]]) -> Catalog:
        """A catalog from ``(where, JSON text)`` pairs; ``where`` names the file in errors."""
        entries: dict[str, tuple[Template, dict[str, Any], Any]] = {}
        for where, text in files:
            try:
                data = json.loads(text)
            except json.JSONDecodeError as exc:
                raise TemplateFileError(f"{where}: not valid JSON: {exc}") from None
            template, variables, body = parse_template(data, where)
            if where.endswith(".json") and not where.endswith(f"{template.service}/{template.event}.json"):
                raise TemplateFileError(
                    f"{where}: a template with id {template.id!r} belongs in templates/{template.id}.json"
                )
            if template.id in entries:
                raise TemplateFileError(f"{where}: template id {template.id!r} is defined twice")
            entries[template.id] = (template, variables, body)
        return cls(entries)

    # --- listing -----------------------------------------------------------------------

    def templates(self, service: str | None = None) -> list[Template]:
        """All templates sorted by id, or those of one ``service`` (unknown service: an error)."""
        if service is None:
            return [entry[0] for entry in self._entries.values()]
        if service not in self.services():
            hint = _suggest(service, self.services()) or f"; services are {', '.join(self.services())}"
            raise UnknownTemplateError(f"unknown service {service!r}{hint}")
        return [entry[0] for entry in self._entries.values() if entry[0].service == service]

    def services(self) -> list[str]:
        """The services that have templates, sorted."""
        return sorted({entry[0].service for entry in self._entries.values()})

    def get(self, template_id: str) -> Template:
        """The template ``template_id`` (``service/event``); an unknown id is a one-line error."""
        entry = self._entries.get(template_id)
        if entry is None:
            raise UnknownTemplateError(f"unknown template {template_id!r}{self._suggest_id(template_id)}")
        return entry[0]

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, template_id: object) -> bool:
        return template_id in self._entries

    def __repr__(self) -> str:
        params = sum(len(t.params) for t in self.templates())
        return f"<Catalog: {len(self.services())} services, {len(self)} event types, {params} parameters>"

    # --- rendering ---------------------------------------------------------------------

    def render(
        self,
        template_id: str,
        params: Mapping[str, Any] | None = None,
        *,
        region: str = "us-east-1",
        account_id: str = "123456789012",
        seed: int | None = None,
        now: datetime | None = None,
    ) -> dict:
        """The event ``template_id`` with ``params`` (others take their defaults), as a dict.

        Values may be Python values of the parameter's type or strings (``"2048"``,
        ``"true"``, JSON text).  Ids are fresh and times current unless ``seed`` and
        ``now`` are given: the same seed and time give the same event.  ARNs use
        ``region`` and ``account_id``.  Unknown names and bad values raise one-line
        :class:`~lambda_magic.common.errors.LambdaMagicError` subclasses.
        """
        template = self.get(template_id)
        _, variables, body = self._entries[template_id]
        if params is not None and not isinstance(params, Mapping):
            raise InvalidParameterValueException(f"params must map parameter names to values; got {params!r:.60}")
        values = self.resolve(template, params or {})
        ctx = RenderContext(region=region, account_id=account_id, seed=seed, now=now)
        event = Renderer(template_id, values, ctx).render(variables, body)
        try:
            return json.loads(json.dumps(event))  # plain JSON types only, and no shared objects
        except (TypeError, ValueError) as exc:
            raise InvalidParameterValueException(
                f"{template_id}: the event would hold a value JSON cannot carry ({exc}); "
                "sets and bytes belong in DynamoDB images only"
            ) from None

    def resolve(self, template: Template, params: Mapping[str, Any]) -> dict[str, Any]:
        """Every parameter's value: the given ones checked and converted, the rest defaults."""
        known = {p.name: p for p in template.params}
        for name in params:
            if name not in known:
                raise UnknownParameterError(self._unknown_param(template, name))
        values = {}
        for name, param in known.items():
            if name in params and not (params[name] is None and param.default is None):
                values[name] = coerce(param, params[name], template.id)
            else:
                values[name] = param.default
        return values

    def _unknown_param(self, template: Template, name: str) -> str:
        names = [p.name for p in template.params]
        if name in RENDER_OPTIONS:
            return (
                f"{name!r} is not a parameter of {template.id}; it is an option of every template: "
                f"pass {name}=... to render()"
            )
        listing = ", ".join(names) if names else "none"
        hint = _suggest(name, names, normalise=True)
        return f"unknown parameter {name!r} for {template.id}{hint} (parameters: {listing})"

    def _suggest_id(self, template_id: str) -> str:
        ids = list(self._entries)
        hint = _suggest(template_id, ids)
        if hint:
            return hint
        service, _, event = template_id.partition("/")
        if service in self.services():
            events = [t.id for t in self.templates(service)]
            return f"; {service} has {', '.join(repr(i) for i in events)}"
        by_event = [
            i
            for i in ids
            if i.split("/", 1)[1]
            in difflib.get_close_matches(event or service, [j.split("/", 1)[1] for j in ids], n=3, cutoff=0.75)
        ]
        if by_event:
            return "; did you mean " + " or ".join(repr(i) for i in by_event[:3]) + "?"
        return f"; services are {', '.join(self.services())}"


def _suggest(name: str, candidates: list[str], normalise: bool = False) -> str:
    """``"; did you mean 'x'?"`` for the closest candidates, or ``""``."""
    lookup = {c: c for c in candidates}
    probe = name
    if normalise:  # "queue-name", "QueueName" and "queuename" all find "queue_name"
        lookup = {c.replace("_", "").lower(): c for c in candidates}
        probe = name.replace("-", "").replace("_", "").lower()
    matches = difflib.get_close_matches(probe, list(lookup), n=3, cutoff=0.6)
    if not matches:
        return ""
    return "; did you mean " + " or ".join(repr(lookup[m]) for m in matches) + "?"


def _template_files() -> Iterator[tuple[str, str]]:
    root = resources.files("lambda_magic.events") / "templates"
    for service in sorted(root.iterdir(), key=lambda p: p.name):
        if not service.is_dir():
            continue
        for file in sorted(service.iterdir(), key=lambda p: p.name):
            if file.name.endswith(".json"):
                yield f"templates/{service.name}/{file.name}", file.read_text(encoding="utf-8")


@functools.lru_cache(maxsize=1)
def _load_packaged() -> Catalog:
    return Catalog.from_files(_template_files())
