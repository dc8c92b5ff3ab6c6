"""First run: with no users, a one-time code printed on the server console lets whoever can read
that console create the first administrator. There is no default password."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from sqlalchemy import Engine, insert, select, update

from clinic import accounts, db
from clinic.i18n import _
from clinic.tables import setup_codes
from clinic.tables import users as users_table

CODE_LIFETIME = timedelta(hours=24)


def _hash(code: str) -> str:
    return hashlib.sha256(code.strip().upper().replace("-", "").encode()).hexdigest()


def issue_code(engine: Engine, now: datetime) -> str | None:
    """A new setup code when there are no users yet (print it on the console), else None."""
    if accounts.count(engine):
        return None
    raw = secrets.token_hex(6).upper()
    code = f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"
    with db.writing(engine) as connection:
        connection.execute(insert(setup_codes), {"code_hash": _hash(code), "created_at": now})
    return code


def create_first_admin(
    engine: Engine, code: str, username: str, display_name: str, password: str, now: datetime
) -> accounts.User:
    """The first administrator, if the setup code is valid and nobody has used one yet."""
    with db.writing(engine) as connection:
        if connection.execute(select(users_table.c.id).limit(1)).first():
            raise accounts.AccountError(_("Setup is already done: sign in instead."))
        candidates = connection.execute(
            select(setup_codes.c.id, setup_codes.c.code_hash, setup_codes.c.created_at).where(
                setup_codes.c.used_at.is_(None)
            )
        ).all()
        match = next(
            (
                c
                for c in candidates
                if hmac.compare_digest(c.code_hash, _hash(code))
                and now - c.created_at <= CODE_LIFETIME
            ),
            None,
        )
        if match is None:
            raise accounts.AccountError(
                _("That setup code is not valid. Use the code printed on the server console.")
            )
        connection.execute(update(setup_codes).values(used_at=now))
        return accounts.add(
            connection, "setup", username, display_name, "admin", password, temporary=False, now=now
        )
