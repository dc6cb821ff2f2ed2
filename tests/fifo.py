"""A real FIFO that tells whether anything opened it for reading, without ever hanging a test."""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def fifo_never_read(path: Path) -> Iterator[None]:
    """Make a FIFO at `path`; fail on leaving if code inside opened it for reading.

    A writer thread waits in `open` for a reader, then writes one byte and
    closes, so code that opens the FIFO reads that byte and an end of file
    instead of blocking forever. On leaving, a non-blocking reader of our own
    releases the writer: if the byte reaches *us*, nobody else opened the
    FIFO. No clock is involved.
    """
    os.mkfifo(path)

    def writer() -> None:
        fd = os.open(path, os.O_WRONLY)  # returns once some reader has opened the FIFO
        try:
            os.write(fd, b"x")
        except BrokenPipeError:
            pass  # that reader already went away; it was still a reader
        finally:
            os.close(fd)

    thread = threading.Thread(target=writer, daemon=True)
    thread.start()
    try:
        yield
    finally:
        release = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        thread.join()
        reached_us = os.read(release, 1) == b"x"
        os.close(release)
    assert reached_us, f"{path} (a FIFO) was opened for reading"
