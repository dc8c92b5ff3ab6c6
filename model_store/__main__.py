"""`python -m model_store`: train the model, and move its aliases by hand.

    train [--if-no-champion]              train, log and register (idempotent)
    promote VERSION [--model NAME]        @champion -> VERSION; the old one becomes @previous
    rollback [--model NAME]               @previous becomes @champion again (twice returns)
    challenger VERSION|--clear [--model NAME]   set or clear the shadow-scored @challenger

The alias commands change the registry only; the Model versions page does the same and records
who, when and why in the audit trail. A refused change (no such version, nothing to roll back
to) exits with status 2 and changes nothing.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Mapping, Sequence

from model_store import settings, tracking

NOT_AUDITED = (
    "Changed in the registry only, not in the audit trail: the Model versions page records "
    "who, when and why."
)
MODELS = (tracking.MODEL_NAME,)
"""The registered models the alias commands know (design: first_visit_risk and week20_risk
join final_model when they are trained)."""


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    tracking.quiet()
    if args.command == "train":
        try:
            return _train(if_no_champion=args.if_no_champion)
        finally:
            # MLflow writes runs and model files with the process's default modes (0644); the
            # data dir's contents are the owner's alone.
            settings.make_private()
    commands: dict[str, Callable[[], tuple[str, bool]]] = {
        "promote": lambda: _promote(args.version),
        "rollback": _rollback,
        "challenger": lambda: _challenger(None if args.clear else args.version),
    }
    return _alias_change(commands[args.command])


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m model_store",
        description=__doc__.split("\n\n")[0],
        epilog=NOT_AUDITED,
    )
    commands = parser.add_subparsers(dest="command", required=True)
    fit = commands.add_parser("train", help="train, log and register the model (idempotent)")
    fit.add_argument(
        "--if-no-champion",
        action="store_true",
        help=f"do nothing when {tracking.MODEL_NAME}@{tracking.CHAMPION} exists",
    )
    promote = commands.add_parser(
        "promote",
        help=f"point @{tracking.CHAMPION} at VERSION (the old one becomes @{tracking.PREVIOUS})",
    )
    promote.add_argument("version")
    rollback = commands.add_parser(
        "rollback", help=f"make @{tracking.PREVIOUS} the @{tracking.CHAMPION} again"
    )
    challenger = commands.add_parser(
        "challenger", help=f"set or clear @{tracking.CHALLENGER} (shadow-scored, never shown)"
    )
    which = challenger.add_mutually_exclusive_group(required=True)
    which.add_argument("version", nargs="?", help="the version to shadow-score")
    which.add_argument("--clear", action="store_true", help="stop shadow scoring")
    for command in (promote, rollback, challenger):
        command.add_argument(
            "--model",
            choices=MODELS,
            default=tracking.MODEL_NAME,
            help=f"the registered model (default {tracking.MODEL_NAME})",
        )
    return parser


def _alias_change(change: Callable[[], tuple[str, bool]]) -> int:
    """Run one alias change; print what moved, or why nothing did (status 2)."""
    from mlflow.exceptions import MlflowException

    from model_store.aliases import UnknownVersion

    try:
        message, changed = change()
    except UnknownVersion as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except MlflowException as exc:  # e.g. the tracking server is down
        uri = tracking.redact(settings.registry_uri())
        print(f"error: the model registry at {uri} refused: {exc.message}", file=sys.stderr)
        return 1
    print(message)
    if changed:
        print(NOT_AUDITED)
    return 0


def _train(*, if_no_champion: bool) -> int:
    name = f"{tracking.MODEL_NAME}@{tracking.CHAMPION}"
    if if_no_champion and (current := tracking.champion_version()) is not None:
        print(f"{name} is version {current}; not training (--if-no-champion).")
        return 0
    from model_store import train  # heavy (sklearn, skops): only when training for real
    from model_store.dataset import DataIntegrityError

    try:
        result = train.train()
    except DataIntegrityError as exc:
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


def _promote(version: str) -> tuple[str, bool]:
    from model_store import aliases

    moved = aliases.promote(version)
    name = f"{tracking.MODEL_NAME}@{tracking.CHAMPION}"
    return f"{name}: {moved.previous or 'none'} -> {moved.current}", True


def _rollback() -> tuple[str, bool]:
    """UnknownVersion (a refusal) when no promotion left a @previous to go back to."""
    from model_store import aliases

    moved = aliases.rollback()
    return (
        f"{tracking.MODEL_NAME}@{tracking.CHAMPION}: {moved.previous or 'none'} -> "
        f"{moved.current} (rolled back to @{tracking.PREVIOUS}; "
        f"@{tracking.PREVIOUS} is now {moved.previous or 'none'})"
    ), True


def _challenger(version: str | None) -> tuple[str, bool]:
    """Set (UnknownVersion for a version the registry lacks) or clear the challenger."""
    from model_store import aliases

    name = f"{tracking.MODEL_NAME}@{tracking.CHALLENGER}"
    before = aliases.set_challenger(version)
    if version is None and before is None:
        return f"{name} was not set; nothing to clear.", False
    return f"{name}: {before or 'none'} -> {version or 'none'}", True


def format_metrics(metrics: Mapping[str, float]) -> str:
    """metric | cv | test | original hold-out, aligned for a terminal."""
    from model_store import evaluation
    from model_store.recipe import ORIGINAL_HOLDOUT

    rows = [("metric", "cv", "test", "original test")]
    for name in evaluation.METRICS:
        original = ORIGINAL_HOLDOUT.get(name)
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
