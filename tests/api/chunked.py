"""A client that streams a chunked request body while it watches for the server's answer.

Like an attacker's script (or a browser), it keeps sending until the server
answers or hangs up, and it reads the answer as soon as it arrives, so a server
that refuses early is seen refusing early. It counts what it took from the
body's generator: a server that stops reading stops the client too, once the
sockets' buffers are full.
"""

from __future__ import annotations

import json
import selectors
import socket
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import h11

MIB = 1024 * 1024


@dataclass
class Answer:
    """The server's response, and how much of the body the client gave it."""

    status: int
    headers: dict[str, str]
    body: bytes
    pulled: int  # body bytes taken from the generator

    def json(self) -> Any:
        return json.loads(self.body)


def filler(
    total: int, chunk: int = 64 * 1024, after: Callable[[int], None] | None = None
) -> Iterator[bytes]:
    """``total`` bytes of ``x`` in ``chunk``-sized pieces; ``after(sent_so_far)`` between them."""
    piece = b"x" * chunk
    sent = 0
    while sent < total:
        yield piece[: total - sent]
        sent += min(chunk, total - sent)
        if after is not None:
            after(sent)


def post_chunked(
    base_url: str,
    path: str,
    body: Iterable[bytes],
    headers: dict[str, str] | None = None,
    timeout: float = 60,
) -> Answer:
    """POST ``body`` with ``Transfer-Encoding: chunked``; return the answer when it is complete."""
    url = urlsplit(base_url)
    conn = h11.Connection(h11.CLIENT)
    request = h11.Request(
        method="POST",
        target=path,
        headers=[("Host", "crm.test"), ("Transfer-Encoding", "chunked"), *(headers or {}).items()],
    )
    sock = socket.create_connection((url.hostname or "127.0.0.1", url.port or 80), timeout=timeout)
    with sock, selectors.DefaultSelector() as selector:
        sock.sendall(conn.send(request) or b"")
        sock.setblocking(False)
        sender = _Sender(conn, iter(body))
        selector.register(sock, selectors.EVENT_READ | selectors.EVENT_WRITE)
        deadline = time.monotonic() + timeout
        reader = _Reader(conn)
        while reader.answer is None:
            ready = selector.select(deadline - time.monotonic())
            if not ready:
                raise TimeoutError(f"no answer to POST {path} in {timeout}s")
            mask = ready[0][1]
            if mask & selectors.EVENT_READ and (data := _recv(sock)) is not None:
                reader.feed(data)
            if mask & selectors.EVENT_WRITE and not sender.write(sock):
                selector.modify(sock, selectors.EVENT_READ)
        answer = reader.answer
    return Answer(answer.status, answer.headers, answer.body, sender.pulled)


def _recv(sock: socket.socket) -> bytes | None:
    """What the server sent (``b""``: it hung up), or None when nothing is there yet."""
    try:
        return sock.recv(256 * 1024)
    except BlockingIOError:
        return None
    except ConnectionResetError:
        return b""


class _Sender:
    def __init__(self, conn: h11.Connection, chunks: Iterator[bytes]) -> None:
        self.conn, self.chunks = conn, chunks
        self.pending = b""
        self.pulled = 0
        self.finished = False

    def write(self, sock: socket.socket) -> bool:
        """Send what the socket takes now; False once there is nothing more to send."""
        if not self.pending and not self.finished:
            piece = next(self.chunks, None)
            if piece is None:
                self.pending, self.finished = self.conn.send(h11.EndOfMessage()) or b"", True
            else:
                self.pulled += len(piece)
                self.pending = self.conn.send(h11.Data(data=piece)) or b""
        try:
            self.pending = self.pending[sock.send(self.pending) :]
        except BlockingIOError:
            return True
        except (BrokenPipeError, ConnectionResetError):
            return False  # the server hung up: its answer, if any, is waiting to be read
        return bool(self.pending) or not self.finished


@dataclass
class _Response:
    status: int
    headers: dict[str, str]
    body: bytes


class _Reader:
    def __init__(self, conn: h11.Connection) -> None:
        self.conn = conn
        self.answer: _Response | None = None
        self._head: h11.Response | None = None
        self._body = bytearray()

    def feed(self, data: bytes) -> None:
        self.conn.receive_data(data)
        while self.answer is None:
            try:
                event = self.conn.next_event()
            except h11.RemoteProtocolError as exc:  # e.g. a response cut off mid-body
                raise ConnectionError("the server hung up without an answer") from exc
            if event is h11.NEED_DATA:
                if not data:
                    raise ConnectionError("the server hung up without an answer")
                return
            if isinstance(event, h11.Response):
                self._head = event
            elif isinstance(event, h11.Data):
                self._body += event.data
            elif isinstance(event, h11.EndOfMessage) and self._head is not None:
                headers = {k.decode().lower(): v.decode() for k, v in self._head.headers}
                self.answer = _Response(self._head.status_code, headers, bytes(self._body))
            elif isinstance(event, h11.ConnectionClosed):
                raise ConnectionError("the server hung up without an answer")
