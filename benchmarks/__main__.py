"""`python -m benchmarks [NAME]`: measure, print each figure beside its goal, save JSON.
Without a name, every benchmark runs and one table of all figures ends the output."""

from __future__ import annotations

import argparse
import sys

from benchmarks import batch, cold_start, concurrency, history, memory, serving, sign_in
from benchmarks.report import show, summary
from model_store.tracking import redact


def _history(args: argparse.Namespace) -> int:
    command = "python -m benchmarks history"
    command += f" --n {args.n}" if args.n != history.DEFAULT_N else ""
    command += f" --database-url {redact(args.database_url)}" if args.database_url else ""
    clinic = history.prepare(args.n, args.database_url)
    figures = history.figures(clinic, args.repeat, command)
    show(
        f"history-{clinic.engine.dialect.name}",
        figures,
        {"predictions": f"{args.n:,}", "database": clinic.engine.dialect.name},
    )
    return 0 if all(f.met is not False for f in figures) else 1


def _serving(args: argparse.Namespace) -> int:
    figures = serving.figures(args.repeat, "python -m benchmarks serving")
    show("serving", figures, {"database": "sqlite", "repeat": args.repeat})
    return 0 if all(f.met is not False for f in figures) else 1


def _cold_start(args: argparse.Namespace) -> int:
    figures = cold_start.figures(args.repeat, "python -m benchmarks cold-start")
    show("cold-start", figures, {"starts": args.repeat})
    return 0 if all(f.met is not False for f in figures) else 1


def _memory(args: argparse.Namespace) -> int:
    figures = memory.figures(args.sessions, "python -m benchmarks memory")
    show("memory", figures, {"further sessions": args.sessions})
    return 0 if all(f.met is not False for f in figures) else 1


def _sign_in(args: argparse.Namespace) -> int:
    figures, context = sign_in.figures(args.attempts, "python -m benchmarks sign-in")
    show("sign-in", figures, context)
    return 0


def _batch(args: argparse.Namespace) -> int:
    command = "python -m benchmarks batch"
    command += f" --database-url {redact(args.database_url)}" if args.database_url else ""
    figures = batch.figures(args.n, args.repeat, args.database_url, command)
    database = "postgresql" if args.database_url else "sqlite"
    show(f"batch-{database}", figures, {"rows": f"{args.n:,}", "runs": args.repeat})
    return 0 if all(f.met is not False for f in figures) else 1


def _concurrency(args: argparse.Namespace) -> int:
    command = "python -m benchmarks concurrency"
    command += f" --database-url {redact(args.database_url)}" if args.database_url else ""
    figures, context = concurrency.figures(
        args.sessions, args.predictions, command, args.database_url
    )
    show(f"concurrency-{context['database']}", figures, context)
    complete = context["stored"] == args.sessions * args.predictions and not context["errors"]
    return 0 if complete and all(f.met is not False for f in figures) else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    commands = parser.add_subparsers(dest="benchmark")
    run = commands.add_parser("history", help=history.__doc__.splitlines()[0])
    run.add_argument("--n", type=int, default=history.DEFAULT_N, help="stored predictions")
    run.add_argument(
        "--database-url", help="PostgreSQL URL to measure on (default: SQLite in build/)"
    )
    run.add_argument("--repeat", type=int, default=30, help="timed runs per figure")
    run.set_defaults(run=_history)
    run = commands.add_parser("serving", help=serving.__doc__.splitlines()[0])
    run.add_argument("--repeat", type=int, default=200, help="timed predictions of each kind")
    run.set_defaults(run=_serving)
    run = commands.add_parser("cold-start", help=cold_start.__doc__.splitlines()[0])
    run.add_argument("--repeat", type=int, default=7, help="server starts to time")
    run.set_defaults(run=_cold_start)
    run = commands.add_parser("memory", help=memory.__doc__.splitlines()[0])
    run.add_argument("--sessions", type=int, default=10, help="further signed-in sessions")
    run.set_defaults(run=_memory)
    run = commands.add_parser("sign-in", help=sign_in.__doc__.splitlines()[0])
    run.add_argument("--attempts", type=int, default=sign_in.ATTEMPTS, help="of each kind")
    run.set_defaults(run=_sign_in)
    run = commands.add_parser("batch", help=batch.__doc__.splitlines()[0])
    run.add_argument("--n", type=int, default=batch.DEFAULT_N, help="rows in each file")
    run.add_argument("--repeat", type=int, default=3, help="files to store")
    run.add_argument("--database-url", help="PostgreSQL URL to store in (default: SQLite)")
    run.set_defaults(run=_batch)
    run = commands.add_parser("concurrency", help=concurrency.__doc__.splitlines()[0])
    run.add_argument(
        "--sessions", type=int, default=concurrency.SESSIONS, help="clinicians at once"
    )
    run.add_argument(
        "--predictions", type=int, default=concurrency.PREDICTIONS, help="patients each"
    )
    run.add_argument("--database-url", help="PostgreSQL URL to serve from (default: SQLite)")
    run.set_defaults(run=_concurrency)
    args = parser.parse_args(argv)
    if args.benchmark is None:  # everything, with defaults
        everything = (
            "serving",
            "batch",
            "sign-in",
            "cold-start",
            "memory",
            "concurrency",
            "history",
        )
        status = max(main([name]) for name in everything)
        summary()
        return status
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
