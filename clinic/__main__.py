"""`python -m clinic`: administration from the server's console (users, keys, audit)."""

from __future__ import annotations

import argparse
import getpass
import sys
from datetime import UTC, datetime
from pathlib import Path

from clinic import access, accounts, audit, config, db, rotation, runtime, setup
from clinic.access import Action, Role
from clinic.accounts import AccountError
from clinic.db import StorageUnavailable
from clinic.vault import VaultError, generate_keyring

CONSOLE = "console"
"""The actor recorded in the audit trail for commands run on the server's console."""


def _keys_new(_: argparse.Namespace) -> int:
    """Print fresh key settings for secrets.toml or the environment (never written to disk)."""
    for name, value in generate_keyring().to_settings().items():
        print(f'{name} = "{value}"')
    return 0


def _keys_rotate(_: argparse.Namespace) -> int:
    """Re-encrypt everything under a new key and retire the old ones (restart the app after)."""
    cfg = config.load()
    from_file = not cfg.encryption_keys
    if from_file:
        if not cfg.key_file.exists():
            runtime.start(cfg)
        rotation.add_key_to_file(cfg.key_file)
    clinic = runtime.start(cfg)
    rewritten, retired = rotation.reencrypt(clinic.engine, clinic.vault, CONSOLE, datetime.now(UTC))
    print(f"Re-encrypted {rewritten} values under key {clinic.vault.active_kid!r}.")
    if from_file:
        rotation.drop_from_key_file(cfg.key_file, retired)
        print(f"Retired keys {retired} were removed from {cfg.key_file}.")
    elif retired:
        print(f"Remove {retired} from CLINIC_ENCRYPTION_KEYS; nothing is encrypted with them.")
    print("Restart the app so that it reads the new key.")
    return 0


def _check(_: argparse.Namespace) -> int:
    """Open the database (applying migrations) and the vault, as the app does at start."""
    clinic = runtime.start(config.load())
    print(f"Database ready; vault open with active key {clinic.vault.active_kid!r}.")
    if clinic.key_notice:
        print(clinic.key_notice)
    return 0


def _audit_verify(_: argparse.Namespace) -> int:
    """Check the audit chain and its anchor; exit 1 naming the first row edited, deleted or
    re-hashed, newest rows deleted, or an anchor missing or not signed with this key."""
    clinic = runtime.start(config.load())
    checked, broken = audit.verify(clinic.engine)
    if broken and broken.id:
        print(f"audit chain broken at row {broken.id}: {broken.reason}", file=sys.stderr)
        return 1
    if broken:
        print(f"audit chain not verified to its end: {broken.reason}", file=sys.stderr)
        return 1
    print(f"{checked} events, chain intact.")
    return 0


def _audit_anchor(_: argparse.Namespace) -> int:
    """Anchor a trail that has events but no anchor (after a restore, a lost data dir or a
    missing audit-head.json), once checked: verifies the chain under the key, anchors its head,
    prints the head to compare with the log collector or a backup; audited as audit.anchored."""
    clinic = runtime.start(config.load())
    try:
        head = audit.anchor(clinic.engine, CONSOLE)
    except audit.Refused as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if head is None:
        print("The audit trail is empty: its first event creates the anchor.")
        return 0
    print(
        f"{head.id} events verified under the audit key; anchored at event {head.id}, hash "
        f"{head.hash} (then moved on to the audit.anchored event).\n"
        "Compare that id and hash with the newest `audit head` line your log collector received "
        "or with a backup: if they differ, events were deleted or replaced before this anchor."
    )
    return 0


def _audit_upgrade(_: argparse.Namespace) -> int:
    """Once only: re-seal a trail written before the chain was keyed (plain SHA-256) under the
    audit key, anchor it and record audit.keyed; refused if it does not verify or is keyed."""
    clinic = runtime.start(config.load())
    try:
        resealed, old = audit.upgrade(clinic.engine, CONSOLE)
    except audit.Refused as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(
        f"{resealed} events re-sealed under the audit key and anchored (event audit.keyed).\n"
        f"The unkeyed trail ended at event {old.id}, hash {old.hash}: compare it with a backup "
        "from before the upgrade. A log collector that ever received an `audit head` line for "
        "this trail means it was keyed already and was recomputed: restore a backup instead."
    )
    return 0


def _read_password() -> str:
    if sys.stdin.isatty():
        return getpass.getpass("Temporary password: ")
    return sys.stdin.readline().rstrip("\n")


def _users_add(args: argparse.Namespace) -> int:
    """Create a user; the password (read from stdin) is temporary and must be changed."""
    clinic = runtime.start(config.load())
    with db.writing(clinic.engine) as connection:
        user = accounts.add(
            connection,
            CONSOLE,
            args.username,
            args.name,
            args.role,
            _read_password(),
            temporary=True,
            now=datetime.now(UTC),
        )
    print(
        f"Added {user.username} ({user.role.value}); they choose a password and set up "
        "two-step verification at first sign-in."
    )
    return 0


def _users_list(_: argparse.Namespace) -> int:
    clinic = runtime.start(config.load())
    now = datetime.now(UTC)
    print(f"{'username':<24} {'role':<11} {'two-step':<9} {'locked':<7} {'disabled':<8} name")
    for u in accounts.all_users(clinic.engine):
        print(
            f"{u.username:<24} {u.role.value:<11} {'yes' if u.enrolled else 'no':<9} "
            f"{'yes' if u.locked(now) else 'no':<7} {'yes' if u.disabled else 'no':<8} "
            f"{u.display_name}"
        )
    return 0


def _administer(action):
    def run(args: argparse.Namespace) -> int:
        clinic = runtime.start(config.load())
        user = action(clinic.engine, CONSOLE, args.username, datetime.now(UTC))
        print(f"{args.command_name} done for {user.username}.")
        return 0

    return run


def _demo_data(args: argparse.Namespace) -> int:
    """Store N fake predictions (invented people, realistic measurements) for trying it out."""
    # Imported here: they load MLflow and the training data, which the other commands do not need.
    from clinic import demo
    from model_store.registry import ModelUnavailable, load

    clinic = runtime.start(config.load())
    clinicians = args.clinicians or [
        u.username for u in accounts.all_users(clinic.engine) if u.role is Role.CLINICIAN
    ]
    plan = demo.Plan(
        n=args.n,
        clinicians=clinicians or [f"demo.clinician{i:02d}" for i in range(1, 11)],
        now=datetime.now(UTC),
        days=args.days,
        seed=args.seed,
        shifted=args.shift,
    )
    try:
        if not args.force:
            demo.refuse_if_real(clinic.engine)
        model = load()
    except (demo.RealRecordsPresent, ModelUnavailable) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(
        f"Scoring {plan.n} demo predictions with {model.name} version {model.version} for "
        f"{', '.join(plan.clinicians)} over {plan.days} days."
    )
    stored = demo.generate(
        clinic.engine,
        clinic.vault,
        model,
        plan,
        actor=CONSOLE,
        progress=lambda done: print(f"  {done}/{plan.n}", end="\r", flush=True),
    )
    print(f"\nStored {stored} demo predictions.")
    return 0


def _batch(args: argparse.Namespace) -> int:
    """Score a CSV of patients as a clinician would on the batch page (audited as them)."""
    from clinic import batch, batch_file, prioritised_list
    from model_store.registry import ModelUnavailable, load

    clinic = runtime.start(config.load())
    with clinic.engine.connect() as connection:
        user = accounts.by_username(connection, args.username)
    if user is None or user.disabled or not access.may(user.role, Action.SCORE_LIST):
        print(f"error: {args.username} is not an active clinician or supervisor.", file=sys.stderr)
        return 1
    try:
        checked = batch_file.read(args.file.read_bytes())
        model = load()
    except (OSError, batch_file.MalformedFile, ModelUnavailable) as exc:
        print(f"error: nothing was stored: {exc}", file=sys.stderr)
        return 1
    for problem in checked.bad:
        print(f"line {problem.line}, {problem.field}: {problem.reason}", file=sys.stderr)
    outcome = batch.score_and_store(
        clinic.engine, clinic.vault, model, checked, actor=user.username
    )
    report = prioritised_list.masked_csv(outcome.results)
    if args.output:
        args.output.write_text(report, encoding="utf-8")
    else:
        sys.stdout.write(report)
    print(
        f"Stored {outcome.stored} predictions with {model.name} version {model.version}; "
        f"already stored before: {outcome.already_stored}; lines rejected: "
        f"{checked.rejected_lines}.",
        file=sys.stderr,
    )
    return 3 if checked.bad else 0


def _demo_csv(args: argparse.Namespace) -> int:
    """Print a CSV list of N invented patients in the batch template's format."""
    from clinic import demo

    sys.stdout.write(demo.patients_csv(args.n, args.seed).decode())
    return 0


def _setup_code(_: argparse.Namespace) -> int:
    """Print a fresh one-time code for creating the first administrator in the browser."""
    clinic = runtime.start(config.load())
    code = setup.issue_code(clinic.engine, datetime.now(UTC))
    if code is None:
        print("Accounts already exist; use `python -m clinic users add` instead.", file=sys.stderr)
        return 1
    print(f"Setup code: {code}")
    return 0


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be a positive whole number")
    return value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m clinic", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    keys = commands.add_parser("keys", help="encryption keys").add_subparsers(
        dest="keys_command", required=True
    )
    keys.add_parser("new", help=_keys_new.__doc__).set_defaults(run=_keys_new)
    keys.add_parser("rotate", help=_keys_rotate.__doc__).set_defaults(run=_keys_rotate)
    commands.add_parser("check", help=_check.__doc__).set_defaults(run=_check)
    audit_commands = commands.add_parser("audit", help="the audit trail").add_subparsers(
        dest="audit_command", required=True
    )
    audit_commands.add_parser("verify", help=_audit_verify.__doc__).set_defaults(run=_audit_verify)
    audit_commands.add_parser("anchor", help=_audit_anchor.__doc__).set_defaults(run=_audit_anchor)
    audit_commands.add_parser("upgrade", help=_audit_upgrade.__doc__).set_defaults(
        run=_audit_upgrade
    )
    commands.add_parser("setup-code", help=_setup_code.__doc__).set_defaults(run=_setup_code)
    scoring = commands.add_parser("batch", help=_batch.__doc__)
    scoring.add_argument("file", type=Path, help="a CSV in the template's format")
    scoring.add_argument(
        "--as", dest="username", required=True, type=accounts.normalise_username, help="who scores"
    )
    scoring.add_argument(
        "--output", type=Path, help="write the masked, prioritised list here (default: stdout)"
    )
    scoring.set_defaults(run=_batch)
    demo_data = commands.add_parser("demo-data", help=_demo_data.__doc__)
    demo_data.add_argument("--n", type=_positive, required=True, help="how many predictions")
    demo_data.add_argument("--days", type=_positive, default=3 * 365, help="spread over (days)")
    demo_data.add_argument(
        "--clinicians",
        type=lambda text: [accounts.normalise_username(u) for u in text.split(",") if u.strip()],
        help="comma-separated usernames (default: every clinician account)",
    )
    demo_data.add_argument("--seed", type=int, default=0, help="same seed, same data")
    demo_data.add_argument(
        "--shift",
        action="store_true",
        help="older, heavier patients with fewer CD4 cells: drift for the monitoring page",
    )
    demo_data.add_argument(
        "--force", action="store_true", help="even if the database holds real predictions"
    )
    demo_data.set_defaults(run=_demo_data)
    demo_csv = commands.add_parser("demo-csv", help=_demo_csv.__doc__)
    demo_csv.add_argument("--n", type=_positive, required=True, help="how many patients")
    demo_csv.add_argument("--seed", type=int, default=0, help="same seed, same list")
    demo_csv.set_defaults(run=_demo_csv)
    user_commands = commands.add_parser("users", help="accounts").add_subparsers(
        dest="users_command", required=True
    )
    add = user_commands.add_parser("add", help=_users_add.__doc__)
    add.add_argument("username")
    add.add_argument("--role", required=True, choices=[r.value for r in Role])
    add.add_argument("--name", required=True, help="the person's name as shown in the app")
    add.set_defaults(run=_users_add)
    user_commands.add_parser("list", help="list accounts").set_defaults(run=_users_list)
    for name, action, text in [
        ("unlock", accounts.unlock, "lift a lockout"),
        ("reset-mfa", accounts.reset_mfa, "forget the authenticator app; enrol again at sign-in"),
        ("disable", accounts.disable, "stop an account from signing in and end its sessions"),
        ("enable", accounts.enable, "allow a disabled account again"),
    ]:
        command = user_commands.add_parser(name, help=text)
        command.add_argument("username")
        command.set_defaults(run=_administer(action), command_name=name)
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except AccountError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except (VaultError, StorageUnavailable) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
