"""`python -m clinic`: administration commands (more arrive with user administration)."""

from __future__ import annotations

import argparse
import sys

from clinic import audit, config, runtime
from clinic.db import StorageUnavailable
from clinic.vault import VaultError, generate_keyring


def _keys_new(_: argparse.Namespace) -> int:
    """Print fresh key settings for secrets.toml or the environment (never written to disk)."""
    for name, value in generate_keyring().to_settings().items():
        print(f'{name} = "{value}"')
    return 0


def _check(_: argparse.Namespace) -> int:
    """Open the database (applying migrations) and the vault, as the app does at start."""
    clinic = runtime.start(config.load())
    print(f"Database ready; vault open with active key {clinic.vault.active_kid!r}.")
    if clinic.key_notice:
        print(clinic.key_notice)
    return 0


def _audit_verify(_: argparse.Namespace) -> int:
    """Walk the audit chain; exit 1 naming the first row that was edited or deleted."""
    clinic = runtime.start(config.load())
    checked, broken = audit.verify(clinic.engine)
    if broken:
        print(f"audit chain broken at row {broken.id}: {broken.reason}", file=sys.stderr)
        return 1
    print(f"{checked} events, chain intact.")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m clinic", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    keys = commands.add_parser("keys", help="encryption keys").add_subparsers(
        dest="keys_command", required=True
    )
    keys.add_parser("new", help=_keys_new.__doc__).set_defaults(run=_keys_new)
    commands.add_parser("check", help=_check.__doc__).set_defaults(run=_check)
    audit_commands = commands.add_parser("audit", help="the audit trail").add_subparsers(
        dest="audit_command", required=True
    )
    audit_commands.add_parser("verify", help=_audit_verify.__doc__).set_defaults(run=_audit_verify)
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except (VaultError, StorageUnavailable) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
