"""One paper-trading session: the broker, its trade log, volatility and auto-close.

Textual-free on purpose: the monitor feeds it every scanner snapshot it reads
(`feed`), paused display or not, so volatility keeps being sampled and
statistical positions keep closing themselves while the screen is frozen.
The UI keeps only what is about the screen (ticket, notifications, workers).

Books. Quotes, checklists and executions read the market's latest snapshot.
The scanner swaps in a whole new snapshot at each step, each with a dict of
books of its own that nobody mutates afterwards, so reading one from the
event loop is safe without a lock. The broker asks again after each leg's
simulated latency, so a leg meets the book as it is then. Depth the user's
own fills took is taken out by the broker's ledger (`visible_book`).

Auto-close. With ``[paper] stat_auto_close``, a new snapshot with open
positions returns the broker's `close_reverted` as work to run (one at a
time): positions whose pair's z is back within the exit band close. The z
comes from the calculator's `spread_z`, a dict read of floats the scanner's
thread stores whole.

The trade log. Opened for writing when its folder and file allow it; a good
log that cannot be written is opened read-only: its trades are shown and
trading is off, with the reason in `trading_off`. A log that cannot be
opened at all leaves paper trading in memory (`log_problem` says why).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, Protocol

from arbscope.engine.config import EngineConfig
from arbscope.engine.risk import RiskContext
from arbscope.models import BookKey, Market, MarketSnapshot, Opportunity, OrderBook
from arbscope.storage.settings import Settings
from arbscope.trading.broker import PaperBroker, Sleep
from arbscope.trading.execution import Execution
from arbscope.trading.quote import TicketQuote, build_quote
from arbscope.trading.resize import resize
from arbscope.trading.tradelog import TradeLog, TradeLogError, TradeLogReadOnlyError
from arbscope.trading.volatility import VolatilityTracker

VOLATILITY_EVERY_S = 0.5
"""Market seconds between two volatility samples of every book (the tracker's variance
per second does not depend on how often it samples; this keeps frames cheap)."""


class MarketSource(Protocol):
    """What the session reads of the market (the monitor's scanner, or a test's books)."""

    @property
    def snapshot(self) -> MarketSnapshot: ...

    @property
    def config(self) -> EngineConfig: ...

    def spread_z(self, route_id: str) -> float | None: ...


class TradingSession:
    """Paper trading on one market: broker, trade log, volatility, auto-close."""

    def __init__(
        self,
        settings: Settings,
        market: MarketSource,
        *,
        clock: Callable[[], float] | None = None,
        sleep: Sleep = asyncio.sleep,
        volatility: VolatilityTracker | None = None,
        log_path: Path | None = None,
    ) -> None:
        """`clock`: the market's time (replays run on the recording's; default the wall's).
        `log_path`: the trade log (default `trades.sqlite3` in the data folder)."""
        self.settings = settings
        self.market = market
        self.thresholds = settings.risk
        self.volatility = volatility or VolatilityTracker()
        self._clock = clock
        self._sleep = sleep
        self._log_path = log_path
        self.log: TradeLog | None = None
        self.broker: PaperBroker | None = None
        self.log_problem = ""
        """Why trades are not kept (the log could not be opened at all); '' when they are."""
        self.trading_off = ""
        """Why orders are refused (a good log that cannot be written); '' when trading is on."""
        self.executions: list[Execution] = []
        """Every execution of this session, in order (tests and benchmarks read it)."""
        self._sampled_ts = float("-inf")
        self._auto_ts = float("-inf")
        """Time of the last snapshot auto-close looked at."""
        self._auto_closing = False
        """An auto-close is running: the next snapshot does not start another."""

    # -- life cycle -------------------------------------------------------------

    def open(self) -> None:
        """Open the trade log and the broker on it (not in __init__: a session that never
        runs never touches the data folder)."""
        try:
            self.log = TradeLog(self._log_path)
        except TradeLogReadOnlyError as error:
            self.trading_off = f"paper trading is off: {error}"
            try:
                self.log = TradeLog(self._log_path, read_only=True)
            except (TradeLogError, OSError) as reason:
                self.log_problem = str(reason)
        except (TradeLogError, OSError) as error:
            self.log_problem = str(error)
        self.broker = PaperBroker.from_settings(self.settings, self._book, self._market,
                                                self.log, sleep=self._sleep, clock=self.now)

    def close(self) -> None:
        if self.log is not None:
            self.log.close()
            self.log = None

    # -- what the broker and the checklist read ------------------------------------

    def now(self) -> float:
        """The market's time."""
        return self._clock() if self._clock is not None else time.time()

    def _book(self, key: BookKey) -> OrderBook | None:
        """The latest book of `key` (called by the broker after each leg's latency)."""
        return self.market.snapshot.books.get(key)

    def _market(self, key: BookKey) -> Market | None:
        return self.market.snapshot.markets.get(key)

    def _visible(self, snapshot: MarketSnapshot, key: BookKey) -> OrderBook | None:
        book = snapshot.books.get(key)
        if book is None or self.broker is None:
            return book
        return self.broker.visible_book(book)

    def context(self, snapshot: MarketSnapshot, opportunity: Opportunity) -> RiskContext:
        """What the checklist of `opportunity` reads besides the route itself."""
        assert self.broker is not None, "open() the session first"
        keys = {(leg.venue, leg.symbol) for leg in opportunity.legs}
        books = {k: b for k in keys if (b := self._visible(snapshot, k)) is not None}
        volatility = {k: s for k in keys if (s := self.volatility.sigma_bps(k)) is not None}
        config = self.market.config
        return RiskContext(
            now=self.now(),
            books=books,
            markets=snapshot.markets,
            health=snapshot.health,
            balance=self.broker.balances.get,
            max_book_age=config.book_age_limit,
            latency_s=self.broker.config.latency_s,
            volatility=volatility,
            withdrawal_fees=config.withdrawal_fees,
            transfers=snapshot.transfers,
        )

    def quote(self, route: Opportunity, size: float) -> TicketQuote:
        """`route` at `size` on the current books, as the next order would meet them."""
        snapshot = self.market.snapshot
        current = next((o for o in snapshot.opportunities if o.route_id == route.route_id), route)
        resized = resize(current, size, lambda key: self._visible(snapshot, key),
                         snapshot.markets.get, self.now(), self.market.config)
        if resized is None:
            return build_quote(None, self.context(snapshot, current), size=size,
                               message="the route no longer pays on the current books")
        return build_quote(resized, self.context(snapshot, resized), self.thresholds, size=size)

    def order(self, route: Opportunity, size: float) -> tuple[Opportunity | None, str]:
        """`route` re-quoted at `size`, ready to execute, or None and why not (the
        route closed, a failing check, trading off)."""
        if self.trading_off:
            return None, self.trading_off
        quote = self.quote(route, size)
        if quote.opportunity is None:
            return None, quote.message
        if quote.report is not None and quote.report.blocked:
            return None, quote.report.summary
        return quote.opportunity, ""

    # -- the market moves ------------------------------------------------------------

    def feed(self, snapshot: MarketSnapshot) -> Coroutine[Any, Any, list[Execution]] | None:
        """Advance on the scanner's latest snapshot, whatever the display does: sample
        volatility, and return the auto-close to run when positions are open (None: nothing
        to do). The caller runs it (the monitor in a worker) and hears of its closes."""
        if snapshot.ts - self._sampled_ts >= VOLATILITY_EVERY_S:
            self._sampled_ts = snapshot.ts
            self.volatility.update_many(snapshot.books.values())
        broker = self.broker
        if (broker is None or self.trading_off or self._auto_closing
                or snapshot.ts <= self._auto_ts or not broker.config.stat_auto_close
                or not broker.open_positions()):
            return None
        self._auto_ts = snapshot.ts
        self._auto_closing = True
        return self._close_reverted()

    async def _close_reverted(self) -> list[Execution]:
        assert self.broker is not None
        try:
            closed = await self.broker.close_reverted(self.market.spread_z)
        finally:
            self._auto_closing = False
        self.executions.extend(closed)
        return closed

    # -- orders ----------------------------------------------------------------------

    async def execute(self, opportunity: Opportunity) -> Execution:
        """Execute `opportunity` (from `order`); logged before it returns."""
        assert self.broker is not None, "open() the session first"
        if self.trading_off:
            raise TradeLogReadOnlyError(self.trading_off)
        execution = await self.broker.execute(opportunity)
        self.executions.append(execution)
        return execution

    def open_position_ids(self) -> list[int]:
        return [p.position_id for p in self.broker.open_positions()] if self.broker else []

    async def close_position(self, position_id: int) -> Execution:
        assert self.broker is not None, "open() the session first"
        if self.trading_off:
            raise TradeLogReadOnlyError(self.trading_off)
        execution = await self.broker.close_position(position_id)
        self.executions.append(execution)
        return execution
