"""The trade log pane: recent paper trades, realized profit, running total, balances per venue.

Standalone: it is given the `TradeLog` (and optionally the broker's live
`Balances`) and reads them when told to (`reload()`, after each execution),
never on the refresh timer. Keys: `e` exports every trade to CSV (the same
`trading.export.export_csv` as `arbscope trades export`), `c` on the row of an
open statistical position asks the app to close it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import DataTable, Static

from arbscope.storage.outputs import OutputRefused
from arbscope.trading.accounting import settled
from arbscope.trading.balances import Balances
from arbscope.trading.export import default_export_path, export_csv_fresh
from arbscope.trading.tradelog import TradeLog, TradeRow

COLUMNS = (
    ("#", 5), ("time", 8), ("route", 34), ("act", 5), ("status", 8),
    ("expected", 10), ("realized", 10), ("slip", 9),
)


def signed(amount: float, decimals: int = 4) -> Content:
    """A profit figure coloured by its sign ($pass above zero, $fail below)."""
    amount = settled(amount)
    style = "$pass" if amount > 0 else "$fail" if amount < 0 else "$muted"
    return Content.styled(f"{amount:+.{decimals}f}", style)


def _trade_cells(row: TradeRow) -> tuple[object, ...]:
    status_style = {"filled": "$pass", "partial": "$warn", "unfilled": "$fail"}.get(row.status, "")
    realized: object = (
        Content.styled("open", "$warn") if row.action == "open" else signed(row.realized_profit)
    )
    return (
        str(row.trade_id),
        time.strftime("%H:%M:%S", time.gmtime(row.ts)),
        row.route_id,
        row.action,
        Content.styled(row.status, status_style),
        Content(f"{row.expected_profit:+.4f}"),
        realized,
        Content.styled(f"{settled(row.slippage):+.4f}", "$muted") if row.action != "open" else "",
    )


class TradeLogPane(Vertical):
    """Recent trades (newest first), then totals, balances and anything left open."""

    DEFAULT_CSS = """
    TradeLogPane {
        height: auto;
        max-height: 24;
        border: round $panel;
        border-title-color: $text-muted;
    }
    TradeLogPane:focus-within { border: round $primary; }
    TradeLogPane > DataTable { height: auto; max-height: 12; }
    TradeLogPane > #summary { height: auto; padding: 0 1; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("e", "export", "Export CSV"),
        Binding("c", "close_position", "Close position"),
    ]

    @dataclass
    class Exported(Message):
        """The trade log was written to `path` (`rows` leg rows)."""

        path: Path
        rows: int

    @dataclass
    class ClosePositionRequested(Message):
        """The user asked to close statistical position `position_id`
        (the app calls PaperBroker.close_position)."""

        position_id: int

    def __init__(
        self,
        log: TradeLog,
        balances: Balances | None = None,
        limit: int = 20,
        export_path: Callable[[], Path] | None = None,
        *,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.trade_log = log
        self.balances = balances
        self.limit = limit
        self._export_path = export_path or (lambda: default_export_path(time.time()))
        self._rows: list[TradeRow] = []
        self.border_title = "Trade log"

    def compose(self) -> ComposeResult:
        table: DataTable[object] = DataTable(cursor_type="row", zebra_stripes=True)
        for label, width in COLUMNS:
            table.add_column(label, width=width, key=label)
        yield table
        yield Static(id="summary")

    def on_mount(self) -> None:
        self.reload()

    def reload(self) -> None:
        """Read the log again (call after each execution): rows, totals, balances, exposure."""
        self._rows = self.trade_log.recent_trades(self.limit)
        table = self.query_one(DataTable)
        with self.app.batch_update():
            table.clear()
            for row in self._rows:
                table.add_row(*self.cells(row), key=str(row.trade_id))
            self.query_one("#summary", Static).update(self.summary())
        count = self.trade_log.count()
        self.border_title = f"Trade log · {count} trade{'s' if count != 1 else ''}"

    def cells(self, row: TradeRow) -> tuple[object, ...]:
        """One table row of a trade (narrower panes show fewer cells)."""
        return _trade_cells(row)

    def summary(self) -> Content:
        totals = self.trade_log.running_total()
        parts: list[Content] = [Content.styled("running total ", "$muted")]
        if not totals:
            parts.append(Content.styled("no trades yet", "$muted"))
        for index, (currency, total) in enumerate(totals.items()):
            separator = Content(", ") if index else Content("")
            parts += [separator, signed(total), Content(f" {currency}")]
        lines = [Content.assemble(*parts)]
        held = self.balances.snapshot() if self.balances else self.trade_log.latest_balances()
        for venue, amounts in held.items():
            shown = "  ".join(f"{a:.6g} {c}" for c, a in sorted(amounts.items()) if a)
            lines.append(Content.assemble((f"{venue:<10}", "$muted"), shown))
        for (venue, currency), amount in self.trade_log.exposure_totals().items():
            lines.append(
                Content.styled(f"exposure {venue}: {amount:+.8g} {currency} left open", "$warn")
            )
        for position in self.trade_log.positions():
            lines.append(
                Content.styled(
                    f"position {position.position_id} open: {position.route_id} "
                    f"(c on trade {position.open_trade_id} closes it)",
                    "$warn",
                )
            )
        return Content("\n").join(lines)

    def export(self, path: Path | None = None) -> tuple[Path, int]:
        """Write the CSV (default: a timestamped file in the data folder's exports/); never
        replaces a file: a taken name gets a counter. Returns (path written, rows)."""
        return export_csv_fresh(self.trade_log, path or self._export_path())

    def action_export(self) -> None:
        try:
            path, rows = self.export()
        except (OSError, OutputRefused) as error:
            self.notify(f"export failed: {error}", severity="error")
            return
        self.notify(f"exported {rows} leg rows to {path}")
        self.post_message(self.Exported(path, rows))

    def highlighted_trade(self) -> TradeRow | None:
        table = self.query_one(DataTable)
        if not self._rows or table.cursor_row < 0 or table.cursor_row >= len(self._rows):
            return None
        return self._rows[table.cursor_row]

    def action_close_position(self) -> None:
        row = self.highlighted_trade()
        open_ids = {p.position_id for p in self.trade_log.positions()}
        if row is None or row.position_id is None or row.position_id not in open_ids:
            self.notify("the highlighted trade has no open position", severity="warning")
            return
        self.post_message(self.ClosePositionRequested(row.position_id))
