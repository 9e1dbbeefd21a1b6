"""The event builder widget, driven in plain pytest: set ``.value``, ``.click()``, assert on state.

No kernel is needed: ``click()`` runs the handlers synchronously and trait changes
fire the observers.  The result panel, the status line and the history are HTML
widgets, so their ``.value`` is what JupyterLab shows.
"""

from __future__ import annotations

import json

import ipywidgets as widgets
import pytest

import lambda_magic as lm
from lambda_magic.display.builder import EventBuilder
from lambda_magic.events import Catalog

ECHO = "def lambda_handler(event, context):\n    return event\n"
BUCKET = "def lambda_handler(event, context):\n    return {'bucket': event['Records'][0]['s3']['bucket']['name']}\n"
FAILING = "def lambda_handler(event, context):\n    return 1 / 0\n"


@pytest.fixture(scope="module")
def catalog():
    return Catalog.load()


@pytest.fixture(autouse=True)
def clean():
    lm.reset()
    yield
    lm.reset()


@pytest.fixture
def namespace():
    return {}


def make(catalog, name=None, namespace=None, **kwargs):
    return EventBuilder(lm.account(), catalog, name, namespace, **kwargs)


def choose(builder, template_id):
    service, _, _ = template_id.partition("/")
    builder.service.value = service
    builder.event_type.value = template_id
    assert builder.template is not None and builder.template.id == template_id


def status_kind(builder):
    assert 'class="lm-builder-status lm-builder-' in builder.status.value
    return builder.status.value.split('class="lm-builder-status lm-builder-')[1].split('"')[0]


def preview(builder):
    return json.loads(builder.preview.value)


# --- choosing a template builds the form --------------------------------------------------------


def test_starts_with_nothing_selected_and_lists_every_service(catalog):
    builder = make(catalog, "echo")
    assert isinstance(builder.widget, widgets.VBox)
    assert [value for _, value in builder.service.options][1:] == catalog.services()
    assert builder.template is None and builder.fields == {} and builder.preview.value == ""
    assert builder.event_type.disabled
    assert builder.summary() == f"Event builder for function echo: choose one of {len(catalog.services())} services"


def test_choosing_a_service_offers_its_event_types_and_picks_the_first(catalog):
    builder = make(catalog, "echo")
    builder.service.value = "s3"
    ids = [value for _, value in builder.event_type.options]
    assert ids == [t.id for t in catalog.templates("s3")]
    assert "s3/put" in ids
    assert builder.template.id == ids[0] and builder.preview.value
    builder.event_type.value = "s3/put"
    assert list(builder.fields) == [param.name for param in catalog.get("s3/put").params]
    assert "bucket" in builder.fields


def _expected_widget(param):
    if param.choices:
        return widgets.Dropdown
    if param.type == "boolean":
        return widgets.Checkbox
    if param.type in ("json", "records"):
        return widgets.Textarea
    if param.type == "integer" and isinstance(param.default, int):
        return widgets.IntText
    if param.type == "number" and isinstance(param.default, (int, float)):
        return widgets.FloatText
    return widgets.Text


def test_every_template_gets_a_form_by_parameter_type_and_renders_with_its_defaults(catalog):
    builder = make(catalog, "echo")
    for template in catalog.templates():
        choose(builder, template.id)
        assert status_kind(builder) == "info", (template.id, builder.status.value)
        assert isinstance(preview(builder), dict), template.id
        for param in template.params:
            field = builder.fields[param.name]
            assert type(field) is _expected_widget(param), (template.id, param.name)
            assert field.description == param.name
            assert field.tooltip == (param.description or param.name)


def test_template_can_be_preselected(catalog):
    builder = make(catalog, "echo", template="sqs/receive-message")
    assert builder.service.value == "sqs" and builder.event_type.value == "sqs/receive-message"
    assert preview(builder)["Records"]


# --- the preview ------------------------------------------------------------------------------


def test_editing_a_field_renders_the_preview_again(catalog):
    builder = make(catalog, "echo")
    choose(builder, "s3/put")
    builder.fields["bucket"].value = "lecture-bucket"
    assert preview(builder)["Records"][0]["s3"]["bucket"]["name"] == "lecture-bucket"
    assert "lm-builder-preview-form" in builder.preview_state.value
    assert not builder.hand_edited
    assert "bucket=lecture-bucket" in builder.summary()


def test_records_field_takes_a_count_or_a_list_of_bodies(catalog):
    builder = make(catalog, "echo")
    choose(builder, "sqs/receive-message")
    builder.fields["records"].value = "3"
    assert len(preview(builder)["Records"]) == 3
    builder.fields["records"].value = '["a", "b"]'
    assert [record["body"] for record in preview(builder)["Records"]] == ["a", "b"]


def test_hand_edits_are_sent_until_the_form_changes(catalog):
    lm.register("echo", ECHO)
    builder = make(catalog, "echo")
    choose(builder, "s3/put")
    event = preview(builder)
    event["Records"][0]["s3"]["bucket"]["name"] = "typed-by-hand"
    event["extra"] = [1, 2]
    builder.preview.value = json.dumps(event)
    assert builder.hand_edited and "lm-builder-preview-edited" in builder.preview_state.value
    builder.invoke_button.click()
    assert status_kind(builder) == "ok"
    [run] = lm.account().invocation_records("echo")
    assert run.payload == event
    assert "typed-by-hand" in builder.result.value
    assert "s3/put (edited)" in builder.history.value

    builder.fields["key"].value = "photos/cat.jpg"  # the form wins again
    assert not builder.hand_edited
    rendered = preview(builder)
    assert "extra" not in rendered and rendered["Records"][0]["s3"]["bucket"]["name"] != "typed-by-hand"


def test_render_from_form_drops_hand_edits(catalog):
    builder = make(catalog, "echo")
    choose(builder, "s3/put")
    builder.fields["bucket"].value = "from-form"
    builder.preview.value = '{"hand": true}'
    builder.render_button.click()
    assert not builder.hand_edited
    assert preview(builder)["Records"][0]["s3"]["bucket"]["name"] == "from-form"


# --- errors are shown in the widget, never raised or printed --------------------------------------


def test_bad_json_in_the_preview_is_shown_and_nothing_is_invoked(catalog, capsys):
    lm.register("echo", ECHO)
    builder = make(catalog, "echo")
    choose(builder, "s3/put")
    builder.preview.value = '{"Records": [}'
    assert "lm-builder-preview-error" in builder.preview_state.value
    builder.invoke_button.click()
    builder.invoke_async_button.click()
    assert status_kind(builder) == "error"
    assert "not valid JSON" in builder.status.value and "line 1, column 14" in builder.status.value
    assert lm.account().invocation_records() == [] and builder.result.value == ""
    assert capsys.readouterr() == ("", "")


def test_bad_parameter_value_is_shown_and_blocks_invoke(catalog, capsys):
    lm.register("echo", ECHO)
    builder = make(catalog, "echo")
    choose(builder, "sqs/receive-message")
    good = builder.preview.value
    builder.fields["records"].value = '["a", '
    assert status_kind(builder) == "error" and "records" in builder.status.value
    assert "lm-builder-preview-error" in builder.preview_state.value
    assert builder.preview.value == good
    builder.invoke_button.click()
    assert status_kind(builder) == "error" and "fix the form first" in builder.status.value
    assert lm.account().invocation_records() == []
    builder.fields["records"].value = "2"
    assert status_kind(builder) == "info" and len(preview(builder)["Records"]) == 2
    assert capsys.readouterr() == ("", "")


def test_catalog_errors_are_shown_in_the_status(catalog, capsys):
    builder = make(catalog, "echo")
    choose(builder, "sqs/receive-message")
    builder.fields["records"].value = '{"not": "a count or a list"}'
    assert status_kind(builder) == "error" and "records" in builder.status.value
    assert capsys.readouterr() == ("", "")


def test_an_unexpected_exception_in_a_callback_is_shown_not_raised(catalog, monkeypatch, capsys):
    builder = make(catalog, "echo")
    choose(builder, "s3/put")

    def broken(*args, **kwargs):
        raise RuntimeError("template exploded")

    monkeypatch.setattr(catalog, "render", broken)
    builder.fields["bucket"].value = "x"
    assert status_kind(builder) == "error"
    assert "RuntimeError: template exploded" in builder.status.value
    assert capsys.readouterr() == ("", "")


def test_nothing_selected_is_shown(catalog):
    lm.register("echo", ECHO)
    builder = make(catalog, "echo")
    builder.invoke_button.click()
    assert status_kind(builder) == "error" and "nothing selected" in builder.status.value
    builder.copy_button.click()
    assert "nothing selected" in builder.status.value
    assert lm.account().invocation_records() == []


def test_unknown_function_is_shown(catalog, capsys):
    builder = make(catalog, "no_such_function")
    choose(builder, "s3/put")
    builder.invoke_button.click()
    assert status_kind(builder) == "error"
    assert "Function not found: no_such_function" in builder.status.value
    assert builder.result.value == "" and lm.account().invocation_records() == []
    assert capsys.readouterr() == ("", "")


def test_handler_error_is_shown_with_the_error_panel(catalog, capsys):
    lm.register("broken", FAILING)
    builder = make(catalog, "broken")
    choose(builder, "s3/put")
    builder.invoke_button.click()
    assert status_kind(builder) == "error"
    assert "ZeroDivisionError" in builder.status.value and "division by zero" in builder.status.value
    assert "lambda-magic-invocation" in builder.result.value and "ZeroDivisionError" in builder.result.value
    assert "<td>error</td>" in builder.history.value
    assert capsys.readouterr() == ("", "")


# --- invoking ---------------------------------------------------------------------------------


def test_invoke_shows_the_result_panel_and_a_history_row(catalog):
    lm.register("bucket_echo", BUCKET)
    builder = make(catalog, "bucket_echo")
    choose(builder, "s3/put")
    builder.fields["bucket"].value = "lecture-bucket"
    builder.invoke_button.click()
    assert status_kind(builder) == "ok"
    assert 'class="lambda-magic-invocation"' in builder.result.value
    assert "200 success" in builder.result.value
    assert "&quot;bucket&quot;: &quot;lecture-bucket&quot;" in builder.result.value
    history = builder.history.value
    assert "lm-builder-history-table" in history
    for cell in ("<td>bucket_echo</td>", "<td>s3/put</td>", "<td>RequestResponse</td>", "<td>success</td>"):
        assert cell in history
    builder.invoke_button.click()
    assert builder.history.value.count("<td>bucket_echo</td>") == 2


def test_invoke_async_answers_202_and_runs_in_the_background(catalog):
    lm.register("echo", ECHO)
    builder = make(catalog, "echo")
    choose(builder, "s3/put")
    builder.fields["bucket"].value = "async-bucket"
    builder.invoke_async_button.click()
    assert status_kind(builder) == "queued" and "202" in builder.status.value
    assert "202 queued" in builder.result.value
    assert "<td>Event</td>" in builder.history.value
    assert lm.wait(timeout=30)
    [run] = lm.account().invocation_records("echo")
    assert run.invocation_type == "Event" and run.status == "success"
    assert run.payload["Records"][0]["s3"]["bucket"]["name"] == "async-bucket"
    builder.refresh_button.click()
    assert "<td>success</td>" in builder.history.value and "<td>queued</td>" not in builder.history.value


def test_function_field_lists_registered_functions(catalog):
    lm.register("alpha", ECHO)
    lm.register("beta", ECHO)
    builder = make(catalog, "alpha")
    assert builder.function.value == "alpha"
    assert list(builder.function.options) == ["alpha", "beta"]


# --- without a function -------------------------------------------------------------------------


def test_without_a_function_invoke_is_off_and_copy_to_variable_works(catalog, namespace):
    builder = make(catalog, None, namespace)
    assert builder.invoke_button.disabled and builder.invoke_async_button.disabled
    assert "function name" in builder.invoke_button.tooltip
    assert "No function" in builder.status.value
    assert builder.summary().startswith("Event builder (no function")
    choose(builder, "s3/put")
    builder.fields["bucket"].value = "copied"
    builder.variable.value = "my_event"
    builder.copy_button.click()
    assert status_kind(builder) == "ok" and "my_event" in builder.status.value
    assert namespace["my_event"] == preview(builder)
    assert namespace["my_event"]["Records"][0]["s3"]["bucket"]["name"] == "copied"
    assert builder.event == namespace["my_event"]

    builder.function.value = "echo"
    assert not builder.invoke_button.disabled and not builder.invoke_async_button.disabled
    builder.function.value = ""
    assert builder.invoke_button.disabled


def test_copy_refuses_a_name_that_is_not_a_variable(catalog, namespace):
    builder = make(catalog, None, namespace)
    choose(builder, "s3/put")
    for bad in ("1st", "class", "my event", ""):
        builder.variable.value = bad
        builder.copy_button.click()
        assert status_kind(builder) == "error" and "variable name" in builder.status.value
    assert namespace == {}


# --- display ------------------------------------------------------------------------------------


def test_displays_as_the_widget_with_a_deterministic_text_summary(catalog):
    first, second = make(catalog, "echo"), make(catalog, "echo")
    for builder in (first, second):
        choose(builder, "s3/put")
        builder.fields["bucket"].value = "summary-bucket"
    bundle = first._repr_mimebundle_()
    assert bundle["application/vnd.jupyter.widget-view+json"]["model_id"] == first.widget.model_id
    assert bundle["text/plain"] == second._repr_mimebundle_()["text/plain"] == repr(first)
    assert bundle["text/plain"].startswith("Event builder for function echo: s3/put (")
    assert "bucket=summary-bucket" in bundle["text/plain"]
    assert "\n" not in bundle["text/plain"]


# --- the builder is a widget that composes ------------------------------------------------------


def test_the_builder_is_a_vbox_that_composes_with_other_widgets():
    lm.register("echo", ECHO)
    builder = lm.builder("echo")
    out = widgets.Output()
    row = widgets.HBox([builder, out])
    assert isinstance(builder, widgets.VBox) and row.children == (builder, out)
    assert builder.widget is builder and "lm-builder" in builder._dom_classes
    assert builder.preview in builder.children and builder.status in builder.children
    bundle = row._repr_mimebundle_()
    assert bundle["application/vnd.jupyter.widget-view+json"]["model_id"] == row.model_id
    # the builder still drives itself inside the box
    builder.select("s3/put")
    builder.invoke_button.click()
    assert status_kind(builder) == "ok" and "200 success" in builder.result.value
    assert builder._repr_mimebundle_()["text/plain"] == builder.summary()
