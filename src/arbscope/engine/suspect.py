"""Edges too good to be true, and tickers that are not the same asset.

Two questions, answered here once so that every screen asks the same function:

* Same ticker, same asset? Where both venues publish the networks they move a
  base asset on (`Market.base_networks`, from their currencies), two markets of
  one ticker that share no network are different assets. A network both list
  with two different published contracts does not count as shared. The route
  index never pairs such markets (`route_unpaired`, at build time, never per
  update); the venues screen lists them (`unpaired_assets`). A venue that
  publishes nothing is paired as before.
* Too good to be true? A route whose net edge is beyond a threshold is shown as
  suspect (`suspicion`), with the causes the data shows: books far apart in
  time, a venue that is not live or a leg's symbol down, a ticker whose
  contracts differ between venues.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from arbscope.models import (
    AssetNetwork,
    BookKey,
    Market,
    Opportunity,
    VenueHealth,
    VenueState,
)


def _names(networks: Iterable[AssetNetwork]) -> str:
    return ", ".join(sorted({n.network for n in networks}))


def _short(contract: str) -> str:
    return contract if len(contract) <= 12 else f"{contract[:10]}…"


def contract_conflicts(a: Market, b: Market) -> list[str]:
    """Networks both markets' venues list for the base with two different contracts."""
    theirs = {n.network: n.contract for n in b.base_networks}
    found = []
    for mine in a.base_networks:
        other = theirs.get(mine.network)
        if mine.contract and other and mine.contract != other:
            found.append(f"{mine.network} ({_short(mine.contract)} vs {_short(other)})")
    return found


def shared_networks(a: Market, b: Market) -> tuple[str, ...] | None:
    """Networks on which both venues move the base (contracts agreeing where both are
    published), sorted; None when either venue publishes no networks."""
    if not a.base_networks or not b.base_networks:
        return None
    theirs: dict[str, set[str | None]] = {}
    for network in b.base_networks:
        theirs.setdefault(network.network, set()).add(network.contract)
    shared = set()
    for mine in a.base_networks:
        contracts = theirs.get(mine.network)
        if contracts is None:
            continue
        if mine.contract is None or None in contracts or mine.contract in contracts:
            shared.add(mine.network)
    return tuple(sorted(shared))


def unshared_reason(a: Market, b: Market) -> str | None:
    """Why two markets of one ticker on two venues are different assets; None when they
    may be the same (a shared network, or a venue that does not say)."""
    if a.base != b.base or a.venue == b.venue:
        return None
    if shared_networks(a, b) != ():
        return None
    conflicts = contract_conflicts(a, b)
    if conflicts:
        return (
            f"{a.base} on {a.venue} and {b.venue} has different contracts on "
            f"{', '.join(conflicts)}: different assets, not paired"
        )
    return (
        f"{a.base} on {a.venue} ({_names(a.base_networks)}) and on {b.venue} "
        f"({_names(b.base_networks)}) share no network: different assets, not paired"
    )


def route_unpaired(keys: Sequence[BookKey], markets: Mapping[BookKey, Market]) -> str | None:
    """Why a route's books pair two different assets under one ticker, or None.

    Every pair of its books on two venues with the same base is checked, whatever the
    kind: the buy and sell of a spatial, statistical or cross-currency route."""
    for i, first in enumerate(keys):
        a = markets.get(first)
        if a is None or not a.base_networks:
            continue
        for second in keys[i + 1:]:
            b = markets.get(second)
            if b is None or not b.base_networks:
                continue
            reason = unshared_reason(a, b)
            if reason is not None:
                return reason
    return None


@dataclass(frozen=True, slots=True)
class UnpairedAsset:
    """One venue's asset that shares no network with the same ticker on other venues."""

    asset: str
    venue: str
    networks: tuple[str, ...]
    """The venue's networks for the asset."""
    others: tuple[str, ...]
    """Venues listing the same ticker on none of them."""

    @property
    def reason(self) -> str:
        return (
            f"{self.asset} on {self.venue} ({', '.join(self.networks)}) shares no network "
            f"with {', '.join(self.others)}: not paired with them"
        )


def unpaired_assets(markets: Iterable[Market]) -> list[UnpairedAsset]:
    """Every (asset, venue) kept apart from another venue's same ticker, sorted."""
    by_asset: dict[str, dict[str, Market]] = {}
    for market in markets:
        if market.base_networks:
            by_asset.setdefault(market.base, {}).setdefault(market.venue, market)
    found = []
    for asset, venues in sorted(by_asset.items()):
        for venue, market in sorted(venues.items()):
            others = tuple(
                other for other, theirs in sorted(venues.items())
                if other != venue and unshared_reason(market, theirs) is not None
            )
            if others:
                networks = tuple(sorted({n.network for n in market.base_networks}))
                found.append(UnpairedAsset(asset, venue, networks, others))
    return found


@dataclass(frozen=True, slots=True)
class Suspicion:
    """A route whose net edge is beyond belief, and what in the data may explain it."""

    net_bps: float
    threshold_bps: float
    causes: tuple[str, ...]
    """Likely causes the data shows; empty when it shows none."""
    two_assets: bool = False
    """The data shows two assets under one ticker (no shared network): no trade at all."""

    @property
    def reason(self) -> str:
        head = f"net {self.net_bps:+.1f} bps is beyond {self.threshold_bps:g} bps"
        if not self.causes:
            return f"{head}: nothing in the data explains it, check the books by hand"
        return f"{head}: {'; '.join(self.causes)}"

    def as_json(self) -> dict[str, object]:
        return {"threshold_bps": self.threshold_bps, "causes": list(self.causes)}


def _time_cause(opp: Opportunity, book_gap_s: float) -> str | None:
    if len(opp.book_ts) < 2 or max(opp.book_ts) - min(opp.book_ts) <= book_gap_s:
        return None
    ages = ", ".join(
        f"{leg.symbol}@{leg.venue} {age:.1f}s old"
        for leg, age in zip(opp.legs, opp.book_ages, strict=False)
    )
    return f"books {max(opp.book_ts) - min(opp.book_ts):.1f}s apart ({ages})"


def _health_causes(opp: Opportunity, health: Mapping[str, VenueHealth]) -> list[str]:
    causes = []
    for venue in dict.fromkeys(leg.venue for leg in opp.legs):
        h = health.get(venue)
        if h is None:
            continue
        error = h.last_error or ""
        if h.state is not VenueState.LIVE:
            causes.append(f"{venue} is {h.state.value}" + (f" ({error})" if error else ""))
        elif "maintenance" in error.lower():
            causes.append(f"{venue} reported maintenance ({error})")
        down = [leg.symbol for leg in opp.legs if leg.venue == venue and leg.symbol in
                h.down_symbols]
        if down:
            causes.append(f"{', '.join(dict.fromkeys(down))} down on {venue}")
    return causes


def _asset_causes(
    opp: Opportunity, markets: Mapping[BookKey, Market]
) -> tuple[list[str], bool]:
    """Causes about the assets, and whether two of the legs' markets are two assets."""
    keys = [(leg.venue, leg.symbol) for leg in opp.legs]
    causes, two_assets = [], False
    for i, first in enumerate(keys):
        for second in keys[i + 1:]:
            a, b = markets.get(first), markets.get(second)
            if a is None or b is None or a.venue == b.venue or a.base != b.base:
                continue
            unshared = unshared_reason(a, b)
            if unshared is not None:
                causes.append(unshared.removesuffix(", not paired"))
                two_assets = True
                continue
            conflicts = contract_conflicts(a, b)
            if conflicts:
                causes.append(
                    f"{a.base} may be two assets: {a.venue} and {b.venue} publish different "
                    f"contracts on {', '.join(conflicts)}"
                )
    return causes, two_assets


def suspicion(
    opportunity: Opportunity,
    health: Mapping[str, VenueHealth],
    markets: Mapping[BookKey, Market],
    *,
    edge_bps: float,
    book_gap_s: float,
) -> Suspicion | None:
    """The route's suspicion when its net edge is beyond `edge_bps`, else None.

    Causes, in this order, where the data shows them: its books more than
    `book_gap_s` apart in receive time (with each one's age), a venue not live or
    reporting maintenance, a leg's symbol down, the same ticker with different
    contracts (or no shared network) on two venues."""
    if not opportunity.net_bps > edge_bps:
        return None
    causes = [cause for cause in (_time_cause(opportunity, book_gap_s),) if cause]
    causes += _health_causes(opportunity, health)
    asset_causes, two_assets = _asset_causes(opportunity, markets)
    return Suspicion(opportunity.net_bps, edge_bps, (*causes, *asset_causes), two_assets)
