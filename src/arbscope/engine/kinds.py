"""The registry of opportunity kinds: one `KindSpec` each, in the order the monitor's keys
1..N toggle them.

Everything that treats kinds differently reads its spec from here: the route
index (routes and bounds), the calculator (evaluators), the ticket's resize,
the risk checklist (inventory), the table's kind column and the toggles. A new
kind is one module with its `KindSpec`, listed here.
"""

from __future__ import annotations

from arbscope.engine.cross_currency import CROSS_CURRENCY
from arbscope.engine.four_cycles import QUADRANGULAR
from arbscope.engine.route_index import KindSpec
from arbscope.engine.spatial import SPATIAL
from arbscope.engine.statistical import STATISTICAL
from arbscope.engine.triangular import TRIANGULAR
from arbscope.models import Kind

KINDS: tuple[KindSpec, ...] = (SPATIAL, TRIANGULAR, CROSS_CURRENCY, STATISTICAL, QUADRANGULAR)
"""Every kind, in toggle order."""

_BY_KIND: dict[Kind, KindSpec] = {spec.kind: spec for spec in KINDS}


def spec_of(kind: Kind) -> KindSpec:
    """The spec of `kind` (every `Kind` has one: a test holds the registry complete)."""
    return _BY_KIND[kind]
