"""Turn a function that writes bytes into a response body, in constant memory.

The writer runs in a thread; a small bounded queue hands its chunks to the
response, so a slow client slows the export instead of filling memory. If
the client goes away, the writer's next write raises and the export stops.
"""

from __future__ import annotations

import io
import queue
import tempfile
import threading
from collections.abc import Callable, Iterator
from typing import IO, Any

_END = object()
_CHUNK = 64 * 1024


class ClientGone(Exception):
    """The response was abandoned; the writer should stop."""


class _QueueWriter(io.RawIOBase):
    def __init__(self, chunks: queue.Queue[Any], stop: threading.Event) -> None:
        self.chunks, self.stop, self.buffer = chunks, stop, bytearray()

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        if self.stop.is_set():
            raise ClientGone
        self.buffer += bytes(data)
        if len(self.buffer) >= _CHUNK:
            self.flush_buffer()
        return len(data)

    def flush_buffer(self) -> None:
        if self.buffer:
            while not self.stop.is_set():
                try:
                    self.chunks.put(bytes(self.buffer), timeout=0.5)
                    break
                except queue.Full:
                    continue
            self.buffer.clear()


def stream_writer(produce: Callable[[IO[bytes]], object]) -> Iterator[bytes]:
    """Yield what ``produce(out)`` writes to ``out``, as it writes it."""
    chunks: queue.Queue[Any] = queue.Queue(maxsize=8)
    stop = threading.Event()

    def run() -> None:
        writer = _QueueWriter(chunks, stop)
        try:
            produce(writer)  # type: ignore[arg-type]
            writer.flush_buffer()
            chunks.put(_END)
        except ClientGone:
            pass
        except BaseException as exc:  # handed to the response, which ends the stream
            chunks.put(exc)

    thread = threading.Thread(target=run, name="export-stream", daemon=True)
    thread.start()
    try:
        while (item := chunks.get()) is not _END:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        thread.join(timeout=30)


def spooled(produce: Callable[[IO[bytes]], object]) -> Iterator[bytes]:
    """For formats that must be complete before sending (XLSX): write to a temp file first."""
    with tempfile.TemporaryFile() as handle:
        produce(handle)
        handle.seek(0)
        while chunk := handle.read(_CHUNK):
            yield chunk
