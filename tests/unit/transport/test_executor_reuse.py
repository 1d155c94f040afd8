"""The executor and kept-alive connections a server closed without saying so.

llama-server closes the connection after every streamed response while still sending
`Keep-Alive`; uvicorn servers close it after a 500 without `Connection: close`. A client that
reuses such a connection gets no response at all to its next request. These servers behave
like that on loopback, deterministically: the second request on a connection is read and then
the socket is closed without a byte of answer.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from llmconform.model import CaseWork, Connection, Limits, Request
from llmconform.transport.executor import execute

ANSWER = (
    b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n"
    b"keep-alive: timeout=5, max=100\r\n\r\n{}"
)


class ClosingServer:
    """Answers the first request on each connection; later ones get the socket closed."""

    def __init__(self, answer_first: bool = True) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.answer_first = answer_first
        self.connections = 0
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}/v1"

    def _accept(self) -> None:
        while not self.stopped.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            self.connections += 1
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _read_request(self, conn: socket.socket) -> bool:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(65536)
            if not chunk:
                return False
            data += chunk
        head, _, rest = data.partition(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value.strip())
        while len(rest) < length:
            chunk = conn.recv(65536)
            if not chunk:
                return False
            rest += chunk
        return True

    def _serve(self, conn: socket.socket) -> None:
        conn.settimeout(5)
        with conn:
            try:
                if not self._read_request(conn):
                    return
                if self.answer_first:
                    conn.sendall(ANSWER)
                    self._read_request(conn)  # the next request on this connection: no answer
            except OSError:
                return

    def stop(self) -> None:
        self.stopped.set()
        self.thread.join(2)
        self.sock.close()


@pytest.fixture
def closing() -> Iterator[Any]:
    servers: list[ClosingServer] = []

    def start(answer_first: bool = True) -> ClosingServer:
        servers.append(ClosingServer(answer_first))
        return servers[-1]

    yield start
    for s in servers:
        s.stop()


def _two_requests() -> list[CaseWork]:
    req = Request("POST", "/chat/completions", json={"model": "m", "messages": []})
    return [CaseWork("c", (req, req))]


def test_a_reused_connection_closed_without_answer_is_retried_once_on_a_new_one(
    closing: Any,
) -> None:
    server = closing()
    first, second = execute(_two_requests(), Connection(server.url), Limits(), 1)["c"]
    assert first.status == 200 and first.reconnected is None
    assert second.status == 200 and second.error is None and second.body == b"{}"
    assert second.reconnected and "without sending a response" in second.reconnected
    assert server.connections == 2  # the retry went out on a new connection


def test_a_new_connection_closed_without_answer_is_not_retried(closing: Any) -> None:
    server = closing(answer_first=False)
    req = Request("POST", "/chat/completions", json={"model": "m", "messages": []})
    [capture] = execute([CaseWork("c", (req,))], Connection(server.url), Limits(), 1)["c"]
    assert capture.status is None and capture.error and capture.reconnected is None
    assert server.connections == 1  # nothing was resent: the server really did not answer
