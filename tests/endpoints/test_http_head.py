"""The loopback servers read request heads themselves (``endpoints/_http_head.py``): raw sockets
and ``http.client`` check that what a handler sees, and what a client gets back, is what
``http.server`` would give."""

from __future__ import annotations

import http.client
import socket

import pytest

from lambda_magic.endpoints.server import LoopbackServer, Request, Response


@pytest.fixture
def server():
    seen: list[Request] = []

    def handle(request: Request) -> Response:
        seen.append(request)
        return Response(200, {"Content-Type": "text/plain"}, request.body or b"ok")

    made = LoopbackServer("test", handle)
    made.seen = seen  # type: ignore[attr-defined]
    _ = made.url
    yield made
    made.stop()


def _exchange(server: LoopbackServer, raw: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(raw)
        sock.shutdown(socket.SHUT_WR)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def test_headers_keep_their_order_repeats_and_case_and_lookups_ignore_case(server):
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    connection.putrequest("POST", "/a?b=1", skip_host=True, skip_accept_encoding=True)
    connection.putheader("Host", "example")
    connection.putheader("X-Many", "one")
    connection.putheader("x-many", "two")
    connection.putheader("Content-Type", "text/plain;  charset=utf-8  ")
    connection.putheader("Content-Length", "4")
    connection.endheaders(b"body")
    response = connection.getresponse()
    assert (response.status, response.read()) == (200, b"body")
    request = server.seen[-1]
    assert request.raw_headers == [
        ("Host", "example"),
        ("X-Many", "one"),
        ("x-many", "two"),
        ("Content-Type", "text/plain;  charset=utf-8"),
        ("Content-Length", "4"),
    ]
    assert request.headers["x-many"] == "two"  # the lower-cased view: the last line of a name
    assert (request.method, request.path, request.query, request.target) == ("POST", "/a", {"b": ["1"]}, "/a?b=1")
    connection.close()


def test_keep_alive_serves_several_requests_on_one_connection(server):
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    for _ in range(3):
        connection.request("GET", "/again")
        response = connection.getresponse()
        assert response.read() == b"ok"
        assert not response.will_close
    connection.close()
    assert [r.path for r in server.seen] == ["/again"] * 3


def test_connection_close_and_http_1_0_end_the_connection_keep_alive_keeps_it(server):
    closed = _exchange(server, b"GET /x HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
    assert closed.startswith(b"HTTP/1.1 200 ") and closed.endswith(b"ok")
    old = _exchange(server, b"GET /x HTTP/1.0\r\n\r\n")
    assert old.startswith(b"HTTP/1.1 200 ") and old.endswith(b"ok")
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(b"GET /y HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        first = sock.recv(65536)
        sock.sendall(b"GET /z HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        second = sock.recv(65536)
    assert first.endswith(b"ok") and second.endswith(b"ok")
    assert [r.path for r in server.seen][-2:] == ["/y", "/z"]


def test_a_folded_header_line_continues_the_value_and_a_double_slash_path_is_reduced(server):
    _exchange(server, b"GET //twice/x HTTP/1.1\r\nHost: a\r\nX-Long: first\r\n  second\r\nConnection: close\r\n\r\n")
    request = server.seen[-1]
    assert request.path == "/twice/x"
    assert ("X-Long", "first second") in request.raw_headers


def test_expect_100_continue_gets_the_interim_answer(server):
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(b"PUT /up HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n")
        assert sock.recv(65536).startswith(b"HTTP/1.1 100 Continue")
        sock.sendall(b"abc")
        assert sock.recv(65536).endswith(b"abc")


def test_too_many_or_too_long_header_lines_get_431_and_nothing_is_served(server):
    many = b"".join(b"X-%d: v\r\n" % i for i in range(101))
    answer = _exchange(server, b"GET /many HTTP/1.1\r\nHost: a\r\n" + many + b"\r\n")
    assert answer.startswith(b"HTTP/1.1 431 ") and b"Too many headers" in answer
    long_line = b"X-Big: " + b"v" * 70_000 + b"\r\n"
    answer = _exchange(server, b"GET /long HTTP/1.1\r\n" + long_line + b"\r\n")
    assert answer.startswith(b"HTTP/1.1 431 ") and b"Line too long" in answer
    assert [r.path for r in server.seen] == []


@pytest.mark.parametrize(
    ("raw", "status"),
    [
        (b"GET /x HTTP/2.0\r\n\r\n", b"505"),  # http.server's own answers for what the fast reader leaves to it
        (b"GET /x HTTP/1.x\r\n\r\n", b"400"),
        (b"GET /x y HTTP/1.1\r\n\r\n", b"400"),
    ],
)
def test_unusual_request_lines_get_http_server_s_answers(server, raw, status):
    answer = _exchange(server, raw)
    assert b"Error code: " + status in answer  # (a bad version is answered without a status line, as http.server does)
    assert server.seen == []
