"""The administration texts moved into the catalogue read, in English, exactly as before."""

from __future__ import annotations

from pathlib import Path

from clinic import keys, passwords


def test_password_problems_read_as_before() -> None:
    assert passwords.password_problem("short") == "Password must be at least 12 characters long."
    assert passwords.password_problem("x" * 73) == (
        "Password must be at most 72 bytes long: 72 plain letters, digits or spaces; an accented "
        "letter counts as two."
    )
    assert passwords.password_problem("password1234") == (
        "That password is on a list of common passwords; choose another."
    )
    assert passwords.password_problem("carla-is-my-name-9", "carla") == (
        "Password must not contain your username or name."
    )


def test_the_new_keys_notice_reads_as_before() -> None:
    path = Path("/data/keys.json")
    assert keys.NEW_KEYS.format(path=path) == (
        "New encryption keys were generated in /data/keys.json. Back this file up apart from the "
        "database: without it the patient identities cannot be read."
    )
