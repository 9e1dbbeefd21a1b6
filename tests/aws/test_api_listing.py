"""The APIs made on the AWS backend in this kernel: ``lm.apis()``, ``lm.api_view`` and ``%lambda api``."""

from __future__ import annotations

import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell

import lambda_magic as lm
from lambda_magic.common.errors import ResourceNotFoundException

from .helpers import HANDLER, ROLE_ARN


@pytest.fixture
def on_aws(aws, moto, region, module_backend):  # (aws: its execution role is made)
    lm.use_backend("aws", endpoint_url=moto, region=region, role=ROLE_ARN)
    lm.register("items", HANDLER)
    lm.register("orders", HANDLER)
    yield


def test_lm_apis_lists_the_apis_made_in_this_kernel_until_their_functions_are_deleted(on_aws):
    assert lm.apis().rows() == []
    shop = lm.http_api("shop", {"GET /items/{id}": "items", "POST /items": "items"}, stage="dev")
    back = lm.rest_api("back-office", {"GET /orders": "orders"}, stage="prod")
    rows = lm.apis().rows()
    assert rows == [
        ("shop", "HTTP API", shop.api_id, "dev", "2", shop.url),
        ("back-office", "REST API", back.api_id, "prod", "1", back.url),
    ]
    assert all(url.startswith("https://") and ".execute-api." in url for *_, url in rows)
    html = lm.apis()._repr_html_()
    assert "<th" in html and ">URL</th>" in html and "local URL" not in html
    lm.delete("items")  # its API goes with it
    assert [r[0] for r in lm.apis().rows()] == ["back-office"]
    lm.delete("orders")
    assert lm.apis().rows() == []


def test_lm_api_view_finds_an_api_by_name_or_id_and_refuses_an_unknown_one(on_aws):
    shop = lm.http_api("shop", {"GET /items/{id}": "items"})
    by_name, by_id = lm.api_view("shop"), lm.api_view(shop.api_id)
    assert by_name.api_id == by_id.api_id == shop.api_id and by_name.kind == "HTTP API"
    assert by_name.routes == [{"route": "GET /items/{id}", "function": "items", "authorizer": None}]
    with pytest.raises(ResourceNotFoundException, match="no API 'nope' made on AWS in this kernel"):
        lm.api_view("nope")


def test_the_api_verb_lists_and_shows_the_aws_apis(on_aws):
    shell = InteractiveShell.instance()
    shell.run_line_magic("load_ext", "lambda_magic")
    made = shell.run_line_magic("lambda", "api shop 'GET /items/{id}=items'")
    assert made.kind == "HTTP API" and made.url.startswith("https://")
    listed = shell.run_line_magic("lambda", "api")
    assert [r[0] for r in listed.rows()] == ["shop"]
    assert shell.run_line_magic("lambda", "api shop").api_id == made.api_id
    with pytest.raises(UsageError, match="no API 'nope': give its routes"):
        shell.run_line_magic("lambda", "api nope")


def test_declaring_an_api_again_replaces_it_once_the_new_one_is_made(on_aws, aws):
    import json

    first = lm.http_api("shop", {"GET /items/{id}": "items"})
    second = lm.http_api("shop", {"GET /items/{id}": "items", "GET /orders": "orders"})
    assert second.api_id != first.api_id  # AWS gives the new API its own id and URL
    assert [(r[0], r[2]) for r in lm.apis().rows()] == [("shop", second.api_id)]
    standing = [a["ApiId"] for a in aws.client("apigatewayv2").get_apis()["Items"]]
    assert second.api_id in standing and first.api_id not in standing
    policy = json.loads(aws.client("lambda").get_policy(FunctionName="items")["Policy"])
    assert [s["Sid"] for s in policy["Statement"]] == [f"lambda-magic-{second.api_id}"]
    with pytest.raises(lm.LambdaMagicError):  # a mistake leaves the API as it was
        lm.http_api("shop", {"GET /items/{id}": "no-such-function"})
    assert [(r[0], r[2]) for r in lm.apis().rows()] == [("shop", second.api_id)]
    rest = lm.rest_api("shop", {"GET /items": "items"})  # an API of the other type by that name replaces it too
    assert [(r[0], r[1], r[2]) for r in lm.apis().rows()] == [("shop", "REST API", rest.api_id)]
    assert second.api_id not in [a["ApiId"] for a in aws.client("apigatewayv2").get_apis()["Items"]]
