"""The catalog: coverage against SAM, listing, lookup, errors, file checks and purity."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

import lambda_magic.events as events
from lambda_magic.common.errors import LambdaMagicError, UnknownTemplateError
from lambda_magic.events import Catalog, Param, Template
from lambda_magic.events.model import PARAM_TYPES, TemplateFileError

from .helpers import REQUIRED_EXTRAS, SAM, SAM_CONTEXT_PARAMS, snake

# --- coverage -----------------------------------------------------------------------------


def test_every_sam_event_type_is_in_the_catalog(catalog):
    assert len(SAM) == 68
    missing = [template_id for template_id in SAM if template_id not in catalog]
    assert missing == []


def test_every_sam_service_is_in_the_catalog(catalog):
    sam_services = {template_id.split("/")[0] for template_id in SAM}
    assert len(sam_services) == 26
    assert sam_services <= set(catalog.services())


def test_the_event_types_sam_lacks_are_there(catalog):
    assert [template_id for template_id in REQUIRED_EXTRAS if template_id not in catalog] == []


def test_every_user_pool_trigger_source_is_covered(catalog):
    # The triggerSource values documented for User Pool triggers (event-catalog.md C.11).
    documented = {
        "PreSignUp_SignUp",
        "PreSignUp_AdminCreateUser",
        "PreSignUp_ExternalProvider",
        "PostConfirmation_ConfirmSignUp",
        "PostConfirmation_ConfirmForgotPassword",
        "PreAuthentication_Authentication",
        "PostAuthentication_Authentication",
        "TokenGeneration_HostedAuth",
        "TokenGeneration_Authentication",
        "TokenGeneration_NewPasswordChallenge",
        "TokenGeneration_AuthenticateDevice",
        "TokenGeneration_RefreshTokens",
        "UserMigration_Authentication",
        "UserMigration_ForgotPassword",
        "CustomMessage_SignUp",
        "CustomMessage_AdminCreateUser",
        "CustomMessage_ResendCode",
        "CustomMessage_ForgotPassword",
        "CustomMessage_UpdateUserAttribute",
        "CustomMessage_VerifyUserAttribute",
        "CustomMessage_Authentication",
        "DefineAuthChallenge_Authentication",
        "CreateAuthChallenge_Authentication",
        "VerifyAuthChallengeResponse_Authentication",
    }
    offered = set()
    for template in catalog.templates("cognito"):
        source = template.param("trigger_source")
        if source is not None:
            offered |= set(source.choices)
    assert documented - offered == set()


def test_s3_object_removed_variants(catalog):
    choices = catalog.get("s3/delete").param("event_name").choices
    assert set(choices) == {"ObjectRemoved:Delete", "ObjectRemoved:DeleteMarkerCreated"}
    event = catalog.render("s3/delete-marker-created")
    assert event["Records"][0]["eventName"] == "ObjectRemoved:DeleteMarkerCreated"


#: Where SAM's template has the wrong shape, its parameter goes with it (and why).
SAM_PARAMS_DROPPED = {
    # An analytics *output* event has no source stream: SAM reuses its preprocessing template.
    "kinesis/analytics-dynamodb": {"stream"},
}


@pytest.mark.parametrize("template_id", sorted(SAM))
def test_sam_parameter_names_are_kept_in_snake_case(catalog, template_id):
    sam_params, _ = SAM[template_id]
    ours = {p.name for p in catalog.get(template_id).params}
    expected = {snake(name) for name in sam_params if name not in SAM_CONTEXT_PARAMS}
    assert expected - ours == SAM_PARAMS_DROPPED.get(template_id, set())


def test_counts_next_to_sam(catalog, capsys):
    """Services, event types and parameters, beside SAM's 26 / 68 / 207 (printed with -s)."""
    templates = catalog.templates()
    params = sum(len(t.params) for t in templates)
    sam_params = sum(len(p) for p, _ in SAM.values())
    sam_context = sum(1 for p, _ in SAM.values() for name in p if name in SAM_CONTEXT_PARAMS)
    assert sam_params == 207
    assert len(catalog.services()) >= 26 and len(templates) >= 68
    assert params > sam_params - sam_context
    with capsys.disabled():
        print(
            f"\ncatalog: {len(catalog.services())} services, {len(templates)} event types, {params} parameters "
            f"(SAM: 26 / 68 / 207, of which {sam_context} are region/partition/account/dns-suffix, "
            f"here render options)"
        )


# --- listing and lookup -----------------------------------------------------------------


def test_templates_are_sorted_by_id_and_filtered_by_service(catalog):
    ids = [t.id for t in catalog.templates()]
    assert ids == sorted(ids) and len(ids) == len(set(ids)) == len(catalog)
    sqs = catalog.templates("sqs")
    assert {t.service for t in sqs} == {"sqs"} and [t.id for t in sqs] == sorted(t.id for t in sqs)
    assert catalog.services() == sorted({t.service for t in catalog.templates()})


def test_get_returns_frozen_templates_and_params(catalog):
    template = catalog.get("s3/put")
    assert isinstance(template, Template) and template.id == "s3/put"
    assert (template.service, template.event) == ("s3", "put")
    assert all(isinstance(p, Param) for p in template.params) and isinstance(template.params, tuple)
    with pytest.raises(dataclasses.FrozenInstanceError):
        template.id = "x"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        template.params[0].default = "x"  # type: ignore[misc]
    assert {f.name for f in dataclasses.fields(Param)} == {
        "name",
        "type",
        "default",
        "description",
        "choices",
        "encoding",
    }
    assert [f.name for f in dataclasses.fields(Template)] == ["id", "service", "event", "description", "params"]


def test_load_reads_the_files_once(catalog):
    assert Catalog.load() is Catalog.load() is catalog


def test_the_package_exports_the_api():
    assert {"Catalog", "Param", "Template"} <= set(events.__all__)


def test_unknown_template_names_the_closest_id(catalog):
    with pytest.raises(UnknownTemplateError) as info:
        catalog.get("s3/putt")
    assert str(info.value) == "unknown template 's3/putt'; did you mean 's3/put'?"
    assert isinstance(info.value, LambdaMagicError)


def test_unknown_template_other_suggestions(catalog):
    with pytest.raises(UnknownTemplateError, match=r"did you mean 'sqs/receive-message'"):
        catalog.render("sqs/recieve-message")
    with pytest.raises(UnknownTemplateError, match=r"s3 has 's3/batch-invocation'"):
        catalog.get("s3/upload")
    with pytest.raises(UnknownTemplateError, match=r"services are alb, ") as info:
        catalog.get("nothing/like-it")
    assert "\n" not in str(info.value)


def test_unknown_service_names_the_closest(catalog):
    with pytest.raises(UnknownTemplateError) as info:
        catalog.templates("dynamo")
    assert str(info.value) == "unknown service 'dynamo'; did you mean 'dynamodb'?"


# --- metadata quality ---------------------------------------------------------------------


@pytest.mark.parametrize("template_id", [t.id for t in Catalog.load().templates()])
def test_metadata_is_complete(catalog, template_id):
    template = catalog.get(template_id)
    assert template.id == f"{template.service}/{template.event}"
    assert template.description.strip() and "\n" not in template.description
    for param in template.params:
        assert param.type in PARAM_TYPES
        assert param.description.strip() and "\n" not in param.description and len(param.description) <= 160
        assert param.name == param.name.lower() and "-" not in param.name
        if param.choices is not None:
            assert param.default in param.choices
        if param.type == "records":
            assert isinstance(param.default, int) and param.default >= 1


def _used_params(data: dict, where: str) -> set[str]:
    """Walk one template's vars and body, asserting each placeholder names something declared; the params used."""
    import string

    params = {p["name"] for p in data["params"]}
    names = params | set(data.get("vars", {})) | {"region", "account_id", "partition", "dns_suffix"}
    used: set[str] = set()

    def walk(node, record_names=frozenset()):
        if isinstance(node, list):
            for item in node:
                walk(item, record_names)
        elif isinstance(node, dict):
            first = next(iter(node), "")
            if first == "$param":
                assert node["$param"] in params, (where, node)
                used.add(node["$param"])
            elif first == "$var":
                assert node["$var"].split(".")[0] in names | record_names, (where, node)
            elif first == "$fmt":
                for _, field, _, _ in string.Formatter().parse(node["$fmt"]):
                    assert field is None or field in names | record_names, (where, field)
                    if field in params:
                        used.add(field)
            elif first == "$records":
                assert node.get("from", "records") in params, where
                inner = record_names | {"item", "index"} | set(node.get("vars", {}))
                walk(node.get("vars", {}), inner)
                walk(node["$records"], inner)
                walk(node.get("default"), record_names)
                used.add(node.get("from", "records"))
                return
            for value in node.values():
                walk(value, record_names)

    walk(data.get("vars", {}))
    walk(data["body"])
    return used


def test_every_placeholder_names_something_declared():
    """A static walk of every file: $param names a parameter, $var/$fmt a param, var or built-in."""
    root = Path(events.__file__).parent / "templates"
    files = sorted(root.glob("*/*.json"))
    assert len(files) == len(Catalog.load())
    for path in files:
        data = json.loads(path.read_text())
        params = {p["name"] for p in data["params"]}
        used = _used_params(data, path.name)
        assert used == params, (path.name, params - used)


# --- malformed files are packaging errors that name the file -----------------------------


def _file(**changes):
    data = {
        "id": "demo/event",
        "service": "demo",
        "event": "event",
        "description": "A demo event.",
        "params": [
            {
                "name": "name",
                "type": "string",
                "default": "x",
                "description": "A name.",
                "choices": None,
                "encoding": None,
            }
        ],
        "body": {"name": {"$param": "name"}},
    }
    data.update(changes)
    return [("templates/demo/event.json", json.dumps(data))]


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"id": "demo/other"}, "id 'demo/other' must be 'demo/event'"),
        ({"description": "two\nlines"}, "description must be one non-empty line"),
        (
            {
                "params": [
                    {
                        "name": "Name",
                        "type": "string",
                        "default": "x",
                        "description": "d",
                        "choices": None,
                        "encoding": None,
                    }
                ]
            },
            "not snake_case",
        ),
        (
            {
                "params": [
                    {"name": "n", "type": "text", "default": "x", "description": "d", "choices": None, "encoding": None}
                ]
            },
            "has type 'text'",
        ),
        (
            {
                "params": [
                    {
                        "name": "n",
                        "type": "integer",
                        "default": "x",
                        "description": "d",
                        "choices": None,
                        "encoding": None,
                    }
                ]
            },
            "default 'x' is not a valid integer",
        ),
        (
            {
                "params": [
                    {
                        "name": "n",
                        "type": "string",
                        "default": "x",
                        "description": "",
                        "choices": None,
                        "encoding": None,
                    }
                ]
            },
            "description must be one non-empty line",
        ),
        ({"params": [{"name": "n", "type": "string", "default": "x", "description": "d"}]}, "exactly the keys"),
        (
            {
                "params": [
                    {
                        "name": "n",
                        "type": "string",
                        "default": "x",
                        "description": "d",
                        "choices": ["y"],
                        "encoding": None,
                    }
                ]
            },
            "is not one of its choices",
        ),
        ({"vars": {"region": 1}}, "names used twice"),
        ({"extra": 1}, "unknown keys ['extra']"),
    ],
)
def test_malformed_files_are_rejected_with_their_name(changes, message):
    with pytest.raises(TemplateFileError) as info:
        Catalog.from_files(iter(_file(**changes)))
    assert str(info.value).startswith("templates/demo/event.json: ") and message in str(info.value)


def test_a_template_must_live_at_its_id():
    files = [("templates/demo/wrong.json", _file()[0][1])]
    with pytest.raises(TemplateFileError, match=r"belongs in templates/demo/event\.json"):
        Catalog.from_files(iter(files))
