"""Guards around ccxt: frames it cannot read, hosts nobody named, Retry-After it drops.

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
from urllib.parse import urlsplit


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


class UnnamedHost(Exception):
    """ccxt was about to open a websocket to a host the settings did not name."""


def guard_hosts(exchange: Any, allowed: frozenset[str]) -> None:
    """Refuse websocket connections to hosts outside `allowed` (empty: any host is fine).

    Once the settings redirect a venue (a proxy, a test host), ccxt still knows the
    venue's own websocket hosts, and some venues hand out a websocket URL over REST
    (KuCoin's bullet token): neither may reach a host the user did not name.
    """
    if not allowed:
        return
    make_client: Callable[[str], Any] = exchange.client

    def client(url: str) -> Any:
        host = urlsplit(url).hostname or ""
        if host.casefold() not in allowed:
            raise UnnamedHost(
                f"websocket {urlsplit(url)._replace(query='').geturl()} is on {host}, which the "
                f"settings do not name (they name {', '.join(sorted(allowed))}); not connecting"
            )
        return make_client(url)

    exchange.client = client


RETRY_AFTER_STATUSES = frozenset({418, 429, 503})
"""Answers whose Retry-After says how long the venue wants us gone."""


def tap_retry_after(exchange: Any) -> None:
    """Keep the Retry-After of the newest 418/429/503 answer as `exchange.arbscope_retry_after`
    (the raw header text; ccxt's exception carries only the body)."""
    exchange.arbscope_retry_after = None
    seen: Callable[..., Any] = exchange.on_rest_response

    def on_rest_response(code: Any, reason: Any, url: Any, method: Any, headers: Any,
                         body: Any, *rest: Any) -> Any:
        if isinstance(code, int) and code in RETRY_AFTER_STATUSES and isinstance(headers, dict):
            found = {str(k).casefold(): v for k, v in headers.items()}.get("retry-after")
            exchange.arbscope_retry_after = None if found is None else str(found)
        return seen(code, reason, url, method, headers, body, *rest)

    exchange.on_rest_response = on_rest_response
