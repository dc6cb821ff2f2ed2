"""The risk checklist: what to look at before executing an opportunity at a size.

Pure: everything it reads comes in a RiskContext (books, markets, health,
balances, latencies, volatility). Each item is pass / warn / fail with a
one-line reason; any fail blocks execution, any warn asks for a second
confirmation. Volatility never fails on its own (it is a probability, not a
certainty): it warns and feeds the expected slippage of the ticket.

Also here, because the broker (trading/) and the checklist must agree:
which leg funds which (`funding_sources`) and what a route needs on each venue
before it starts (`required_funds`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from arbscope.engine.fills import round_down, walk_base
from arbscope.engine.kinds import spec_of
from arbscope.engine.suspect import Suspicion, shared_networks, suspicion, unshared_reason
from arbscope.models import (
    BookKey,
    CrossRoute,
    Kind,
    Leg,
    Market,
    Opportunity,
    OrderBook,
    Side,
    TransferInfo,
    VenueHealth,
    VenueState,
    split_symbol,
)

MEAN_ABS_FACTOR = math.sqrt(2.0 / math.pi)
"""E|X| / sigma for a normal X: a typical (absolute) move from a standard deviation."""


class Check(StrEnum):
    PASS = "pass"
    WARN = "warn"
    FAIL = "fail"


_RANK = {Check.PASS: 0, Check.WARN: 1, Check.FAIL: 2}


@dataclass(frozen=True, slots=True)
class RiskItem:
    name: str
    """Stable key: freshness, depth, profit, suspect, balances, health, market_rules, fx,
    volatility, inventory."""
    label: str
    """What the pane shows, e.g. "Book freshness"."""
    status: Check
    reason: str
    """One line saying why."""


@dataclass(frozen=True, slots=True)
class RiskReport:
    items: tuple[RiskItem, ...]

    @property
    def verdict(self) -> Check:
        """The worst item (PASS when there are none)."""
        return max((i.status for i in self.items), key=_RANK.__getitem__, default=Check.PASS)

    @property
    def blocked(self) -> bool:
        return self.verdict is Check.FAIL

    @property
    def needs_confirmation(self) -> bool:
        """A warn and no fail: the user confirms a second time."""
        return self.verdict is Check.WARN

    def with_status(self, status: Check) -> tuple[RiskItem, ...]:
        return tuple(i for i in self.items if i.status is status)

    def item(self, name: str) -> RiskItem:
        for candidate in self.items:
            if candidate.name == name:
                return candidate
        raise KeyError(name)

    @property
    def summary(self) -> str:
        fails, warns = self.with_status(Check.FAIL), self.with_status(Check.WARN)
        if fails:
            more = f" (+{len(fails) - 1} more)" if len(fails) > 1 else ""
            return f"blocked: {fails[0].reason}{more}"
        if warns:
            return f"{len(warns)} warning{'s' if len(warns) > 1 else ''}: confirm twice"
        return "all checks pass"


class RiskThresholds(BaseModel):
    """Where an item turns from pass to warn or fail: the `[risk]` section of settings.toml."""

    model_config = ConfigDict(frozen=True, use_attribute_docstrings=True)

    min_net_profit: float = 0.0
    """Net profit at the trade size must be above this, in the profit currency."""
    thin_edge_bps: float = Field(default=2.0, ge=0)
    """A net edge below this many bps passes the threshold but warns: one tick of noise eats it."""
    freshness_warn_fraction: float = Field(default=0.5, gt=0, le=1)
    """Warn when a leg's book is older than this fraction of its venue's max book age."""
    depth_warn_fraction: float = Field(default=0.5, gt=0, le=1)
    """Warn when a leg takes more than this fraction of the visible depth of its side."""
    balance_warn_fraction: float = Field(default=0.9, gt=0, le=1)
    """Warn when a route needs more than this fraction of a balance (a small move blocks it)."""
    volatility_warn_ratio: float = Field(default=2.0, ge=0)
    """Warn when the net edge is less than this many expected moves during the legs' latency."""
    suspect_edge_bps: float = Field(default=500.0, gt=0)
    """A net edge beyond this many bps is too good to be true: the route is marked suspect
    (table, checklist, scan) with the likely causes the data shows."""
    suspect_book_gap_s: float = Field(default=1.0, gt=0)
    """On a suspect route, books received more than this many seconds apart are named as a
    cause (one of them is probably old news)."""


def _never_ages(venue: str) -> float:
    return 5.0


def _default_latency(venue: str) -> float:
    return 0.15


@dataclass(frozen=True, slots=True)
class RiskContext:
    """Everything the checklist reads besides the opportunity."""

    now: float
    books: Mapping[BookKey, OrderBook]
    """Current books, as the user's next order would see them (own fills taken out)."""
    markets: Mapping[BookKey, Market]
    health: Mapping[str, VenueHealth]
    balance: Callable[[str, str], float]
    """(venue, currency) -> amount held."""
    max_book_age: Callable[[str], float] = _never_ages
    latency_s: Callable[[str], float] = _default_latency
    volatility: Mapping[BookKey, float] | None = None
    """Mid volatility per book, bps per sqrt(second) (VolatilityTracker); None: not measured."""
    withdrawal_fees: Mapping[str, float] = field(default_factory=dict)
    """Withdrawal fee per asset, in that asset."""
    transfers: Mapping[tuple[str, str], TransferInfo] = field(default_factory=dict)
    """(venue, asset) -> what the venue publishes about transfers; empty on sim and replay."""


def leg_currencies(leg: Leg) -> tuple[str, str]:
    """(currency the leg spends, currency it receives): a buy spends the quote."""
    base, quote = split_symbol(leg.symbol)
    return (quote, base) if leg.side is Side.BUY else (base, quote)


def funding_sources(legs: Sequence[Leg]) -> tuple[int | None, ...]:
    """For each leg, the earlier leg whose proceeds it spends (None: it spends held inventory).

    A leg is funded by the nearest earlier, not yet used leg on the same venue
    whose output currency is this leg's input: a triangle chains every leg, a
    spatial route chains none (its legs can run at once), a cross route chains
    its FX leg to the sale only when both are on the same venue.
    """
    sources: list[int | None] = []
    used: set[int] = set()
    for index, leg in enumerate(legs):
        spends = leg_currencies(leg)[0]
        source = None
        for earlier in range(index - 1, -1, -1):
            prior = legs[earlier]
            same_venue = prior.venue == leg.venue
            if earlier not in used and same_venue and leg_currencies(prior)[1] == spends:
                source = earlier
                used.add(earlier)
                break
        sources.append(source)
    return tuple(sources)


def required_funds(legs: Sequence[Leg]) -> dict[tuple[str, str], float]:
    """What each (venue, currency) must hold before the route starts, at the legs' expected fills.

    A buy needs cost*(1+fee) of its quote, a sell its base amount; a leg funded
    by an earlier leg needs nothing held.
    """
    needs: dict[tuple[str, str], float] = {}
    for leg, source in zip(legs, funding_sources(legs), strict=True):
        if source is not None:
            continue
        spends = leg_currencies(leg)[0]
        amount = leg.cost * (1.0 + leg.fee_rate) if leg.side is Side.BUY else leg.amount
        needs[(leg.venue, spends)] = needs.get((leg.venue, spends), 0.0) + amount
    return needs


def taker_levels(book: OrderBook, side: Side) -> Sequence[tuple[float, float]]:
    return book.asks if side is Side.BUY else book.bids


def expected_move_bps(opportunity: Opportunity, context: RiskContext) -> float | None:
    """Typical adverse move summed over the legs during each one's latency, bps.

    sigma_leg * sqrt(latency) * sqrt(2/pi) per leg; None when a leg's volatility
    is unknown.
    """
    if context.volatility is None:
        return None
    total = 0.0
    for leg in opportunity.legs:
        sigma = context.volatility.get((leg.venue, leg.symbol))
        if sigma is None:
            return None
        total += sigma * math.sqrt(context.latency_s(leg.venue)) * MEAN_ABS_FACTOR
    return total


def expected_slippage(opportunity: Opportunity, context: RiskContext) -> float | None:
    """expected_move_bps applied to the notional, in the profit currency (a cost, >= 0)."""
    move = expected_move_bps(opportunity, context)
    return None if move is None else opportunity.notional * move / 1e4


def rebalancing_cost(
    opportunity: Opportunity,
    withdrawal_fees: Mapping[str, float],
    transfers: Mapping[tuple[str, str], TransferInfo] | None = None,
) -> float | None:
    """Cost of moving the bought base back after a spatial or cross route, profit currency.

    The route's own waterfall line when it has one, else the settings' withdrawal
    fee, else the buy venue's cheapest published network fee, valued at the sell
    VWAP; None when unknown, 0.0 when nothing must move. Settings win over the
    venue: they are the user's word (their network, their fee tier), and the
    route's net already counts them.
    """
    if not spec_of(opportunity.kind).moves_inventory:
        return 0.0
    for step in opportunity.waterfall:
        if step.label.startswith("rebalancing"):
            return -step.amount
    fee = withdrawal_fees.get(opportunity.size_currency)
    if fee is None and transfers and opportunity.legs:
        published = transfers.get((opportunity.legs[0].venue, opportunity.size_currency))
        fee = None if published is None else published.withdraw_fee
    price = opportunity.sell_vwap
    if fee is None or price is None:
        return None
    return fee * price



def _freshness(opp: Opportunity, ctx: RiskContext, th: RiskThresholds) -> RiskItem:
    label = "Book freshness"
    worst: tuple[float, float, str] | None = None  # (age / limit, age, leg name)
    for leg in opp.legs:
        name = f"{leg.symbol}@{leg.venue}"
        book = ctx.books.get((leg.venue, leg.symbol))
        if book is None:
            return RiskItem("freshness", label, Check.FAIL, f"no current book for {name}")
        age = max(0.0, ctx.now - book.ts)
        limit = ctx.max_book_age(leg.venue)
        if age > limit:
            return RiskItem(
                "freshness", label, Check.FAIL, f"{name} is {age:.1f}s old (limit {limit:g}s)"
            )
        if worst is None or age / limit > worst[0]:
            worst = (age / limit, age, name)
    assert worst is not None, "an opportunity has legs"
    fraction, age, name = worst
    status = Check.WARN if fraction > th.freshness_warn_fraction else Check.PASS
    reason = f"oldest {name} {age:.2f}s ({fraction:.0%} of limit)"
    return RiskItem("freshness", label, status, reason)


def _depth(opp: Opportunity, ctx: RiskContext, th: RiskThresholds) -> RiskItem:
    label = "Depth for size"
    worst = (0.0, "")
    for leg in opp.legs:
        book = ctx.books.get((leg.venue, leg.symbol))
        name = f"{leg.symbol}@{leg.venue}"
        if book is None:
            return RiskItem("depth", label, Check.FAIL, f"no current book for {name}")
        levels = taker_levels(book, leg.side)
        depth = math.fsum(size for _, size in levels)
        fill = walk_base(levels, leg.amount)
        if fill.amount < leg.amount * (1.0 - 1e-9):
            return RiskItem(
                "depth", label, Check.FAIL,
                f"{name} shows {depth:.6g} of the {leg.amount:.6g} {leg.side.value} needs",
            )
        share = leg.amount / depth if depth > 0 else math.inf
        if share > worst[0]:
            worst = (share, name)
    share, name = worst
    if share > th.depth_warn_fraction:
        return RiskItem("depth", label, Check.WARN, f"takes {share:.0%} of {name}'s visible depth")
    if opp.max_size > 0 and opp.size > opp.max_size * (1.0 + 1e-9):
        return RiskItem(
            "depth", label, Check.WARN,
            f"size {opp.size:.6g} is above the largest profitable {opp.max_size:.6g}",
        )
    return RiskItem("depth", label, Check.PASS, f"at most {share:.0%} of a book ({name})")


def _profit(opp: Opportunity, ctx: RiskContext, th: RiskThresholds) -> RiskItem:
    label = "Net profit"
    cur = opp.profit_currency
    figure = f"{opp.net_profit:+.4g} {cur} ({opp.net_bps:+.1f} bps)"
    if not opp.net_profit > th.min_net_profit:
        return RiskItem(
            "profit", label, Check.FAIL,
            f"net {figure} is not above the threshold {th.min_net_profit:g} {cur}",
        )
    if spec_of(opp.kind).expected:
        return RiskItem(
            "profit", label, Check.WARN, f"expected {figure}: needs mean reversion, not locked in"
        )
    if opp.net_bps < th.thin_edge_bps:
        return RiskItem(
            "profit", label, Check.WARN, f"net {figure}: thinner than {th.thin_edge_bps:g} bps"
        )
    return RiskItem("profit", label, Check.PASS, f"net {figure} after fees")


def suspicion_for(
    opportunity: Opportunity,
    health: Mapping[str, VenueHealth],
    markets: Mapping[BookKey, Market],
    thresholds: RiskThresholds,
) -> Suspicion | None:
    """Whether a route is suspect and why: the one call the table, `scan` and this
    checklist make (engine/suspect.py), with the `[risk]` thresholds."""
    return suspicion(
        opportunity, health, markets,
        edge_bps=thresholds.suspect_edge_bps, book_gap_s=thresholds.suspect_book_gap_s,
    )


def _suspect(opp: Opportunity, ctx: RiskContext, th: RiskThresholds) -> RiskItem:
    label = "Too good to be true"
    found = suspicion_for(opp, ctx.health, ctx.markets, th)
    if found is None:
        return RiskItem(
            "suspect", label, Check.PASS,
            f"net {opp.net_bps:+.1f} bps within {th.suspect_edge_bps:g} bps",
        )
    # Two venues' tickers that are not one asset cannot be arbitraged at all.
    return RiskItem("suspect", label, Check.FAIL if found.two_assets else Check.WARN,
                    found.reason)


def _balances(opp: Opportunity, ctx: RiskContext, th: RiskThresholds) -> RiskItem:
    label = "Balances"
    parts: list[str] = []
    status = Check.PASS
    for (venue, currency), needed in sorted(required_funds(opp.legs).items()):
        held = ctx.balance(venue, currency)
        if needed > held:
            return RiskItem(
                "balances", label, Check.FAIL,
                f"{venue} needs {needed:.6g} {currency}, holds {held:.6g}",
            )
        if needed > held * th.balance_warn_fraction:
            status = Check.WARN
            parts.insert(0, f"{venue} uses {needed / held:.0%} of its {currency}")
        else:
            parts.append(f"{venue} {needed:.6g}/{held:.6g} {currency}")
    return RiskItem("balances", label, status, "; ".join(parts) or "nothing to fund")


def _health(opp: Opportunity, ctx: RiskContext, th: RiskThresholds) -> RiskItem:
    label = "Venue health"
    status, notes = Check.PASS, []
    for venue in dict.fromkeys(leg.venue for leg in opp.legs):
        health = ctx.health.get(venue)
        if health is None:
            status = max(status, Check.WARN, key=_RANK.__getitem__)
            notes.append(f"{venue} unknown")
        elif health.state in (VenueState.DOWN, VenueState.STALE):
            why = f": {health.last_error}" if health.last_error else ""
            return RiskItem("health", label, Check.FAIL, f"{venue} is {health.state.value}{why}")
        elif health.state is VenueState.CONNECTING:
            status = max(status, Check.WARN, key=_RANK.__getitem__)
            notes.append(f"{venue} still connecting")
        else:
            notes.append(f"{venue} live")
    return RiskItem("health", label, status, ", ".join(notes))


def _market_rules(opp: Opportunity, ctx: RiskContext, th: RiskThresholds) -> RiskItem:
    label = "Min size, precision"
    status, notes = Check.PASS, []
    if opp.minimum_breach is not None:
        # The size asked for is refused by a venue, whatever the figures show.
        return RiskItem(
            "market_rules", label, Check.FAIL,
            f"size asked for breaks {opp.minimum_breach.describe()}",
        )
    for leg in opp.legs:
        name = f"{leg.symbol}@{leg.venue}"
        market = ctx.markets.get((leg.venue, leg.symbol))
        if market is None:
            status = Check.WARN
            notes.append(f"{name}: rules unknown")
            continue
        if leg.amount < market.min_amount:
            return RiskItem(
                "market_rules", label, Check.FAIL,
                f"{name} amount {leg.amount:.6g} below minimum {market.min_amount:g}",
            )
        if leg.cost < market.min_cost:
            return RiskItem(
                "market_rules", label, Check.FAIL,
                f"{name} notional {leg.cost:.6g} below minimum {market.min_cost:g} {market.quote}",
            )
        rounded = round_down(leg.amount, market.amount_step)
        if rounded < leg.amount * (1.0 - 1e-9):
            status = Check.WARN
            notes.append(f"{name} rounds down to {rounded:.8g}")
    return RiskItem("market_rules", label, status, "; ".join(notes) or "every leg within rules")


def _fx(opp: Opportunity, ctx: RiskContext, th: RiskThresholds) -> RiskItem:
    label = "FX source"
    route = opp.route
    if opp.kind is not Kind.CROSS_CURRENCY:
        return RiskItem("fx", label, Check.PASS, "no currency conversion")
    if not isinstance(route, CrossRoute):
        return RiskItem("fx", label, Check.WARN, "FX source not reported")
    if route.fx is not None:
        pair = route.fx[0][1]
        return RiskItem("fx", label, Check.PASS, f"real market {pair}, its spread and fee counted")
    rate = opp.detail.get("fx_rate", "?")
    return RiskItem(
        "fx", label, Check.WARN, f"static {route.static_fx} rate {rate} from settings, not a market"
    )


def _volatility(opp: Opportunity, ctx: RiskContext, th: RiskThresholds) -> RiskItem:
    label = "Volatility vs edge"
    move = expected_move_bps(opp, ctx)
    if move is None:
        return RiskItem("volatility", label, Check.WARN, "not measured yet: no recent mids")
    if move <= 0:
        return RiskItem("volatility", label, Check.PASS, "books have not moved recently")
    ratio = opp.net_bps / move
    reason = f"edge {opp.net_bps:+.1f} bps vs typical move {move:.1f} bps in latency"
    status = Check.WARN if ratio < th.volatility_warn_ratio else Check.PASS
    return RiskItem("volatility", label, status, reason)


def _inventory(opp: Opportunity, ctx: RiskContext, th: RiskThresholds) -> RiskItem:
    label = "Inventory afterwards"
    spec = spec_of(opp.kind)
    if not spec.moves_inventory:
        return RiskItem("inventory", label, Check.PASS, spec.inventory_note)
    buy, sell = opp.legs[0], opp.legs[1]
    moving = f"move {opp.size:.6g} {opp.size_currency} {buy.venue}->{sell.venue}"
    bought = ctx.markets.get((buy.venue, buy.symbol))
    sold = ctx.markets.get((sell.venue, sell.symbol))
    if bought is not None and sold is not None:
        unshared = unshared_reason(bought, sold)
        if unshared is not None:
            return RiskItem("inventory", label, Check.FAIL, unshared)
        networks = shared_networks(bought, sold)
        if networks:
            moving += f" via {', '.join(networks)}"
    asset = opp.size_currency
    source, target = ctx.transfers.get((buy.venue, asset)), ctx.transfers.get((sell.venue, asset))
    if source is not None and source.can_withdraw is False:
        return RiskItem(
            "inventory", label, Check.FAIL,
            f"{moving}: {buy.venue} has {asset} withdrawals disabled",
        )
    if target is not None and target.can_deposit is False:
        return RiskItem(
            "inventory", label, Check.FAIL,
            f"{moving}: {sell.venue} has {asset} deposits disabled",
        )
    cost = rebalancing_cost(opp, ctx.withdrawal_fees, ctx.transfers)
    if cost is None:
        return RiskItem(
            "inventory", label, Check.WARN,
            f"{moving}; cost unknown (set withdrawal_fees.{opp.size_currency})",
        )
    if cost >= opp.net_profit:
        return RiskItem(
            "inventory", label, Check.WARN,
            f"{moving} costs {cost:.4g} {opp.profit_currency}, more than the net",
        )
    return RiskItem("inventory", label, Check.PASS, f"{moving}: {cost:.4g} {opp.profit_currency}")


_ITEMS: tuple[Callable[[Opportunity, RiskContext, RiskThresholds], RiskItem], ...] = (
    _freshness, _depth, _profit, _suspect, _balances, _health, _market_rules, _fx, _volatility,
    _inventory,
)


def evaluate_risk(
    opportunity: Opportunity,
    context: RiskContext,
    thresholds: RiskThresholds | None = None,
) -> RiskReport:
    """The checklist for `opportunity` at its size, in a fixed order of items."""
    th = thresholds or RiskThresholds()
    return RiskReport(tuple(item(opportunity, context, th) for item in _ITEMS))
