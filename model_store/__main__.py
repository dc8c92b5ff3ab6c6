"""`python -m model_store train [--if-no-champion]` and `python -m model_store promote VERSION`."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping, Sequence

from model_store import settings, tracking


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    tracking.quiet()
    try:
        if args.command == "train":
            return _train(if_no_champion=args.if_no_champion)
        return _promote(args.version)
    finally:
        # MLflow writes runs and model files with the process's default modes (0644); the data
        # dir's contents are the owner's alone.
        settings.make_private(settings.data_dir())


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m model_store", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    fit = commands.add_parser("train", help="train, log and register the model (idempotent)")
    fit.add_argument(
        "--if-no-champion",
        action="store_true",
        help=f"do nothing when {tracking.MODEL_NAME}@{tracking.CHAMPION} exists",
    )
    promote = commands.add_parser("promote", help=f"point @{tracking.CHAMPION} at VERSION")
    promote.add_argument("version")
    return parser


def _train(*, if_no_champion: bool) -> int:
    name = f"{tracking.MODEL_NAME}@{tracking.CHAMPION}"
    if if_no_champion and (current := tracking.champion_version()) is not None:
        print(f"{name} is version {current}; not training (--if-no-champion).")
        return 0
    from model_store import train  # heavy (sklearn, skops): only when training for real

    try:
        result = train.train()
    except train.DataIntegrityError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if not result.trained:
        print(
            f"Nothing to train: version {result.version} has the same fingerprint "
            f"(data, code, hyper-parameters) {result.fingerprint[:12]}."
        )
    else:
        print(f"Trained {tracking.MODEL_NAME} version {result.version} (run {result.run_id}).")
    print()
    print(format_metrics(result.metrics))
    print()
    if result.trained and result.champion != result.version:
        print(f"Kept {name} at version {result.champion}: its cv_f1 is better.")
    elif result.trained:
        print(f"{name}: {result.previous_champion or 'none'} -> {result.version}")
    else:
        print(f"{name} is version {result.champion or 'none'}.")
    return 0


def _promote(version: str) -> int:
    from model_store import train

    try:
        moved = train.promote(version)
    except train.UnknownVersion as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    name = f"{tracking.MODEL_NAME}@{tracking.CHAMPION}"
    print(f"{name}: {moved.previous or 'none'} -> {moved.current}")
    return 0


def format_metrics(metrics: Mapping[str, float]) -> str:
    """metric | cv | test | original hold-out, aligned for a terminal."""
    from model_store import evaluation, train

    rows = [("metric", "cv", "test", "original test")]
    for name in evaluation.METRICS:
        original = train.ORIGINAL_HOLDOUT.get(name)
        rows.append(
            (
                name,
                _fmt(metrics.get(f"cv_{name}")),
                _fmt(metrics.get(f"test_{name}")),
                _fmt(original),
            )
        )
    rows.append(("threshold", _fmt(metrics.get("threshold")), "", ""))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    return "\n".join(
        "  ".join(
            cell.ljust(w) if i == 0 else cell.rjust(w)
            for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        ).rstrip()
        for row in rows
    )


def _fmt(value: float | None) -> str:
    return "" if value is None else f"{value:.3f}"


if __name__ == "__main__":
    sys.exit(main())
