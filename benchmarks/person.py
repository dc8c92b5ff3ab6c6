"""Driving the app in Chromium as a person would (Playwright): accounts to sign in with, and
the waits that keep clicks from being swallowed. Shared by the browser tests and benchmarks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from playwright.sync_api import expect

from clinic import db, totp, users
from clinic.runtime import Clinic

CHROMIUM = Path("/usr/bin/chromium")
"""Debian's package (`apt-get install chromium`); Playwright never downloads a browser here."""
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
PASSWORD = "seven blue doors on a wet street"  # noqa: S105 - test and benchmark accounts only


@dataclass(frozen=True)
class Account:
    username: str
    password: str
    secret: str


def enrolled_account(clinic: Clinic, username: str, role: str) -> Account:
    """An account with a known password and authenticator secret, already enrolled (as of two
    minutes ago, so that a code for now is fresh)."""
    import pyotp

    earlier = datetime.now(UTC) - timedelta(minutes=2)
    with db.writing(clinic.engine) as connection:
        user = users.add(
            connection,
            "test",
            username,
            username.capitalize(),
            role,
            PASSWORD,
            temporary=False,
            now=earlier,
        )
    secret = totp.new_secret()
    code = pyotp.TOTP(secret).at(earlier)
    if not users.confirm_enrolment(clinic.engine, clinic.vault, user, secret, code, earlier):
        raise RuntimeError(f"could not enrol {username}")
    return Account(username, PASSWORD, secret)


def sign_in(page, url: str, account: Account) -> None:
    """Password, then a current authenticator code."""
    import pyotp

    page.goto(url)
    ready(page)
    box(page, "Username").fill(account.username)
    box(page, "Password").fill(account.password)
    click(page, "Login")
    box(page, "Authentication code").fill(pyotp.TOTP(account.secret).now())
    click(page, "Verify")
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def ready(page) -> None:
    """Wait for the sign-in page to settle: streamlit-authenticator mounts a cookie component
    whose first report reruns the script, and a click made during that rerun can be lost."""
    page.locator('iframe[title*="CookieManager"]').first.wait_for(state="attached")
    page.wait_for_timeout(800)
    idle(page)


def idle(page) -> None:
    """Wait until no script run is in progress (a click during a run can be swallowed)."""
    page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]').wait_for()


def click(page, name: str) -> None:
    """Press the button called `name` once the app is idle."""
    idle(page)
    page.get_by_role("button", name=name).click()


def box(page, label: str):
    """The text or number input labelled `label` (its help icon shares the label's name)."""
    return page.locator(f'input[aria-label="{label}"]')
