"""The event builder: pick a template, fill in a form, preview the JSON, invoke.

``EventBuilder(account, catalog, name=None, user_ns=None)`` builds an ipywidgets
form over the event-template catalog.  Every callback catches its own errors and
shows them in the status line (``lm-builder-status``): in JupyterLab an exception
raised from a widget callback would only reach the log console.  The result
panel and the history are HTML widgets, so they work (and can be tested) without
a kernel.
"""

from __future__ import annotations

import json
import keyword
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets

from ..common.errors import LambdaMagicError
from . import theme
from .builder_form import (
    FieldError,
    field_row,
    history_html,
    make_field,
    parse_event,
    read_field,
    status_html,
    summary_value,
)

if TYPE_CHECKING:
    from ..events import Catalog, Template
    from ..runtime.account import LocalAccount
    from ..runtime.invocation import Invocation

_NO_SERVICE = "— choose a service —"
_NO_FUNCTION = "No function: type a registered function's name to invoke (or copy the event into a variable)."
_FORM_STATE = "Preview follows the form."
_HAND_STATE = "Edited by hand: Invoke sends this text until the form changes again (or Render from form)."


class EventBuilder(widgets.VBox):
    """A form over the event templates that invokes a function with the event it builds.

    It is an ipywidgets ``VBox``, so it composes: ``widgets.HBox([lm.builder(), out])``.
    """

    def __init__(
        self,
        account: LocalAccount,
        catalog: Catalog,
        name: str | None = None,
        user_ns: dict | None = None,
        *,
        template: str | None = None,
    ):
        super().__init__(
            layout=widgets.Layout(border=f"1px solid {theme.BORDER}", padding="6px 10px", max_width="1000px")
        )
        self.account = account
        self.catalog = catalog
        self.user_ns = user_ns
        self.template: Template | None = None
        self.fields: dict[str, widgets.Widget] = {}
        self.hand_edited = False
        self._form_error: str | None = None
        self._rendering = False
        self._history: list[tuple[str, str, str, Invocation]] = []  # (request id, template, type, invocation)

        row = widgets.Layout(width="460px")
        label = {"description_width": "90px"}
        self.service = widgets.Dropdown(
            options=[(_NO_SERVICE, "")] + [(s, s) for s in catalog.services()],
            value="",
            description="Service",
            style=label,
            layout=row,
            tooltip="The AWS service that sends the event",
        )
        self.event_type = widgets.Dropdown(
            options=[],
            description="Event",
            style=label,
            layout=row,
            disabled=True,
            tooltip="The kind of event the service sends",
        )
        self.description = widgets.HTML()
        self.form = widgets.VBox(layout=widgets.Layout(margin="4px 0"))
        self.preview = widgets.Textarea(
            value="",
            rows=16,
            placeholder="The event as JSON; edit it by hand if you like",
            layout=widgets.Layout(width="100%", min_height="220px"),
        )
        self.preview_state = widgets.HTML(self._state_html(_FORM_STATE))
        self.render_button = widgets.Button(
            description="Render from form",
            icon="refresh",
            layout=widgets.Layout(width="auto"),
            tooltip="Render the form again (drops hand edits; fresh ids and times)",
        )
        self.function = widgets.Combobox(
            value=name or "",
            placeholder="function name",
            description="Function",
            options=self._function_names(),
            ensure_option=False,
            style=label,
            layout=row,
            tooltip="The function to invoke (registered with %%lambda)",
        )
        self.invoke_button = widgets.Button(description="Invoke", button_style="primary", icon="play")
        self.invoke_async_button = widgets.Button(description="Invoke async", icon="forward")
        self.variable = widgets.Text(
            value="event",
            description="Variable",
            style=label,
            layout=widgets.Layout(width="240px"),
            tooltip="Name of the Python variable that receives the event (a dict)",
        )
        self.copy_button = widgets.Button(
            description="Copy to variable",
            icon="copy",
            layout=widgets.Layout(width="auto"),
            tooltip="Store the event (a dict) in the notebook variable",
        )
        self.status = widgets.HTML(layout=widgets.Layout(width="100%"))
        self.result = widgets.HTML(layout=widgets.Layout(width="100%"))
        self.history = widgets.HTML(history_html([]), layout=widgets.Layout(width="100%"))
        self.refresh_button = widgets.Button(
            description="Refresh history",
            icon="refresh",
            layout=widgets.Layout(width="auto"),
            tooltip="Show how queued (async) invocations ended",
        )

        self.service.observe(self._on_service, names="value")
        self.event_type.observe(self._on_event_type, names="value")
        self.preview.observe(self._on_preview, names="value")
        self.function.observe(self._on_function, names="value")
        self.render_button.on_click(lambda _: self._guard(self._render_from_form))
        self.invoke_button.on_click(lambda _: self._guard(self._invoke, "RequestResponse"))
        self.invoke_async_button.on_click(lambda _: self._guard(self._invoke, "Event"))
        self.copy_button.on_click(lambda _: self._guard(self._copy))
        self.refresh_button.on_click(lambda _: self._guard(self._refresh_history))

        heading = widgets.HTML('<b style="font-size:14px">Event builder</b>')
        #: The widget itself (kept from when the builder only held its VBox).
        self.widget = self
        self.children = [
            heading,
            self.service,
            self.event_type,
            self.description,
            self.form,
            widgets.HTML("<b>Event (JSON)</b>"),
            self.preview,
            widgets.HBox([self.preview_state, self.render_button], layout=widgets.Layout(align_items="center")),
            widgets.HBox([self.function, self.invoke_button, self.invoke_async_button]),
            widgets.HBox([self.variable, self.copy_button]),
            self.status,
            self.result,
            widgets.HBox(
                [widgets.HTML("<b>History</b>"), self.refresh_button], layout=widgets.Layout(align_items="center")
            ),
            self.history,
        ]
        self.add_class("lm-builder")
        for part, css in (
            (self.service, "service"),
            (self.event_type, "event"),
            (self.form, "form"),
            (self.preview, "preview"),
            (self.function, "function"),
            (self.invoke_button, "invoke"),
            (self.invoke_async_button, "invoke-async"),
            (self.variable, "variable"),
            (self.copy_button, "copy"),
            (self.result, "result"),
            (self.history, "history"),
            (self.render_button, "render"),
            (self.refresh_button, "refresh"),
        ):
            part.add_class(f"lm-builder-{css}")  # stable hooks for browser tests and styles
        self._on_function(None)
        self._set_status("info", "Choose a service, then an event type." if name else _NO_FUNCTION)
        if template is not None:
            self._guard(self.select, template)

    # --- public ------------------------------------------------------------------------------

    def select(self, template_id: str) -> None:
        """Choose a template, as picking its service and event type would."""
        template = self.catalog.get(template_id)
        self.service.value = template.service
        self.event_type.value = template.id

    @property
    def event(self) -> Any:
        """The event Invoke would send now (the parsed preview); raises if it is not valid."""
        self._check_sendable()
        return parse_event(self.preview.value)

    def summary(self) -> str:
        """One deterministic line for readers without a live kernel (text/plain)."""
        name = self.function.value.strip()
        head = f"Event builder for function {name}" if name else "Event builder (no function: builds events only)"
        if self.template is None:
            return f"{head}: choose one of {len(self.service.options) - 1} services"
        params = []
        for param in self.template.params:
            try:
                given, value = read_field(param, self.fields[param.name])
            except FieldError:
                given, value = True, self.fields[param.name].value
            if given and value not in ("", None):
                params.append(f"{param.name}={summary_value(value)}")
        shown = ", ".join(params)
        while len(shown) > 160 and len(params) > 1:
            params.pop()
            shown = ", ".join(params) + ", …"
        edited = ", edited by hand" if self.hand_edited else ""
        return f"{head}: {self.template.id} ({shown}){edited}"

    def __repr__(self) -> str:
        return self.summary()

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        """The widget view, with the whole summary as text/plain (ipywidgets cuts repr at 110 characters)."""
        bundle = dict(super()._repr_mimebundle_(**kwargs) or {})
        bundle["text/plain"] = self.summary()
        return bundle

    # --- callbacks ---------------------------------------------------------------------------

    def _guard(self, action: Any, *args: Any) -> None:
        """Run a callback; any error ends up in the status line, never in the log console."""
        try:
            action(*args)
        except (LambdaMagicError, FieldError) as exc:
            self._set_status("error", str(exc))
        except Exception as exc:  # a bug, or a template that cannot render: still show it here
            self._set_status("error", f"{type(exc).__name__}: {exc}")

    def _on_service(self, change: Any) -> None:
        self._guard(self._choose_service, change["new"])

    def _choose_service(self, service: str) -> None:
        if not service:
            self.event_type.options, self.event_type.disabled = [], True
            self._show_template(None)
            return
        templates = self.catalog.templates(service)
        self.function.options = self._function_names()  # functions registered since the builder was shown
        self.event_type.disabled = False
        if not templates:
            raise FieldError(f"service {service} has no templates")
        self.event_type.options = [(t.event, t.id) for t in templates]
        if self.event_type.value == templates[0].id:  # kept by the new options: observe does not fire
            self._show_template(templates[0].id)
        else:
            self.event_type.value = templates[0].id

    def _on_event_type(self, change: Any) -> None:
        self._guard(self._show_template, change["new"])

    def _show_template(self, template_id: str | None) -> None:
        for field in self.fields.values():
            field.unobserve(self._on_field, names="value")
        self.fields = {}
        self.template = self.catalog.get(template_id) if template_id else None
        if self.template is None:
            self.form.children = ()
            self.description.value = ""
            self._set_preview("", hand_edited=False)
            self._set_status("info", "Choose a service, then an event type.")
            return
        rows = []
        for param in self.template.params:
            field = make_field(param)
            field.observe(self._on_field, names="value")
            field.add_class(f"lm-builder-field-{param.name}")
            self.fields[param.name] = field
            rows.append(field_row(param, field))
        self.form.children = rows
        self.description.value = (
            f'<div style="color:{theme.MUTED};margin-left:94px"><code>{self.template.id}</code>: '
            f"{_escape(self.template.description)}</div>"
        )
        self._render_from_form()

    def _on_field(self, change: Any) -> None:
        self._guard(self._render_from_form)

    def _render_from_form(self) -> None:
        """Render the template with the form's values into the preview (hand edits are dropped)."""
        if self.template is None:
            raise FieldError("nothing selected: choose a service and an event type first")
        try:
            params = self._params()
            settings = self.account.settings
            event = self.catalog.render(
                self.template.id, params, region=settings.region, account_id=settings.account_id
            )
            hook = getattr(self.account, "event_hooks", {}).get(self.template.id.split("/", 1)[0])
            if hook is not None:  # as the account renders it (CloudFormation: a ResponseURL it serves)
                hook(self.template.id, event)
        except (LambdaMagicError, FieldError) as exc:
            self._form_error = str(exc)
            self.preview_state.value = self._state_html(f"Form error, preview not updated: {exc}", error=True)
            raise
        self._form_error = None
        self._set_preview(json.dumps(event, indent=2, ensure_ascii=False), hand_edited=False)
        self._set_status("info", f"{self.template.id}: event rendered from the form.")

    def _params(self) -> dict[str, Any]:
        params = {}
        assert self.template is not None
        for param in self.template.params:
            given, value = read_field(param, self.fields[param.name])
            if given:
                params[param.name] = value
        return params

    def _on_preview(self, change: Any) -> None:
        if self._rendering:
            return
        self.hand_edited = True
        try:
            parse_event(self.preview.value)
        except FieldError as exc:
            self.preview_state.value = self._state_html(f"Edited by hand: {exc}", error=True)
        else:
            self.preview_state.value = self._state_html(_HAND_STATE, edited=True)

    def _on_function(self, change: Any) -> None:
        name = self.function.value.strip()
        why = "" if name else "Give a function name first (this builder has none)"
        for button, kind in ((self.invoke_button, "RequestResponse"), (self.invoke_async_button, "Event")):
            button.disabled = not name
            button.tooltip = why or f"Invoke {name} with this event ({kind})"
        if change is not None and not name:
            self._set_status("info", _NO_FUNCTION)

    def _invoke(self, invocation_type: str) -> None:
        name = self.function.value.strip()
        if not name:
            raise FieldError("no function to invoke: type a function name (or copy the event into a variable)")
        event = self.event
        template = self.template.id if self.template is not None else "(hand-written)"
        buttons = (self.invoke_button, self.invoke_async_button)
        for button in buttons:
            button.disabled = True
        try:
            invocation = self.account.invoke(
                name, event, invocation_type=invocation_type, trigger=f"template:{template}"
            )
        finally:
            for button in buttons:
                button.disabled = False
        if self.template is not None:
            from ..events.verdict import verdict_for

            invocation.template = self.template.id
            invocation.verdict = verdict_for(
                self.template.id, event, invocation, response_document=_arrived(self.account, event)
            )
        self._history.append(
            (invocation.request_id, template + (" (edited)" if self.hand_edited else ""), invocation_type, invocation)
        )
        self.result.value = invocation._repr_html_() or _panel(invocation)
        self._refresh_history()
        self.function.options = self._function_names()
        if invocation.status == "queued":
            self._set_status(
                "queued", f"{name}: 202, queued; it runs in the background (Refresh history to see it end)."
            )
        elif invocation.function_error:
            self._set_status("error", f"{name} failed: {invocation.error_type}: {invocation.error_message}")
        elif invocation.status != "success":
            self._set_status(
                "error", f"{name}: {invocation.status} ({invocation.error_type}: {invocation.error_message})"
            )
        else:
            self._set_status("ok", f"{name}: {invocation.status_code} success in {invocation.duration_ms:.2f} ms.")

    def _copy(self) -> None:
        variable = self.variable.value.strip()
        if not variable.isidentifier() or keyword.iskeyword(variable):
            raise FieldError(f"{variable!r} is not a Python variable name")
        event = self.event
        namespace = self.user_ns if self.user_ns is not None else _ipython_namespace()
        if namespace is None:
            raise FieldError("no notebook namespace to copy into (pass user_ns, or use builder.event)")
        namespace[variable] = event
        self._set_status("ok", f"Copied the event into the variable {variable} ({type(event).__name__}).")

    def _refresh_history(self) -> None:
        latest = {record.request_id: record for record in self.account.invocation_records()}
        rows = []
        for request_id, template, kind, invocation in self._history:
            run = latest.get(request_id, invocation)
            rows.append((run.function_name, template, kind, run.status, run.duration_ms))
        self.history.value = history_html(rows)

    # --- helpers -----------------------------------------------------------------------------

    def _check_sendable(self) -> None:
        if self.template is None and not self.hand_edited:
            raise FieldError("nothing selected: choose a service and an event type first")
        if self._form_error is not None and not self.hand_edited:
            raise FieldError(f"fix the form first: {self._form_error}")

    def _set_preview(self, text: str, *, hand_edited: bool) -> None:
        self._rendering = True
        try:
            self.preview.value = text
        finally:
            self._rendering = False
        self.hand_edited = hand_edited
        self.preview_state.value = self._state_html(_FORM_STATE)

    def _set_status(self, kind: str, message: str) -> None:
        self.status.value = status_html(kind, message)

    @staticmethod
    def _state_html(text: str, *, edited: bool = False, error: bool = False) -> str:
        kind = "error" if error else ("edited" if edited else "form")
        mark = "✗ " if error else ("✎ " if edited else "")
        weight = "600" if error else "normal"
        return (
            f'<span class="lm-builder-preview-state lm-builder-preview-{kind}" '
            f'style="color:{theme.MUTED};font-weight:{weight};font-size:12px">{mark}{_escape(text)}</span>'
        )

    def _function_names(self) -> list[str]:
        return [function.name for function in self.account.list_functions()]


def _escape(text: str) -> str:
    from html import escape

    return escape(text or "")


def _panel(invocation: Invocation) -> str:
    from .panels import invocation_html

    return invocation_html(invocation)


def _ipython_namespace() -> dict | None:
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython is a dependency
        return None
    shell = get_ipython()
    return None if shell is None else shell.user_ns


def _arrived(account: Any, event: Any) -> Any:
    """The document a custom resource PUT to the event's ResponseURL, if the account serves it."""
    from ..endpoints.cfn_responses import EXTENSION, ResponseUrls

    extensions: list[str] = getattr(account, "extensions", lambda: [])()
    return ResponseUrls.of(account).arrived(event) if EXTENSION in extensions else None
