"""The shared loopback server and the routes derived from botocore's model."""

from __future__ import annotations

import socket
import urllib.error
import urllib.request

import pytest

from lambda_magic.endpoints.model import RestJsonModel, UnknownOperation
from lambda_magic.endpoints.server import LoopbackServer, Request, Response


def test_the_server_binds_loopback_only_starts_on_need_and_stops():
    seen = []

    def handle(request: Request) -> Response:
        seen.append((request.method, request.path, request.query, request.body))
        return Response(201, {"X-Test": "yes"}, b"hello")

    server = LoopbackServer("test", handle)
    assert not server.running
    try:
        url = server.url
        assert url.startswith("http://127.0.0.1:")
        host, port = server._server.server_address
        assert host == "127.0.0.1"
        request = urllib.request.Request(f"{url}/a%3Ab?x=1&x=2", data=b"body", method="PUT")
        with urllib.request.urlopen(request) as response:
            assert (response.status, response.read(), response.headers["X-Test"]) == (201, b"hello", "yes")
        assert seen == [("PUT", "/a%3Ab", {"x": ["1", "2"]}, b"body")]
    finally:
        server.stop()
    assert not server.running
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=2).close()


def test_a_failing_handler_answers_500_service_exception():
    server = LoopbackServer("test", lambda request: 1 / 0)
    try:
        with pytest.raises(urllib.error.HTTPError) as caught:
            urllib.request.urlopen(server.url + "/x")
        assert caught.value.code == 500
        assert caught.value.headers["x-amzn-ErrorType"] == "ServiceException"
    finally:
        server.stop()


def _request(method: str, path: str, query: dict | None = None) -> Request:
    return Request(method, path, query or {}, {}, b"", ("127.0.0.1", 1))


def test_every_lambda_operation_has_a_route_from_the_model():
    model = RestJsonModel("lambda")
    for name in model.service.operation_names:
        operation = model.service.operation_model(name)
        path, _, fixed = operation.http["requestUri"].partition("?")
        concrete = "/".join("x" if part.startswith("{") else part for part in path.split("/"))
        query = {k: [v] for k, v in (pair.split("=") for pair in fixed.split("&") if pair)}
        matched, _ = model.match(_request(operation.http["method"], concrete, query))
        assert matched.http == operation.http, name


def test_routes_decode_labels_and_tell_apart_versions_of_a_path():
    model = RestJsonModel("lambda")
    operation, labels = model.match(
        _request(
            "POST", "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Afunction%3Af/invocations"
        )
    )
    assert (operation.name, labels) == ("Invoke", {"FunctionName": "arn:aws:lambda:us-east-1:123456789012:function:f"})
    assert model.match(_request("GET", "/2019-09-30/functions/f/concurrency"))[0].name == "GetFunctionConcurrency"
    assert model.match(_request("PUT", "/2017-10-31/functions/f/concurrency"))[0].name == "PutFunctionConcurrency"
    assert (
        model.match(_request("GET", "/2018-10-31/layers", {"find": ["LayerVersion"]}))[0].name == "GetLayerVersionByArn"
    )
    assert model.match(_request("GET", "/2018-10-31/layers"))[0].name == "ListLayers"
    with pytest.raises(UnknownOperation):
        model.match(_request("GET", "/2015-03-31/nothing/here"))


def test_error_statuses_come_from_the_model():
    model = RestJsonModel("lambda")
    assert model.error_status("ResourceNotFoundException") == 404
    assert model.error_status("TooManyRequestsException") == 429
    assert model.error_status("RequestEntityTooLargeException") is None


def test_stop_ends_kept_alive_connections_and_a_restart_keeps_the_port():
    import http.client

    server = LoopbackServer("test", lambda request: Response(200, {}, b"ok"))
    try:
        port = server.port
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        connection.request("GET", "/one")
        assert connection.getresponse().read() == b"ok"
        server.stop()
        with pytest.raises((OSError, http.client.HTTPException)):
            connection.request("GET", "/two")
            connection.getresponse().read()
        connection.close()
        assert server.port == port  # started again on the address clients hold
    finally:
        server.stop()


def test_a_client_that_resets_its_connection_prints_nothing(capfd):
    import struct

    server = LoopbackServer("test", lambda request: Response(200, {}, b"ok"))
    try:
        connection = socket.create_connection(("127.0.0.1", server.port), timeout=5)
        connection.sendall(b"GET /x HTTP/1.1\r\nHost: a\r\n\r\n")
        assert connection.recv(1024).startswith(b"HTTP/1.1 200")
        connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        connection.close()  # an RST, as when a client process dies
        with urllib.request.urlopen(server.url + "/y") as response:  # still serving
            assert response.read() == b"ok"
    finally:
        server.stop()
    assert "Traceback" not in capfd.readouterr().err
