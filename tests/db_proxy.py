"""A TCP proxy in front of the test database that a test can cut and restore.

Cutting it closes every open connection and refuses new ones, as a database
that restarts or a network that drops would; restoring it lets connections
through again. The proxy listens on a port the OS gives it (port 0).
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator

from sqlalchemy.engine import make_url


class DatabaseProxy:
    """Forwards ``127.0.0.1:<port>`` to the database's host and port."""

    def __init__(self, database_url: str) -> None:
        url = make_url(database_url)
        self.target = (url.host or "127.0.0.1", url.port or 5432)
        self._url = url
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self._listener.getsockname()[1])
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._up = True
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        """The database's URL, through the proxy."""
        return self._url.set(host="127.0.0.1", port=self.port).render_as_string(hide_password=False)

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            if not self._up:
                client.close()
                continue
            try:
                upstream = socket.create_connection(self.target)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._open |= {client, upstream}
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                sink.sendall(data)
        for end in (source, sink):
            with contextlib.suppress(OSError):
                end.close()

    def cut(self) -> None:
        """The database goes away: open connections drop, new ones are refused."""
        self._up = False
        with self._lock:
            for end in self._open:
                with contextlib.suppress(OSError):
                    end.shutdown(socket.SHUT_RDWR)
                    end.close()
            self._open.clear()

    def restore(self) -> None:
        """The database is back."""
        self._up = True

    def close(self) -> None:
        """Stop listening."""
        self.cut()
        self._listener.close()


@contextlib.contextmanager
def proxied(database_url: str) -> Iterator[DatabaseProxy]:
    """A proxy for the test's database, closed afterwards."""
    proxy = DatabaseProxy(database_url)
    try:
        yield proxy
    finally:
        proxy.close()
