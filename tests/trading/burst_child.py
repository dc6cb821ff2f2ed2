"""Child process of the SIGKILL test: log executions in a burst, print each id after commit.

`python -m tests.trading.burst_child DB COUNT`. The loop is bounded by COUNT; the
parent kills the process long before it ends.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from arbscope.trading.balances import Balances
from arbscope.trading.broker import PaperBroker
from arbscope.trading.tradelog import TradeLog
from tests.trading.helpers import ENOUGH, Books, ScriptedSleep, spatial_books, spatial_markets
from tests.trading.helpers import spatial_opportunity as opportunity


def main(db: Path, count: int) -> None:
    broker = PaperBroker(Books(*spatial_books()), spatial_markets(), Balances(ENOUGH),
                         sleep=ScriptedSleep())
    execution = asyncio.run(broker.execute(opportunity(size=0.5)))
    with TradeLog(db) as log:
        for _ in range(count):
            logged = log.record(execution)
            # Printed only once record() returned, i.e. after COMMIT.
            print(logged.trade_id, flush=True)


if __name__ == "__main__":
    main(Path(sys.argv[1]), int(sys.argv[2]))
