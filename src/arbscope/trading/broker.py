"""PaperBroker: execute an opportunity as taker IOC orders against books after latency.

Per docs/ARCHITECTURE.md "Paper execution". For each leg the broker awaits the venue's
simulated latency (an injectable sleep), then reads the book *as it is then*
from its provider, and fills against it (see orders.py for the limit rule).
Legs that spend held inventory start together; a leg that spends what an
earlier leg delivers (a triangle's next step) waits for it. Fills debit and
credit per-venue balances; depth taken stays taken until the book updates.

Profit, in the route's profit currency:
* realized = net flow of the profit currency over all venues, plus, when a
  leg fell short, the left-over exposures marked at mids after execution
  (rounding dust of a fully filled route is not counted, as in the engine);
* a statistical route OPENs a paired position (realized 0) and its CLOSE
  realizes the whole round trip;
* slippage = expected - realized.

Balances, depth taken and positions change only when the trade's transaction
commits (one source of truth, the log): an execution fills against a working
copy of the balances and of the depth ledger, the log commits it on a worker
thread (so a busy log never stalls the event loop), and only then is the copy
applied. A commit that fails (locked, damaged file) raises and changes nothing.
Executions are serialised: one at a time.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from pydantic import Field

from arbscope.engine.config import EngineConfig
from arbscope.engine.fills import taker_leg, walk_base
from arbscope.engine.risk import funding_sources
from arbscope.models import (
    BookKey,
    CrossRoute,
    Kind,
    Leg,
    Market,
    Opportunity,
    OrderBook,
    Side,
)
from arbscope.storage.sections import PaperConfig
from arbscope.storage.settings import Settings, VenueSettings
from arbscope.trading.accounting import RouteFields, exposures_of, status_of
from arbscope.trading.balances import Balances
from arbscope.trading.depth import DepthLedger
from arbscope.trading.execution import (
    Execution,
    ExecutionStatus,
    LegExecution,
    Position,
    PositionLeg,
    TradeAction,
    currency_flow,
)
from arbscope.trading.marking import Marks
from arbscope.trading.orders import LegOrder, fill_order, make_order
from arbscope.trading.tradelog import TradeLog

BookProvider = Callable[[BookKey], OrderBook | None]
"""The current book of a key (in the app: the MarketService's latest books)."""
MarketProvider = Callable[[BookKey], Market | None]
Sleep = Callable[[float], Awaitable[None]]


class BrokerConfig(PaperConfig):
    """How paper orders behave: the `[paper]` section plus what the broker takes from the
    other sections. Each default is the one of the section it comes from."""

    default_latency_ms: float = Field(
        default=VenueSettings.model_fields["latency_ms"].default, ge=0
    )
    """Latency of a venue without its own `venues.NAME.latency_ms`."""
    latency_ms: dict[str, float] = Field(default_factory=dict)
    """Per venue: `venues.NAME.latency_ms`."""
    stat_exit_z: float = Field(default=EngineConfig.model_fields["stat_exit_z"].default, ge=0)
    """`[engine] stat_exit_z`: where auto-close closes."""
    fx_static_rates: dict[str, float] = Field(default_factory=dict)
    """`[engine] fx_static_rates`: only to mark exposures where no book converts."""

    @classmethod
    def from_settings(cls, settings: Settings) -> BrokerConfig:
        return cls(
            **settings.paper.model_dump(),
            latency_ms=settings.latency_ms(),
            stat_exit_z=settings.engine.stat_exit_z,
            fx_static_rates=dict(settings.engine.fx_static_rates),
        )

    def latency_s(self, venue: str) -> float:
        return self.latency_ms.get(venue, self.default_latency_ms) / 1000.0


@dataclass(slots=True)
class _Working:
    """The state one execution fills against, applied only once the log committed it."""

    balances: Balances
    depth: DepthLedger


class PaperBroker:
    """Simulated taker execution with balances, own-depth memory and a trade log."""

    def __init__(
        self,
        books: BookProvider,
        markets: MarketProvider,
        balances: Balances,
        log: TradeLog | None = None,
        config: BrokerConfig | None = None,
        sleep: Sleep = asyncio.sleep,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._books = books
        self._markets = markets
        self.balances = balances
        self.log = log
        self.config = config or BrokerConfig()
        self._sleep = sleep
        self._clock = clock
        self.ledger = DepthLedger()
        self._lock = asyncio.Lock()
        self._positions: dict[int, Position] = {
            p.position_id: p for p in (log.positions() if log else [])
        }
        self._next_local_id = 1

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        books: BookProvider,
        markets: MarketProvider,
        log: TradeLog | None = None,
        sleep: Sleep = asyncio.sleep,
        clock: Callable[[], float] = time.time,
    ) -> PaperBroker:
        """Balances start from settings, then take what the trade log last recorded."""
        latest = log.latest_balances() if log else None
        balances = Balances(settings.paper.starting_balances, latest)
        return cls(
            books, markets, balances, log, BrokerConfig.from_settings(settings), sleep, clock
        )

    # -- queries for the UI ----------------------------------------------------

    def visible_book(self, book: OrderBook) -> OrderBook:
        """`book` minus the depth the user's own fills took (tickets, checklists)."""
        return self.ledger.visible_book(book)

    def open_positions(self) -> list[Position]:
        return sorted(self._positions.values(), key=lambda p: p.position_id)

    # -- execution ---------------------------------------------------------------

    async def execute(self, opportunity: Opportunity) -> Execution:
        """Execute `opportunity` at its size; logged before returning (BLOCKED is not)."""
        action = TradeAction.OPEN if opportunity.kind is Kind.STATISTICAL else TradeAction.TRADE
        async with self._lock:
            work = self._working()
            execution = await self._run(opportunity.legs, opportunity, action, None, work)
            return await self._finish(execution, opportunity.z_score, work)

    async def close_position(self, position_id: int) -> Execution:
        """Close a statistical position: each leg's filled amount, the other side."""
        async with self._lock:
            position = self._positions.get(position_id)
            if position is None:
                raise KeyError(f"no open position {position_id}")
            legs = self._closing_legs(position)
            work = self._working()
            execution = await self._run(legs, None, TradeAction.CLOSE, position, work)
            return await self._finish(execution, None, work)

    async def close_reverted(self, z_of: Callable[[str], float | None]) -> list[Execution]:
        """With `stat_auto_close`, close every position whose route's abs(z) <= exit."""
        if not self.config.stat_auto_close:
            return []
        done = []
        for position in self.open_positions():
            z = z_of(position.route_id)
            if z is not None and abs(z) <= self.config.stat_exit_z:
                done.append(await self.close_position(position.position_id))
        return done

    def _closing_legs(self, position: Position) -> tuple[Leg, ...]:
        legs = []
        for held in position.legs:
            side = Side.SELL if held.side is Side.BUY else Side.BUY
            book = self._books((held.venue, held.symbol))
            levels = () if book is None else self._levels(book, side)
            fill = walk_base(levels, held.amount)
            market = self._markets((held.venue, held.symbol))
            rate = market.taker_fee if market else 0.0
            legs.append(taker_leg(held.venue, held.symbol, side, fill, rate, amount=held.amount))
        return tuple(legs)

    def _levels(self, book: OrderBook, side: Side) -> Sequence[tuple[float, float]]:
        return self.ledger.levels(book, side)

    def _working(self) -> _Working:
        return _Working(self.balances.copy(), self.ledger.copy())

    def _plan(self, legs: Sequence[Leg], work: _Working) -> tuple[list[LegOrder], str]:
        orders: list[LegOrder] = []
        for index, (leg, source) in enumerate(zip(legs, funding_sources(legs), strict=True)):
            key = (leg.venue, leg.symbol)
            book = self._books(key)
            if book is None:
                return [], f"no book for {leg.symbol} on {leg.venue}"
            orders.append(
                make_order(
                    index,
                    leg,
                    source,
                    work.depth.levels(book, leg.side),
                    self._markets(key),
                    self.config.limit_tolerance_bps,
                    self.config.latency_s(leg.venue),
                )
            )
        needs: dict[tuple[str, str], float] = {}
        for order in orders:
            if order.source is None:
                slot = (order.leg.venue, order.spends)
                needs[slot] = needs.get(slot, 0.0) + order.worst_cost()
        short = [
            f"{venue} needs {needed:.8g} {currency}, holds {held:.8g}"
            for (venue, currency), needed in sorted(needs.items())
            if needed > (held := work.balances.get(venue, currency))
        ]
        if short:
            return [], "insufficient balance: " + "; ".join(short)
        return orders, ""

    async def _run(
        self,
        legs: Sequence[Leg],
        opportunity: Opportunity | None,
        action: TradeAction,
        position: Position | None,
        work: _Working,
    ) -> Execution:
        requested_ts = self._clock()
        orders, blocked = self._plan(legs, work)
        results: list[LegExecution | None] = [None] * len(orders)
        if not blocked:
            finished = [asyncio.Event() for _ in orders]

            async def run_leg(order: LegOrder) -> None:
                if order.source is not None:
                    await finished[order.source].wait()
                await self._sleep(order.latency_s)
                funded = None
                if order.source is not None:
                    source = results[order.source]
                    funded = source.received[1] if source is not None else 0.0
                results[order.index] = self._fill(order, funded, work)
                finished[order.index].set()

            await asyncio.gather(*(run_leg(order) for order in orders))
        done = tuple(r for r in results if r is not None)
        return self._account(legs, done, opportunity, action, position, requested_ts, blocked,
                             work.balances)

    def _fill(self, order: LegOrder, funded: float | None, work: _Working) -> LegExecution:
        """Meet the book as it is now; settle the working balances and depth taken."""
        leg = order.leg
        book = self._books((leg.venue, leg.symbol))
        levels = () if book is None else work.depth.levels(book, leg.side)
        available = work.balances.get(leg.venue, order.spends)
        result = fill_order(order, book, levels, available, funded)
        if result.filled > 0 and book is not None:
            paid_currency, paid = result.paid
            got_currency, got = result.received
            work.balances.debit(leg.venue, paid_currency, paid)
            work.balances.credit(leg.venue, got_currency, got)
            work.depth.take(book, leg.side, ((f.price, f.amount) for f in result.fills))
        return result

    def _account(
        self,
        legs: Sequence[Leg],
        done: tuple[LegExecution, ...],
        opportunity: Opportunity | None,
        action: TradeAction,
        position: Position | None,
        requested_ts: float,
        blocked: str,
        balances: Balances,
    ) -> Execution:
        route = RouteFields.of(legs, opportunity, position, action)
        if position is not None:
            expected = position.expected_profit
        else:
            expected = opportunity.net_profit if opportunity else 0.0
        if blocked:
            return route.execution(
                requested_ts, self._clock(), (), ExecutionStatus.BLOCKED, expected, 0.0, 0.0,
                reason=blocked,
            )
        currency = route.profit_currency
        marks = Marks(
            [b for leg in legs if (b := self._books((leg.venue, leg.symbol))) is not None],
            self.config.fx_static_rates,
        )
        typed = opportunity.route if opportunity is not None else None
        static_fx = isinstance(typed, CrossRoute) and typed.fx is None
        exposures = exposures_of(done, currency, marks, always=static_fx)
        realized = currency_flow(done, currency) + sum(e.value or 0.0 for e in exposures)
        if action is TradeAction.OPEN:
            realized = 0.0
        elif action is TradeAction.CLOSE and position is not None:
            realized += position.open_flow
        fees = sum(marks.value(leg.quote, leg.fee, currency) or 0.0 for leg in done)
        reasons = [f"leg {leg.index + 1}: {leg.reason}" for leg in done if leg.reason]
        return route.execution(
            requested_ts, self._clock(), done, status_of(done), expected, realized, fees,
            exposures=exposures,
            reason="; ".join(reasons),
            position_id=position.position_id if position else None,
            balances_after=balances.snapshot(sorted({leg.venue for leg in legs})),
        )

    async def _finish(self, execution: Execution, entry_z: float | None,
                      work: _Working) -> Execution:
        """Log (one transaction, on a worker thread), then apply the balances, depth and
        positions: a commit that raises leaves all of them as they were."""
        if execution.status is ExecutionStatus.BLOCKED:
            return execution
        if self.log is not None:
            execution = await asyncio.to_thread(self.log.record, execution, entry_z)
        else:
            local = self._next_local_id
            self._next_local_id += 1
            opens = execution.action is TradeAction.OPEN
            execution = execution.with_ids(local, local if opens else execution.position_id)
        self.balances.replace_with(work.balances)
        self.ledger = work.depth
        filled = [leg for leg in execution.legs if leg.filled > 0]
        opened = execution.action is TradeAction.OPEN and bool(filled)
        if opened and execution.position_id is not None and execution.trade_id is not None:
            self._positions[execution.position_id] = Position(
                position_id=execution.position_id,
                route_id=execution.route_id,
                profit_currency=execution.profit_currency,
                opened_ts=execution.completed_ts,
                open_trade_id=execution.trade_id,
                legs=tuple(PositionLeg(f.venue, f.symbol, f.side, f.filled) for f in filled),
                open_flow=currency_flow(execution.legs, execution.profit_currency),
                expected_profit=execution.expected_profit,
                entry_z=entry_z,
            )
        elif execution.action is TradeAction.CLOSE and execution.position_id is not None:
            # A close that fell short leaves the rest as exposure (logged with it): the
            # position itself is done either way, so a second close cannot double-count.
            self._positions.pop(execution.position_id, None)
        return execution
