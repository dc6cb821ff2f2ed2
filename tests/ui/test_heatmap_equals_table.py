"""One figure, one function: the heatmap's cell is the opportunities table's net bps."""

from __future__ import annotations

from hypothesis import given, settings

from arbscope.engine.spatial import evaluate_spatial
from arbscope.ui.format import fmt_bps
from arbscope.ui.spreads import spatial_grid
from tests.engine.strategies import SpatialCase, spatial_cases

T0 = 1_732_400_000.0


@settings(max_examples=300, deadline=None)
@given(case=spatial_cases())
def test_the_heatmap_cell_equals_the_table_row_for_the_same_route_and_size(
    case: SpatialCase,
) -> None:
    opportunity = evaluate_spatial(
        case.buy_book, case.sell_book, case.buy_market, case.sell_market, case.target_size, T0
    )
    if opportunity is None:
        return
    books = {case.buy_book.key: case.buy_book, case.sell_book.key: case.sell_book}
    markets = {case.buy_market.key: case.buy_market, case.sell_market.key: case.sell_market}
    # The heatmap is drawn at the size the calculator chose (`trade_size_base`).
    grid = spatial_grid("BTC/USDT", books, markets, opportunity.size)
    cell = grid.value(case.buy_book.venue, case.sell_book.venue)
    assert cell == opportunity.net_bps  # to the last digit, not approximately
    assert fmt_bps(cell) == fmt_bps(opportunity.net_bps)
