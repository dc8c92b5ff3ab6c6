"""Timing and reporting: percentiles of repeated calls, one table, one JSON file."""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

RESULTS = Path(__file__).resolve().parents[1] / "build" / "benchmarks"


@dataclass(frozen=True)
class Figure:
    """One measured figure beside its goal (None when it is for information only)."""

    name: str
    p50_ms: float
    p95_ms: float
    goal_ms: float | None
    command: str
    unit: str = "ms"
    """"ms" for times; "x" for a ratio of two times (its p50 and p95 are ratios too)."""

    @property
    def met(self) -> bool | None:
        return None if self.goal_ms is None else self.p95_ms <= self.goal_ms


def measure(
    call: Callable[[], object], *, repeat: int = 20, warmup: int = 2
) -> tuple[float, float]:
    """(p50, p95) in milliseconds of `repeat` calls after `warmup` unmeasured ones."""
    for _ in range(warmup):
        call()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    cuts = statistics.quantiles(times, n=20, method="inclusive")
    return statistics.median(times), cuts[18]


SHOWN: list[tuple[str, Figure]] = []
"""Every figure shown by this process, for the closing summary."""


def show(title: str, figures: Sequence[Figure], context: dict) -> Path:
    """Print the table and write `build/benchmarks/<title>.json`; returns the file."""
    SHOWN.extend((title, f) for f in figures)
    print(f"\n{title}: " + ", ".join(f"{k} {v}" for k, v in context.items()))
    print(f"{'figure':<52} {'p50':>8} {'p95':>8} {'goal':>8} {'p95/goal':>8}  met")
    for f in figures:
        goal = f"{f.goal_ms:8.2f}" if f.goal_ms and f.unit == "x" else f"{f.goal_ms or '-':>8}"
        ratio = f"{f.p95_ms / f.goal_ms:8.2f}" if f.goal_ms else f"{'-':>8}"
        met = {True: "yes", False: "NO", None: ""}[f.met]
        name = f"{f.name} ({f.unit})"
        print(f"{name:<52} {f.p50_ms:8.2f} {f.p95_ms:8.2f} {goal} {ratio}  {met}")
    print(f"reproduce: {figures[0].command}" if figures else "")
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{title}.json"
    payload = {"context": context, "figures": [asdict(f) | {"met": f.met} for f in figures]}
    path.write_text(json.dumps(payload, indent=2, default=str) + "\n")
    print(f"written to {path}")
    return path


def summary() -> Path:
    """One table of every figure shown, each with the command that reproduces it, and
    `build/benchmarks/all.json`."""
    print(f"\n{'benchmark':<18} {'figure':<56} {'p50':>9} {'p95':>9} {'goal':>7}  met  command")
    for title, f in SHOWN:
        met = {True: "yes", False: "NO", None: "   "}[f.met]
        name = f"{f.name} ({f.unit})"
        goal = f"{f.goal_ms:g}" if f.goal_ms is not None else "-"
        print(
            f"{title:<18} {name:<56} {f.p50_ms:9.2f} {f.p95_ms:9.2f} {goal:>7}  {met}  {f.command}"
        )
    path = RESULTS / "all.json"
    payload = [asdict(f) | {"benchmark": title, "met": f.met} for title, f in SHOWN]
    path.write_text(json.dumps(payload, indent=2, default=str) + "\n")
    print(f"written to {path}")
    return path
