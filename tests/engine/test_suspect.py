"""Edges too good to be true are flagged with their causes; one ticker on venues that share
no network for it is two assets, never paired."""

from __future__ import annotations

from arbscope.engine.calculator import OpportunityCalculator
from arbscope.engine.config import EngineConfig
from arbscope.engine.kinds import KINDS
from arbscope.engine.risk import Check, RiskContext, RiskThresholds, evaluate_risk
from arbscope.engine.route_index import RateTable, RouteIndex
from arbscope.engine.spatial import evaluate_spatial
from arbscope.engine.suspect import suspicion, unpaired_assets
from arbscope.market.sim import SimMarket
from arbscope.models import (
    AssetNetwork,
    BookKey,
    Kind,
    Market,
    Opportunity,
    OrderBook,
    VenueHealth,
    VenueState,
)
from arbscope.storage.settings import Settings

T0 = 1_732_400_000.0
BUY, SELL = ("alpha", "BTC/USDT"), ("beta", "BTC/USDT")


def market(key: BookKey, *networks: AssetNetwork) -> Market:
    base, quote = key[1].split("/")
    return Market(venue=key[0], symbol=key[1], base=base, quote=quote, taker_fee=0.001,
                  base_networks=networks)


def book(key: BookKey, bid: float, ask: float, ts: float = T0) -> OrderBook:
    return OrderBook(venue=key[0], symbol=key[1], ts=ts, bids=((bid, 1.0),), asks=((ask, 1.0),))


def wide_spatial(beta_ts: float = T0, markets: dict[BookKey, Market] | None = None) -> Opportunity:
    # Buy 0.5 BTC on alpha at 100 = 50 USDT (+0.05 fee); sell on beta at 110 = 55 (-0.055 fee):
    # net = 54.945 - 50.05 = 4.895 USDT on a 50 notional = +979.0 bps, beyond 500.
    found = markets or {BUY: market(BUY), SELL: market(SELL)}
    opp = evaluate_spatial(book(BUY, 99.0, 100.0), book(SELL, 110.0, 111.0, beta_ts),
                           found[BUY], found[SELL], 0.5, T0)
    assert opp is not None
    return opp


LIVE = {v: VenueHealth(venue=v, state=VenueState.LIVE) for v in ("alpha", "beta")}
PLAIN = {BUY: market(BUY), SELL: market(SELL)}


def suspect_of(
    opp: Opportunity,
    health: dict[str, VenueHealth] = LIVE,
    markets: dict[BookKey, Market] = PLAIN,
) -> tuple[str, ...] | None:
    found = suspicion(opp, health, markets, edge_bps=500.0, book_gap_s=1.0)
    return None if found is None else found.causes


def context(
    opp: Opportunity, health: dict[str, VenueHealth] = LIVE,
    markets: dict[BookKey, Market] = PLAIN,
) -> RiskContext:
    return RiskContext(
        now=T0,
        books={BUY: book(BUY, 99.0, 100.0), SELL: book(SELL, 110.0, 111.0)},
        markets=markets,
        health=health,
        balance=lambda venue, currency: 1e6,
    )


def test_the_threshold_is_a_risk_setting_of_500_bps_by_default() -> None:
    assert RiskThresholds().suspect_edge_bps == 500.0
    assert Settings.model_validate({"risk": {"suspect_edge_bps": 1000}}).risk.suspect_edge_bps \
        == 1000.0
    opp = wide_spatial()
    assert round(opp.net_bps, 1) == 979.0
    assert suspicion(opp, LIVE, PLAIN, edge_bps=1000.0, book_gap_s=1.0) is None
    assert suspect_of(opp) == ()  # beyond 500, and nothing in the data explains it
    report = evaluate_risk(opp, context(opp), RiskThresholds(suspect_edge_bps=1000.0))
    assert report.item("suspect").status is Check.PASS


def test_books_far_apart_in_time_are_named_with_their_ages() -> None:
    # beta's book was received 3 s before alpha's: 3.0 s apart, more than the 1 s allowed.
    opp = wide_spatial(beta_ts=T0 - 3.0)
    assert suspect_of(opp) == (
        "books 3.0s apart (BTC/USDT@alpha 0.0s old, BTC/USDT@beta 3.0s old)",
    )
    item = evaluate_risk(opp, context(opp)).item("suspect")
    assert item.status is Check.WARN and item.label == "Too good to be true"
    assert item.reason == (
        "net +979.0 bps is beyond 500 bps: books 3.0s apart "
        "(BTC/USDT@alpha 0.0s old, BTC/USDT@beta 3.0s old)"
    )
    # 3 s apart is within a 5 s allowance.
    lenient = suspicion(opp, LIVE, PLAIN, edge_bps=500.0, book_gap_s=5.0)
    assert lenient is not None and lenient.causes == ()


def test_a_venue_in_maintenance_or_a_symbol_down_is_named() -> None:
    opp = wide_spatial()
    maintenance = {**LIVE, "beta": VenueHealth(
        venue="beta", state=VenueState.LIVE, last_error="OnMaintenance: System maintenance")}
    assert suspect_of(opp, maintenance) == (
        "beta reported maintenance (OnMaintenance: System maintenance)",
    )
    down = {**LIVE, "alpha": VenueHealth(venue="alpha", state=VenueState.DOWN,
                                         last_error="NetworkError: timed out"),
            "beta": VenueHealth(venue="beta", state=VenueState.LIVE, down_symbols=("BTC/USDT",))}
    assert suspect_of(opp, down) == (
        "alpha is down (NetworkError: timed out)", "BTC/USDT down on beta",
    )
    item = evaluate_risk(opp, context(opp, maintenance)).item("suspect")
    assert item.status is Check.WARN and "beta reported maintenance" in item.reason


def test_one_ticker_with_two_contracts_is_named_and_fails_the_checklist() -> None:
    # Both list BTC on ERC20 and TRC20; TRC20 agrees, ERC20's contracts differ.
    a = (AssetNetwork(network="ERC20", contract="0xaaaaaaaaaaaa1111"),
         AssetNetwork(network="TRC20", contract="tbtc"))
    b = (AssetNetwork(network="ERC20", contract="0xbbbbbbbbbbbb2222"),
         AssetNetwork(network="TRC20", contract="tbtc"))
    conflicting = {BUY: market(BUY, *a), SELL: market(SELL, *b)}
    opp = wide_spatial(markets=conflicting)
    assert suspect_of(opp, markets=conflicting) == (
        "BTC may be two assets: alpha and beta publish different contracts on "
        "ERC20 (0xaaaaaaaa… vs 0xbbbbbbbb…)",
    )
    assert evaluate_risk(opp, context(opp, markets=conflicting)).item("suspect").status \
        is Check.WARN
    # Only ERC20, with two contracts: nothing shared, two assets; the checklist fails.
    apart = {BUY: market(BUY, a[0]), SELL: market(SELL, b[0])}
    report = evaluate_risk(opp, context(opp, markets=apart))
    assert report.item("suspect").status is Check.FAIL
    assert "different assets" in report.item("suspect").reason
    assert report.item("inventory").status is Check.FAIL
    assert report.item("inventory").reason == (
        "BTC on alpha and beta has different contracts on ERC20 (0xaaaaaaaa… vs 0xbbbbbbbb…): "
        "different assets, not paired"
    )


def test_the_inventory_item_names_the_shared_network() -> None:
    shared = {BUY: market(BUY, AssetNetwork(network="BTC"), AssetNetwork(network="LN")),
              SELL: market(SELL, AssetNetwork(network="BTC"))}
    opp = wide_spatial(markets=shared)
    reason = evaluate_risk(opp, context(opp, markets=shared)).item("inventory").reason
    assert reason.startswith("move 0.5 BTC alpha->beta via BTC")


# --- pairing -----------------------------------------------------------------------------

BTC_NET = AssetNetwork(network="BTC")
WRAPPED = AssetNetwork(network="BEP20", contract="0x7130d2a12b9bcbfae4f2634d864a1ee1ce3ead9c")
PAIRING = [
    market(("alpha", "BTC/USDT"), BTC_NET),
    market(("alpha", "EUR/USDT")),
    market(("beta", "BTC/USDT"), BTC_NET, WRAPPED),
    # gamma's "BTC" is a token on BEP20 only with another contract: another asset.
    market(("gamma", "BTC/USDT"),
           AssetNetwork(network="BEP20", contract="0x1111111111111111111111111111111111111111")),
    market(("gamma", "BTC/EUR"),
           AssetNetwork(network="BEP20", contract="0x1111111111111111111111111111111111111111")),
    # delta publishes no networks: paired as before.
    market(("delta", "BTC/USDT")),
]


def _opened(markets: list[Market]) -> set[str]:
    calc = OpportunityCalculator(EngineConfig(), markets)
    # gamma's BTC is at 90 against 100 everywhere else: every route through it would pay.
    prices = {"alpha": 100.0, "beta": 100.0, "delta": 100.0, "gamma": 90.0}
    books = [book(m.key, prices[m.venue] - 0.1, prices[m.venue]) for m in markets
             if m.base == "BTC" and m.quote == "USDT"]
    books += [book(("gamma", "BTC/EUR"), 82.0, 82.1), book(("alpha", "EUR/USDT"), 1.09, 1.0901)]
    calc.update(books, T0)
    return {o.route_id for o in calc.opportunities(T0)}


def test_markets_whose_base_shares_no_network_are_never_paired() -> None:
    calc = OpportunityCalculator(EngineConfig(), PAIRING)
    counts = calc.route_counts()
    # Spatial: alpha, beta, delta pair both ways (6); gamma only with delta (2).
    assert counts[Kind.SPATIAL.value] == 8
    assert counts[Kind.STATISTICAL.value] == 4
    stripped = [m.model_copy(update={"base_networks": ()}) for m in PAIRING]
    assert OpportunityCalculator(EngineConfig(), stripped).route_counts()[Kind.SPATIAL.value] \
        == 12
    opened = _opened(PAIRING)
    without_rule = _opened(stripped)
    assert "spatial:BTC/USDT:gamma>alpha" in without_rule  # the edge is there on today's rule
    assert any(r.startswith("cross") and "gamma" in r for r in without_rule)
    through_gamma = {r for r in opened if "gamma" in r}
    # Only delta (no networks published) still pairs with gamma.
    assert through_gamma and all("delta" in r for r in through_gamma), through_gamma


def test_the_venue_screen_list_says_which_assets_are_kept_apart() -> None:
    assert [u.reason for u in unpaired_assets(PAIRING)] == [
        "BTC on alpha (BTC) shares no network with gamma: not paired with them",
        "BTC on beta (BEP20, BTC) shares no network with gamma: not paired with them",
        "BTC on gamma (BEP20) shares no network with alpha, beta: not paired with them",
    ]


def test_the_simulated_market_keeps_bitstamps_usdc_apart_and_every_other_route() -> None:
    markets = {m.key: m for m in SimMarket().markets()}
    assert markets[("binance", "BTC/USDT")].base_networks == (BTC_NET,)

    def routes(found: dict[BookKey, Market]) -> dict[str, tuple[BookKey, ...]]:
        index = RouteIndex(found, EngineConfig(), RateTable(found), {}, KINDS)
        return {route_id: route.keys for route_id, route in index.routes.items()}

    with_networks = routes(markets)
    today = routes({k: replace_networks(m) for k, m in markets.items()})
    gone = {route_id for route_id in today if route_id not in with_networks}
    usdc = ("bitstamp", "USDC/USD")
    # Exactly the routes pairing bitstamp's USDC with another venue's USDC are gone ...
    assert gone == {
        route_id for route_id, keys in today.items()
        if usdc in keys and any(k[0] != "bitstamp" and k[1].startswith("USDC/") for k in keys)
    }
    assert any(r.startswith("spatial:USDC/USD") for r in gone)
    # ... and every other route of the default sim is still built.
    assert set(with_networks) == set(today) - gone


def replace_networks(m: Market) -> Market:
    return m.model_copy(update={"base_networks": ()})
