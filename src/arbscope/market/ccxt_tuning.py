"""What a live venue feed is tuned by, the errors it ends a session with, and how it
describes them; shared by `ccxt_venue` and `ccxt_feed`, free of ccxt itself."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

Sleep = Callable[[float], Awaitable[None]]


class LiveTuning(BaseModel):
    """Timing of live feeds; the defaults suit real venues, tests shorten them."""

    model_config = ConfigDict(frozen=True)

    backoff_initial_s: float = Field(default=1.0, gt=0)
    """First wait after a failure; doubles with each failure in a row."""
    backoff_max_s: float = Field(default=60.0, gt=0)
    """Longest wait between tries."""
    backoff_jitter: float = Field(default=0.2, ge=0, lt=1)
    """Each wait is spread by up to this fraction either way."""
    silence_timeout_s: float = Field(default=60.0, gt=0)
    """A websocket venue with no book for this long is reconnected (quiet books on
    busy venues still update well within a minute)."""
    ws_failures_before_rest: int = Field(default=3, ge=1)
    """`auto` transport: websocket failures in a row before falling back to REST polling."""
    poll_interval_s: float = Field(default=1.0, gt=0)
    """REST polling: least time between two polls of the same symbol."""
    rejects_before_resync: int = Field(default=3, ge=1)
    """Books of one symbol refused in a row (crossed, NaN ...) before resynchronising."""
    close_timeout_s: float = Field(default=12.0, gt=0)
    """How long a shutdown waits for old connections to close."""
    depth: int | None = Field(default=None, gt=0)
    """Levels per side to ask for and publish; None keeps the venue's ccxt default."""


class BookRejected(Exception):
    """The service refused several books of a symbol in a row: the local book is broken."""


class CredentialsRefused(Exception):
    """ccxt took a credential from the options: the exchange is never used."""


class Silence(Exception):
    """No book arrived for longer than the silence timeout."""


class WatchCancelled(Exception):
    """ccxt cancelled a pending watch: it closes a connection by cancelling every future on
    it (its websocket client's close()), which reaches our task as a CancelledError that
    nobody asked for."""


class EmptyBook(Exception):
    """A book with no level on either side: ccxt's reading of an error page, not a market."""


def describe_error(exc: BaseException) -> str:
    """One line for the status bar: the ccxt error class and its message, trimmed."""
    text = " ".join(str(exc).split()) or "no details"
    if len(text) > 200:
        text = text[:197] + "..."
    return f"{type(exc).__name__}: {text}"


VENUE_WIDE = frozenset({"RateLimitExceeded", "DDoSProtection"})
"""ccxt errors about the client, not the symbol: a rate limit or ban covers the whole venue."""


def venue_wide(exc: BaseException) -> bool:
    return any(cls.__name__ in VENUE_WIDE for cls in type(exc).__mro__)


def spot_only(exchange: Any) -> None:
    """Ask ccxt for spot markets only (fewer requests, no perpetuals named like spot pairs)."""
    options = exchange.options
    current = options.get("fetchMarkets")
    if isinstance(current, dict) and "spot" in (current.get("types") or ()):
        options["fetchMarkets"] = {**current, "types": ["spot"]}
    elif isinstance(current, list) and "spot" in current:
        options["fetchMarkets"] = ["spot"]
