"""The trade log pane as the monitor's 50-column right column shows it.

`TradeLogPane` lists eight columns (about 90 characters); in the monitor's
right column that would scroll sideways and hide the realized profit. This
pane keeps everything else of it (summary, balances, exposures, `e`, `c`) and
lists four columns: trade number, route, status and realized profit. The
expected profit, slippage and time are in the notification after each trade
and in the CSV.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.content import Content
from textual.widgets import DataTable, Static

from arbscope.trading.tradelog import TradeRow
from arbscope.ui.format import truncate
from arbscope.ui.widgets.trade_log import TradeLogPane, signed

NARROW_COLUMNS = (("#", 4), ("route", 23), ("status", 9), ("realized", 10))
"""(label, width); no cell padding, so each width includes the space after it (46 in all)."""

STATUS_STYLES = {"filled": "$pass", "partial": "$warn", "unfilled": "$fail"}


def short_route(route_id: str, width: int) -> str:
    """`spatial:BTC/USDT:binance>okx` -> `BTC/USDT binance→okx`, cut to `width`."""
    kind, _, rest = route_id.partition(":")
    text = (rest or kind).replace(":", " ").replace(">", "→")
    return truncate(text, width)


def narrow_cells(row: TradeRow) -> tuple[object, ...]:
    route_width = NARROW_COLUMNS[1][1] - 1
    prefix = {"open": "⇄ ", "close": "⇆ "}.get(row.action, "")
    status = Content.styled(row.status, STATUS_STYLES.get(row.status, ""))
    realized: object = (
        Content.styled("open", "$warn") if row.action == "open" else signed(row.realized_profit)
    )
    return (
        str(row.trade_id),
        prefix + short_route(row.route_id, route_width - len(prefix)),
        status,
        realized,
    )


class NarrowTradeLogPane(TradeLogPane):
    """`TradeLogPane` with four columns, to fit the monitor's right column."""

    def compose(self) -> ComposeResult:
        table: DataTable[object] = DataTable(cursor_type="row", zebra_stripes=True, cell_padding=0)
        for label, width in NARROW_COLUMNS:
            table.add_column(label, width=width, key=label)
        yield table
        yield Static(id="summary")

    def cells(self, row: TradeRow) -> tuple[object, ...]:
        return narrow_cells(row)
