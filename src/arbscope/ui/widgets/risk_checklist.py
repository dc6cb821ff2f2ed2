"""The risk checklist pane: each item of the selected route pass / warn / fail, and a verdict.

Standalone: the app hands it a `RiskReport` (engine/risk.evaluate_risk) with
`show_report`; it draws, nothing more. Colours are theme variables ($pass,
$warn, $fail, $muted) resolved when the content is rendered.
"""

from __future__ import annotations

from textual.content import Content
from textual.reactive import reactive
from textual.widgets import Static

from arbscope.engine.risk import Check, RiskReport
from arbscope.ui.widgets.common import retitle

MARKS = {Check.PASS: ("✓", "$pass"), Check.WARN: ("!", "$warn"), Check.FAIL: ("✗", "$fail")}
"""Symbol and theme variable of each status (the symbol keeps it readable without colour)."""

LABEL_WIDTH = 21


def verdict_line(report: RiskReport) -> Content:
    """`FAIL  blocked: ...` / `WARN  2 warnings: confirm twice` / `PASS  all checks pass`."""
    mark, style = MARKS[report.verdict]
    return Content.assemble(
        (f"{mark} {report.verdict.value.upper()}", f"bold {style}"), "  ", report.summary
    )


def checklist_content(report: RiskReport, with_verdict: bool = True) -> Content:
    """One line per item: mark, label, reason (muted unless it warns or fails)."""
    lines: list[Content] = [verdict_line(report)] if with_verdict else []
    for item in report.items:
        mark, style = MARKS[item.status]
        reason_style = "$muted" if item.status is Check.PASS else style
        lines.append(
            Content.assemble(
                (f"{mark} ", f"bold {style}"),
                item.label.ljust(LABEL_WIDTH),
                (item.reason, reason_style),
            )
        )
    return Content("\n").join(lines)


class RiskChecklistPane(Static):
    """The checklist of the selected route (or a hint when none is selected)."""

    DEFAULT_CSS = """
    RiskChecklistPane {
        height: auto;
        min-height: 3;
        padding: 0 1;
        border: round $panel;
        border-title-color: $text-muted;
    }
    RiskChecklistPane.-pass { border: round $pass; }
    RiskChecklistPane.-warn { border: round $warn; }
    RiskChecklistPane.-fail { border: round $fail; }
    """

    report: reactive[RiskReport | None] = reactive(None, always_update=True)
    """The checklist shown; None shows a hint instead."""
    route_id: reactive[str] = reactive("")
    """Route the checklist is for, shown in the border title."""

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.border_title = "Risk checklist"
        self._lines = -1
        """Lines of the content shown: only a change of height needs a layout."""

    def show_report(self, report: RiskReport | None, route_id: str = "") -> None:
        """Show `report` for `route_id` (None: no route selected)."""
        self.route_id = route_id
        self.report = report

    def watch_route_id(self, route_id: str) -> None:
        retitle(self, f"Risk checklist · {route_id}" if route_id else "Risk checklist")

    def watch_report(self, report: RiskReport | None) -> None:
        for check in Check:
            self.set_class(report is not None and report.verdict is check, f"-{check.value}")
        if report is None:
            content = Content.styled("select a route to see its checklist", "$muted")
        else:
            content = checklist_content(report)
        # A layout re-renders the whole screen (about 50 ms at 160x48), and the checklist
        # is re-checked every second: ask for one only when the height can change.
        lines = len(content.plain.splitlines())
        self.update(content, layout=lines != self._lines)
        self._lines = lines
