"""Failures of one symbol on a venue, kept apart from the venue's other symbols.

A listed but suspended or delisted pair answers errors for ever; if its
failure ended the venue's session, the venue's healthy symbols would get no
book at all. So each symbol counts its own failures and waits its own
back-off, and the venue as a whole fails only when every symbol it watches is
down at once (then a fresh connection is the likely cure).

When that happens the symbol that went down first is the likely culprit: ccxt
closes a whole websocket when one symbol's snapshot keeps failing, which
takes the healthy symbols down with it. The culprit keeps its back-off into
the next session (and a connection of its own there); the others start
afresh.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from arbscope.market.ccxt_retry import Backoff


class SymbolFailed(Exception):
    """Every watched symbol of the venue is down; `symbol` failed last, `culprit` first."""

    def __init__(self, symbol: str, error: str, culprit: str) -> None:
        super().__init__(f"{symbol}: {error}")
        self.symbol = symbol
        self.culprit = culprit


@dataclass(slots=True)
class _Down:
    backoff: Backoff
    retry_at: float = 0.0
    last_error: str = ""
    down: bool = field(default=False)
    down_since: float = 0.0


class SymbolFailures:
    """Which of a venue's symbols are down, how often they failed, when each is retried."""

    def __init__(self, make_backoff: Callable[[], Backoff]) -> None:
        self._make_backoff = make_backoff
        self._symbols: dict[str, _Down] = {}

    def _of(self, symbol: str) -> _Down:
        state = self._symbols.get(symbol)
        if state is None:
            state = self._symbols[symbol] = _Down(self._make_backoff())
        return state

    def failed(self, symbol: str, error: str, now: float) -> float:
        """Count a failure of `symbol`; returns how long it waits before its next try."""
        state = self._of(symbol)
        delay = state.backoff.next_delay()
        if not state.down:
            state.down_since = now
        state.down, state.retry_at, state.last_error = True, now + delay, error
        return delay

    def succeeded(self, symbol: str) -> bool:
        """A book of `symbol` arrived; True when it was down until now."""
        state = self._symbols.get(symbol)
        if state is None or not state.down:
            return False
        state.down = False
        state.backoff.reset()
        return True

    def due(self, symbol: str, now: float) -> bool:
        """Whether `symbol` may be asked for now (up, or its back-off has passed)."""
        state = self._symbols.get(symbol)
        return state is None or not state.down or now >= state.retry_at

    def down(self) -> tuple[str, ...]:
        """Symbols down now, in the order they first failed."""
        return tuple(symbol for symbol, state in self._symbols.items() if state.down)

    def all_down(self, symbols: Iterable[str]) -> bool:
        watched = list(symbols)
        return bool(watched) and all(
            symbol in self._symbols and self._symbols[symbol].down for symbol in watched
        )

    def retry_in(self, symbol: str, now: float) -> float:
        """Seconds until `symbol` may be tried again (0 when it may now)."""
        state = self._symbols.get(symbol)
        return 0.0 if state is None or not state.down else max(0.0, state.retry_at - now)

    def first_down(self) -> str | None:
        """The symbol down the longest, None when none is down."""
        down = [(state.down_since, symbol) for symbol, state in self._symbols.items() if state.down]
        return min(down)[1] if down else None

    def failures(self, symbol: str) -> int:
        """Failures of `symbol` in a row."""
        state = self._symbols.get(symbol)
        return 0 if state is None else state.backoff.attempts

    def clear(self, keep: str | None = None) -> None:
        """A fresh session: every symbol starts again, but `keep` keeps its state."""
        kept = self._symbols.get(keep) if keep is not None else None
        self._symbols.clear()
        if keep is not None and kept is not None:
            self._symbols[keep] = kept
