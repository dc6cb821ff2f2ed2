"""The core layers must not drag in the UI (or, for the engine, ccxt).

Checked in a fresh interpreter, as harlequin does, so that nothing another
test imported can hide a leak.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest


def _modules_loaded_by(package: str) -> set[str]:
    code = f"import json, sys, {package}; print(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    return set(json.loads(out.stdout))


@pytest.mark.parametrize(
    "package", ["arbscope.engine", "arbscope.market", "arbscope.trading", "arbscope.storage"]
)
def test_core_layers_do_not_import_textual(package: str) -> None:
    loaded = _modules_loaded_by(package)
    assert not {m for m in loaded if m == "textual" or m.startswith("textual.")}


def test_engine_does_not_import_ccxt() -> None:
    import_all = (
        "arbscope.engine, arbscope.engine.calculator, arbscope.engine.spatial, "
        "arbscope.engine.triangular, arbscope.engine.cross_currency, arbscope.engine.statistical"
    )
    loaded = _modules_loaded_by(import_all)
    assert "ccxt" not in loaded
    assert "textual" not in loaded


def test_simulated_market_does_not_import_ccxt() -> None:
    loaded = _modules_loaded_by("arbscope.market.sim, arbscope.market.service")
    assert "ccxt" not in loaded
