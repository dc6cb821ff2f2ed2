"""4-leg cycles on one venue, e.g. USDT -> BTC -> ETH -> EUR -> USDT (`max_cycle_legs = 4`).

A triangle's longer sibling: the same conversions, fee rule, dust, sizing and
figures (`triangular.evaluate_cycle`, which walks a cycle of any length), over
four markets joining four distinct currencies. The start currency is the one
the triangles' preference ranks first, so a cycle always has the same id, and
each cycle is listed in both directions.

Off unless `EngineConfig.max_cycle_legs` is 4: four-currency cycles are many
more than triangles (the route index grows with them).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from arbscope.engine.route_index import BuildContext, KindSpec, Route
from arbscope.engine.triangular import (
    CYCLE_INVENTORY_NOTE,
    cycle_index_routes,
    cycle_links,
    cycle_route,
    evaluate_cycle_route,
    neighbours_of,
    resize_cycle,
    start_rank,
)
from arbscope.models import FourCycleRoute, Kind, Market


def find_four_cycles(markets: Iterable[Market]) -> list[FourCycleRoute]:
    """Every 4-market cycle among one venue's spot markets, both directions, sorted by id."""
    venue, link = cycle_links(markets)
    if venue is None:
        return []
    neighbours = neighbours_of(link)
    routes: list[FourCycleRoute] = []
    for start in neighbours:
        rank = start_rank(start)
        # The start outranks the other three: each cycle once per direction.
        later = {c for c in neighbours if start_rank(c) > rank}
        for first in sorted(neighbours[start] & later):
            for second in sorted(neighbours[first] & later - {first}):
                for third in sorted(neighbours[second] & neighbours[start] & later):
                    if third in (first, second):
                        continue
                    path = (start, first, second, third, start)
                    routes.append(cycle_route(FourCycleRoute, venue, path, link))
    return sorted(routes, key=lambda r: r.route_id)


def _spec_build(context: BuildContext) -> Iterator[Route]:
    if context.config.max_cycle_legs < 4:
        return
    for venue_markets in context.by_venue.values():
        yield from cycle_index_routes(QUADRANGULAR, find_four_cycles(venue_markets), context)


QUADRANGULAR = KindSpec(
    kind=Kind.QUADRANGULAR,
    short="quad",
    label="4-leg cycles",
    build=_spec_build,
    evaluate=evaluate_cycle_route,
    resize=resize_cycle,
    moves_inventory=False,
    inventory_note=CYCLE_INVENTORY_NOTE,
)
