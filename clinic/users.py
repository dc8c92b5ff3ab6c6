"""Accounts: roles, passwords, the second factor, recovery codes and lockout, all in the database
so that a restart or another replica sees the same state. Every change is audited."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from sqlalchemy import Connection, Engine, Row, func, insert, select, update

from clinic import audit, db, i18n, sessions, totp
from clinic.access import Role
from clinic.i18n import N_, _
from clinic.passwords import check_password, hash_password, password_problem
from clinic.tables import recovery_codes, users
from clinic.vault import Vault

LOCK_AFTER_FAILURES = 5
LOCK_DURATION = timedelta(minutes=15)
RECOVERY_CODE_COUNT = 10
_USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{2,63}")
_RECOVERY_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
UNKNOWN_ACTOR = "(unknown)"
"""The audit actor of a sign-in attempt for a username no account has."""


class AccountError(ValueError):
    """A user-administration request that cannot be carried out; the message says why."""


@dataclass(frozen=True)
class User:
    id: int
    username: str
    display_name: str
    role: Role
    must_change_password: bool
    enrolled: bool
    locked_until: datetime | None
    disabled: bool
    language: str | None = None
    """The interface language this user chose; None: the server default."""

    def locked(self, now: datetime) -> bool:
        return self.locked_until is not None and self.locked_until > now


def _user(row) -> User:
    return User(
        id=row.id,
        username=row.username,
        display_name=row.display_name,
        role=Role(row.role),
        must_change_password=row.must_change_password,
        enrolled=row.totp_enrolled_at is not None,
        locked_until=row.locked_until,
        disabled=row.disabled_at is not None,
        language=row.language,
    )


def normalise_username(raw: str) -> str:
    username = raw.strip().lower()
    if not _USERNAME.fullmatch(username):
        raise AccountError(
            _(
                "Username must be 3 to 64 characters: lowercase letters, digits, dots, dashes or "
                "underscores, starting with a letter or digit."
            )
        )
    return username


def _role(value: str) -> Role:
    try:
        return Role(value)
    except ValueError as exc:
        raise AccountError(
            _("Role must be one of: {roles}.").format(roles=", ".join(r.label for r in Role))
        ) from exc


def by_username(connection: Connection, username: str) -> User | None:
    row = connection.execute(select(users).where(users.c.username == username.lower())).first()
    return _user(row) if row else None


def by_id(connection: Connection, user_id: int) -> User | None:
    row = connection.execute(select(users).where(users.c.id == user_id)).first()
    return _user(row) if row else None


def count(engine: Engine) -> int:
    with engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(users)).scalar_one()


def all_users(engine: Engine) -> list[User]:
    with engine.connect() as connection:
        return [_user(r) for r in connection.execute(select(users).order_by(users.c.username))]


def add(
    connection: Connection,
    actor: str,
    username: str,
    display_name: str,
    role: str,
    password: str,
    *,
    temporary: bool,
    now: datetime,
) -> User:
    """Create an account inside the caller's transaction; a temporary password must be changed."""
    username = normalise_username(username)
    display_name = " ".join(display_name.split())
    if not 1 <= len(display_name) <= 120:
        raise AccountError(_("Name must be 1 to 120 characters."))
    role = _role(role)
    if problem := password_problem(password, username, display_name):
        raise AccountError(problem)
    if by_username(connection, username):
        raise AccountError(_("User {username} already exists.").format(username=repr(username)))
    user_id = connection.execute(
        insert(users).returning(users.c.id),
        {
            "username": username,
            "display_name": display_name,
            "role": role.value,
            "password_hash": hash_password(password),
            "must_change_password": temporary,
            "failed_attempts": 0,
            "created_at": now,
            "updated_at": now,
        },
    ).scalar_one()
    audit.record(connection, actor, "user.add", target=user_id, details={"role": role.value})
    return by_id(connection, user_id)


def _barred(locked_until: datetime | None, disabled_at: datetime | None, now: datetime) -> bool:
    """The one lockout rule, read from the database at every factor: locked or disabled
    accounts get no password, enrolment or code check, whichever session asks."""
    return disabled_at is not None or (locked_until is not None and locked_until > now)


@cache
def _unmatchable_hash() -> str:
    """A bcrypt hash of a random secret, made once per process: what a barred account's
    password is checked against, and what an unknown username costs, so that every refusal
    takes one bcrypt check and nothing in its timing tells which usernames exist."""
    return hash_password(secrets.token_urlsafe(32))


def login_credentials(engine: Engine, now: datetime) -> dict:
    """streamlit-authenticator's credentials: every account, those that may not sign in now
    (locked, disabled) with a hash no password matches.

    They fail with the same message, after the same bcrypt work, as a wrong password; an
    unknown username costs the same through `unknown_sign_in`.
    """
    with engine.connect() as connection:
        rows = connection.execute(
            select(
                users.c.username,
                users.c.display_name,
                users.c.password_hash,
                users.c.role,
                users.c.locked_until,
                users.c.disabled_at,
            )
        )
        return {
            "usernames": {
                r.username: {
                    "name": r.display_name,
                    "password": (
                        _unmatchable_hash()
                        if _barred(r.locked_until, r.disabled_at, now)
                        else r.password_hash
                    ),
                    "roles": [r.role],
                    "email": "",
                    "failed_login_attempts": 0,
                    "logged_in": False,
                }
                for r in rows
            }
        }


def unknown_sign_in(engine: Engine, now: datetime) -> None:
    """A sign-in with a username no account has: the bcrypt check and the audited write that
    a known account's failure costs (bcrypt's time does not depend on the password; the
    username typed is not kept: it may be anything, a patient's name included)."""
    check_password(secrets.token_urlsafe(16), _unmatchable_hash())
    with db.writing(engine) as connection:
        audit.record(
            connection, UNKNOWN_ACTOR, "signin.failure", details={"stage": "password"}, at=now
        )


def password_accepted(engine: Engine, user: User, now: datetime) -> str | None:
    """After the password checked out: a new half-signed-in session's token, or None if the
    account became locked or disabled meanwhile (then it counts as one more failure).

    Decided under the account's row lock, after the bcrypt check: attempts checked in parallel
    from many browsers settle one by one, and once the fifth failure has locked the account a
    right password settles as a refusal, so parallel guesses buy no more than five."""
    with db.writing(engine) as connection:
        if _barred_counted(connection, user, "password", now) is None:
            return None
        return sessions.open_in(connection, user.id, False, now)


def record_failure(engine: Engine, user: User, stage: str, now: datetime) -> bool:
    """Count a failed password or code; the fifth in a row locks the account. True if locked."""
    with db.writing(engine) as connection:
        return _count_failure(connection, user, stage, now)


def _count_failure(connection: Connection, user: User, stage: str, now: datetime) -> bool:
    """Inside the caller's transaction, with the account's row locked: audit the failure and,
    unless already locked, count it; the fifth locks and ends the account's half-signed-in
    sessions, so a code step opened in another browser beforehand cannot go on guessing."""
    row = connection.execute(
        select(users.c.locked_until).where(users.c.id == user.id).with_for_update()
    ).one()
    audit.record(
        connection,
        user.username,
        "signin.failure",
        target=user.id,
        details={"stage": stage},
        at=now,
    )
    if row.locked_until is not None and row.locked_until > now:
        return True
    failures = connection.execute(
        update(users)
        .where(users.c.id == user.id)
        .values(failed_attempts=users.c.failed_attempts + 1)
        .returning(users.c.failed_attempts)
    ).scalar_one()
    if failures < LOCK_AFTER_FAILURES:
        return False
    connection.execute(
        update(users)
        .where(users.c.id == user.id)
        .values(failed_attempts=0, locked_until=now + LOCK_DURATION)
    )
    sessions.end_all(connection, user.id, "lockout", now, unverified_only=True)
    audit.record(
        connection,
        user.username,
        "lockout",
        target=user.id,
        details={"minutes": LOCK_DURATION.total_seconds() // 60},
        at=now,
    )
    return True


def _may_try(connection: Connection, user: User, now: datetime) -> Row:
    """The account's second-factor columns, its row locked for this transaction; raises
    `Barred` when the lockout rule says no."""
    row = connection.execute(
        select(users.c.totp_secret_enc, users.c.locked_until, users.c.disabled_at)
        .where(users.c.id == user.id)
        .with_for_update()
    ).one()
    if _barred(row.locked_until, row.disabled_at, now):
        raise Barred
    return row


def _barred_counted(connection: Connection, user: User, stage: str, now: datetime) -> Row | None:
    """`_may_try`, or None for a barred account, whose attempt then counts as a failure."""
    try:
        return _may_try(connection, user, now)
    except Barred:
        _count_failure(connection, user, stage, now)
        return None


class Barred(Exception):
    """The account is locked or disabled: no factor is checked."""


def _hash_recovery(user_id: int, code: str) -> str:
    normalised = code.replace("-", "").replace(" ", "").upper()
    return hashlib.sha256(f"{user_id}:{normalised}".encode()).hexdigest()


def _new_recovery_codes(connection: Connection, user_id: int) -> list[str]:
    connection.execute(recovery_codes.delete().where(recovery_codes.c.user_id == user_id))
    codes = [
        "-".join("".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(5)) for _ in range(2))
        for _ in range(RECOVERY_CODE_COUNT)
    ]
    connection.execute(
        insert(recovery_codes),
        [{"user_id": user_id, "code_hash": _hash_recovery(user_id, c)} for c in codes],
    )
    return codes


def confirm_enrolment(
    engine: Engine,
    vault: Vault,
    user: User,
    secret: str,
    code: str,
    now: datetime,
    token: str | None = None,
) -> list[str] | None:
    """Store the authenticator key once a code from it checks out; the new recovery codes.
    With `token`, that session counts as verified in the same transaction."""
    with db.writing(engine) as connection:
        if _barred_counted(connection, user, "enrolment", now) is None:
            return None
        step = totp.matching_step(secret, code, now)
        if step is None:
            _count_failure(connection, user, "enrolment", now)
            return None
        enrolled = connection.execute(
            update(users)
            .where(users.c.id == user.id)
            .where(users.c.totp_enrolled_at.is_(None))  # a stale tab cannot replace an enrolment
            .values(
                totp_secret_enc=vault.encrypt(secret, totp_context(user.id)),
                totp_enrolled_at=now,
                last_totp_step=step,
                failed_attempts=0,
                updated_at=now,
            )
        ).rowcount
        if not enrolled:
            return None
        codes = _new_recovery_codes(connection, user.id)
        audit.record(connection, user.username, "mfa.enrol", target=user.id, at=now)
        if token is not None:
            sessions.mark_verified(connection, token, now)
    return codes


def totp_context(user_id: int) -> str:
    return f"users.totp_secret:{user_id}"


def verify_second_factor(
    engine: Engine, vault: Vault, user: User, code: str, now: datetime, token: str | None = None
) -> bool:
    """Accept a fresh authenticator code or an unused recovery code, each only once, while the
    account is neither locked nor disabled; with `token`, mark that session verified.

    One transaction holds the account's row: the lockout check, the code, its step written
    with a compare-and-set (the same code cannot be used twice, even on two replicas at once)
    and the failure count, so sessions opened in several browsers share the five attempts.
    """
    with db.writing(engine) as connection:
        if (row := _barred_counted(connection, user, "code", now)) is None:
            return False
        secret = vault.decrypt(row.totp_secret_enc, totp_context(user.id))
        step = totp.matching_step(secret, code, now)
        if step is not None:
            accepted = (
                connection.execute(
                    update(users)
                    .where(users.c.id == user.id)
                    .where((users.c.last_totp_step.is_(None)) | (users.c.last_totp_step < step))
                    .values(last_totp_step=step)
                ).rowcount
                == 1
            )
        else:
            accepted = (
                connection.execute(
                    update(recovery_codes)
                    .where(recovery_codes.c.user_id == user.id)
                    .where(recovery_codes.c.code_hash == _hash_recovery(user.id, code))
                    .where(recovery_codes.c.used_at.is_(None))
                    .values(used_at=now)
                ).rowcount
                == 1
            )
        if not accepted:
            _count_failure(connection, user, "code", now)
            return False
        connection.execute(update(users).where(users.c.id == user.id).values(failed_attempts=0))
        audit.record(
            connection,
            user.username,
            "signin.success",
            target=user.id,
            details={"factor": "totp" if step is not None else "recovery"},
            at=now,
        )
        if token is not None:
            sessions.mark_verified(connection, token, now)
    return True


def remaining_recovery_codes(engine: Engine, user_id: int) -> int:
    with engine.connect() as connection:
        return connection.execute(
            select(func.count())
            .select_from(recovery_codes)
            .where(recovery_codes.c.user_id == user_id, recovery_codes.c.used_at.is_(None))
        ).scalar_one()


WRONG_PASSWORD = N_("The current password is not correct.")


def _reauthenticate(engine: Engine, user: User, password: str, now: datetime) -> None:
    """Ask a signed-in user for their password again before a change that would let a stolen
    session keep the account. Settled like a sign-in (`password_accepted`): under the row lock,
    refused while locked, each wrong answer counted; the lock then ends every session of the
    account, this one included."""
    with engine.connect() as connection:
        hashed = connection.execute(
            select(users.c.password_hash).where(users.c.id == user.id)
        ).scalar_one()
    right = check_password(password, hashed)
    with db.writing(engine) as connection:
        try:
            _may_try(connection, user, now)
        except Barred:
            right = False
        if right:
            return
        if _count_failure(connection, user, "reauthentication", now):
            sessions.end_all(connection, user.id, "lockout", now)
    raise AccountError(_(WRONG_PASSWORD))


def regenerate_recovery_codes(
    engine: Engine, user: User, password: str, now: datetime
) -> list[str]:
    """A new set of recovery codes, the old ones void; only after the password is typed again."""
    _reauthenticate(engine, user, password, now)
    with db.writing(engine) as connection:
        codes = _new_recovery_codes(connection, user.id)
        audit.record(connection, user.username, "mfa.recovery_codes", target=user.id, at=now)
    return codes


def change_password(
    engine: Engine, user: User, current: str, new: str, now: datetime, keep_token: str | None
) -> None:
    """Change one's own password; every other session of the account ends."""
    if new == current:
        raise AccountError(_("The new password must differ from the current one."))
    if problem := password_problem(new, user.username, user.display_name):
        raise AccountError(problem)
    _reauthenticate(engine, user, current, now)
    with db.writing(engine) as connection:
        connection.execute(
            update(users)
            .where(users.c.id == user.id)
            .values(password_hash=hash_password(new), must_change_password=False, updated_at=now)
        )
        sessions.end_all(connection, user.id, "password_change", now, keep_token=keep_token)
        audit.record(connection, user.username, "password.change", target=user.id, at=now)


def set_language(engine: Engine, user_id: int, language: str | None, now: datetime) -> None:
    """Remember the user's interface language (None: follow the server default). A preference,
    not a security setting, so it is not audited."""
    code = None if language is None else i18n.checked(language)
    with db.writing(engine) as connection:
        connection.execute(
            update(users).where(users.c.id == user_id).values(language=code, updated_at=now)
        )


def _administer(
    engine: Engine,
    actor: str,
    username: str,
    action: str,
    values: dict,
    now: datetime,
    end_sessions: bool = False,
    forget_codes: bool = False,
) -> User:
    with db.writing(engine) as connection:
        target = by_username(connection, username)
        if target is None:
            raise AccountError(_("No user named {username}.").format(username=repr(username)))
        connection.execute(
            update(users).where(users.c.id == target.id).values(**values, updated_at=now)
        )
        if end_sessions:
            sessions.end_all(connection, target.id, action, now)
        if forget_codes:
            connection.execute(recovery_codes.delete().where(recovery_codes.c.user_id == target.id))
        details = {k: v for k, v in values.items() if k == "role"}
        audit.record(connection, actor, action, target=target.id, details=details, at=now)
        return by_id(connection, target.id)


def unlock(engine: Engine, actor: str, username: str, now: datetime) -> User:
    return _administer(
        engine, actor, username, "user.unlock", {"locked_until": None, "failed_attempts": 0}, now
    )


def reset_mfa(engine: Engine, actor: str, username: str, now: datetime) -> User:
    """Forget the authenticator and recovery codes; the user enrols again at next sign-in."""
    return _administer(
        engine,
        actor,
        username,
        "mfa.reset",
        {"totp_secret_enc": None, "totp_enrolled_at": None, "last_totp_step": None},
        now,
        end_sessions=True,
        forget_codes=True,
    )


def disable(engine: Engine, actor: str, username: str, now: datetime) -> User:
    return _administer(
        engine, actor, username, "user.disable", {"disabled_at": now}, now, end_sessions=True
    )


def enable(engine: Engine, actor: str, username: str, now: datetime) -> User:
    return _administer(engine, actor, username, "user.enable", {"disabled_at": None}, now)


def set_role(engine: Engine, actor: str, username: str, role: str, now: datetime) -> User:
    role = _role(role)
    return _administer(
        engine, actor, username, "user.role", {"role": role.value}, now, end_sessions=True
    )


def reset_password(engine: Engine, actor: str, username: str, password: str, now: datetime) -> User:
    """An administrator sets a temporary password, to be changed at next sign-in."""
    if problem := password_problem(password, username):
        raise AccountError(problem)
    return _administer(
        engine,
        actor,
        username,
        "password.reset",
        {"password_hash": hash_password(password), "must_change_password": True},
        now,
        end_sessions=True,
    )
