"""Run the benchmarks, print a table, merge the figures into `.bench/results.json`.

    python -m benchmarks              every benchmarks/bench_*.py
    python -m benchmarks calc ui      only modules whose name contains "calc" or "ui"

Each figure is printed beside its budget (`budgets.py`), marked "MISS" when it
breaks it and "NOT VALID" when its run fell short of the rate it was asked for
(such a figure is kept in the results file only as `<name>_not_valid`).

Figures of modules not run keep their previous values in the results file, so
a filtered run refreshes only what it measured.

Each module runs in a fresh interpreter, as a user's `arbscope` does: run one
after another in one process, the UI's frames were measured 15-20 ms slower
at p95, walking the calculator benchmark's frozen 27,000-route index left
behind in the heap.
"""

from __future__ import annotations

import importlib
import json
import math
import os
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path

from benchmarks.budgets import BUDGETS, invalid_figures, verdict

BENCH_DIR = Path(__file__).resolve().parent
RESULTS = BENCH_DIR.parent / ".bench" / "results.json"


def discover() -> list[str]:
    """Names of the benchmark modules (`bench_calculator` ...), sorted."""
    return sorted(path.stem for path in BENCH_DIR.glob("bench_*.py"))


def select(names: Sequence[str], filters: Sequence[str]) -> list[str]:
    if not filters:
        return list(names)
    return [name for name in names if any(f.lower() in name.lower() for f in filters)]


def run_module(name: str) -> dict[str, float]:
    """Import benchmarks.<name> and return its figures, checked to be named numbers."""
    module = importlib.import_module(f"benchmarks.{name}")
    run: Callable[[], object] | None = getattr(module, "run", None)
    if run is None:
        raise TypeError(f"benchmarks/{name}.py has no run() -> dict[str, float]")
    figures = run()
    if not isinstance(figures, dict):
        raise TypeError(f"{name}.run() returned {type(figures).__name__}, not a dict")
    checked: dict[str, float] = {}
    for key, value in figures.items():
        number = isinstance(value, int | float) and not isinstance(value, bool)
        if not isinstance(key, str) or not number:
            raise TypeError(f"{name}.run() figure {key!r}: {value!r} is not a named number")
        checked[key] = float(value)
    return checked


def run_isolated(name: str) -> dict[str, float]:
    """`run_module(name)` in a child interpreter; its figures come back as JSON."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "figures.json"
        done = subprocess.run(
            [sys.executable, "-m", "benchmarks", "--one", name, str(out)],
            cwd=BENCH_DIR.parent, check=False,
        )
        if done.returncode != 0 or not out.exists():
            raise RuntimeError(f"benchmarks/{name}.py failed (exit {done.returncode}); "
                               f"its traceback is above")
        figures = json.loads(out.read_text(encoding="utf-8"))
    return {str(k): float(v) for k, v in figures.items()}


def _run_one(name: str, out: str) -> int:
    """Child side of `run_isolated`: run one module, write its figures to `out`."""
    sys.path.insert(0, str(BENCH_DIR.parent))
    figures = run_module(name)
    Path(out).write_text(json.dumps(figures), encoding="utf-8")
    return 0


def load_results(path: Path) -> dict[str, float]:
    """The figures already on file; an unreadable file is reported and replaced."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        print(f"note: {path} could not be read ({exc}); writing a fresh one", file=sys.stderr)
        return {}
    if not isinstance(data, dict):
        print(f"note: {path} is not a JSON object; writing a fresh one", file=sys.stderr)
        return {}
    return {k: float(v) for k, v in data.items() if isinstance(v, int | float)}


def save_results(path: Path, figures: dict[str, float]) -> None:
    """Write atomically: a temporary file in the same folder, then a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    clean = {k: (v if math.isfinite(v) else None) for k, v in sorted(figures.items())}
    fd, tmp = tempfile.mkstemp(prefix=".results-", suffix=".json", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(clean, handle, indent=2)
            handle.write("\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _format(value: float) -> str:
    if value == int(value) and abs(value) < 1e12:
        return f"{int(value):d}"
    return f"{value:.3f}" if abs(value) < 1000 else f"{value:.1f}"


def print_table(rows: list[tuple[str, str, float]], invalid: dict[str, str]) -> None:
    """Every figure beside its budget; a miss or a run short of its asked rate is marked."""
    width = max([len("figure")] + [len(figure) for _, figure, _ in rows])
    print(f"{'module':<18} {'figure':<{width}} {'value':>14} {'budget':>10}  mark")
    print(f"{'-' * 18} {'-' * width} {'-' * 14} {'-' * 10}  ----")
    misses = 0
    for module, figure, value in rows:
        budget, mark = verdict(figure, value, invalid)
        misses += mark not in ("", "ok")
        line = f"{module:<18} {figure:<{width}} {_format(value):>14} {budget:>10}  {mark}"
        print(line.rstrip())
    budgeted = sum(1 for _, figure, _ in rows if figure in BUDGETS)
    print(f"{budgeted - misses} of {budgeted} budgets hold" if budgeted else "no budgets")


def recorded(figures: dict[str, float], invalid: dict[str, str]) -> dict[str, float]:
    """What the results file keeps: a figure that is not valid only under `<name>_not_valid`."""
    kept = {k: v for k, v in figures.items() if k not in invalid}
    kept.update({f"{k}_not_valid": figures[k] for k in invalid})
    return kept


def main(argv: Sequence[str]) -> int:
    if argv[:1] == ["--one"] and len(argv) == 3:
        return _run_one(argv[1], argv[2])
    names = discover()
    chosen = select(names, argv)
    if not chosen:
        known = ", ".join(names) or "none"
        print(f"no benchmark matches {' '.join(argv)!r}; known: {known}", file=sys.stderr)
        return 2
    results = load_results(RESULTS)
    rows: list[tuple[str, str, float]] = []
    invalid: dict[str, str] = {}
    failed: list[str] = []
    for name in chosen:
        print(f"running {name} ...", file=sys.stderr, flush=True)
        started = time.perf_counter()
        try:
            figures = run_isolated(name)
        except Exception:
            traceback.print_exc()
            failed.append(name)
            continue
        elapsed = time.perf_counter() - started
        print(f"  {name} took {elapsed:.1f} s", file=sys.stderr, flush=True)
        invalid.update(invalid_figures(figures))
        for name in invalid_figures(figures):
            results.pop(name, None)  # an earlier valid figure no longer stands for this code
        results.update(recorded(figures, invalid))
        rows.extend((name, figure, value) for figure, value in figures.items())
    if rows:
        print_table(rows, invalid)
    save_results(RESULTS, results)
    print(f"wrote {RESULTS}", file=sys.stderr)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
