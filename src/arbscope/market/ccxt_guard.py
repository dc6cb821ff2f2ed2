"""A guard around ccxt's websocket reader for frames it cannot read.

ccxt hands each frame to its parser inside an asyncio callback; a frame that
is not JSON (or that a handler chokes on) raises there, asyncio prints the
traceback to stderr (over the monitor's screen) and the reader stops for
good, so the connection goes silent. The guard turns such a frame into a
connection error instead: ccxt rejects the pending watches, and the feed
reconnects at once with a fresh snapshot.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class MalformedFrame(Exception):
    """A websocket frame ccxt could not read."""


def guard_frames(exchange: Any) -> None:
    """Make every websocket client the exchange creates from now on fail loudly on a bad frame."""
    make_client: Callable[[str], Any] = exchange.client

    def client(url: str) -> Any:
        made = make_client(url)
        if not getattr(made, "arbscope_guarded", False):
            read: Callable[[Any], None] = made.handle_text_or_binary_message

            def guarded(data: Any) -> None:
                try:
                    read(data)
                except Exception as exc:  # any frame ccxt cannot take ends this connection
                    text = data if isinstance(data, str) else repr(data)
                    shown = text if len(text) <= 80 else text[:77] + "..."
                    made.on_error(MalformedFrame(f"{type(exc).__name__} reading {shown!r}"))

            made.handle_text_or_binary_message = guarded
            made.arbscope_guarded = True
        return made

    exchange.client = client
