"""The second factor: enrolling an authenticator app, checking its codes, and the recovery codes
that stand in for a lost phone. Each check settles under the lockout rule (`clinic.lockout`)."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from sqlalchemy import Connection, Engine, func, insert, select, update

from clinic import audit, db, lockout, sessions, totp
from clinic.accounts import User
from clinic.tables import recovery_codes, users
from clinic.vault import Vault

RECOVERY_CODE_COUNT = 10
_RECOVERY_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


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
        if lockout.admitted(connection, user, "enrolment", now) is None:
            return None
        step = totp.matching_step(secret, code, now)
        if step is None:
            lockout.count_failure(connection, user, "enrolment", now)
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
        if (row := lockout.admitted(connection, user, "code", now)) is None:
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
            lockout.count_failure(connection, user, "code", now)
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


def regenerate_recovery_codes(
    engine: Engine, user: User, password: str, now: datetime
) -> list[str]:
    """A new set of recovery codes, the old ones void; only after the password is typed again."""
    lockout.reauthenticate(engine, user, password, now)
    with db.writing(engine) as connection:
        codes = _new_recovery_codes(connection, user.id)
        audit.record(connection, user.username, "mfa.recovery_codes", target=user.id, at=now)
    return codes
