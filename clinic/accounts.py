"""Accounts: who exists, with which role, and what an administrator (or the user, for their
language) changes about them. Kept in the database so that a restart or another replica sees
the same state; every change but the language is audited."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, Engine, func, insert, select, update

from clinic import audit, db, i18n, sessions
from clinic.access import Role
from clinic.i18n import _
from clinic.passwords import hash_password, password_problem
from clinic.tables import recovery_codes, users

_USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{2,63}")


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
        return locked(self.locked_until, now)


def locked(locked_until: datetime | None, now: datetime) -> bool:
    """Whether a lock set by clinic.lockout still holds at `now`."""
    return locked_until is not None and locked_until > now


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
