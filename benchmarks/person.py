"""Driving the app in Chromium as a person would (Playwright): accounts to sign in with, and
the waits that keep clicks from being swallowed. Shared by the browser tests and benchmarks."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from clinic import accounts, db, i18n, mfa, totp
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
        user = accounts.add(
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
    if not mfa.confirm_enrolment(clinic.engine, clinic.vault, user, secret, code, earlier):
        raise RuntimeError(f"could not enrol {username}")
    _used_step(secret, _step(earlier.timestamp()))  # the server refuses that step from now on
    return Account(username, PASSWORD, secret)


# A code works once: the server keeps each account's last accepted time step and refuses that
# step and earlier ones. A person who signs in twice within 30 s waits for the app's next code;
# so does this, remembering per account (by its secret) the last step whose code it typed.
_LAST_STEP: dict[str, int] = {}
_STEPS = threading.Lock()
CLOCK_MARGIN_S = 0.25
"""Typed this long after a step begins, so that the server's clock is surely in it too."""


def _step(timestamp: float) -> int:
    return int(timestamp // totp.INTERVAL)


def _used_step(secret: str, step: int) -> None:
    with _STEPS:
        _LAST_STEP[secret] = max(step, _LAST_STEP.get(secret, step))


def _claim_code(account: Account) -> tuple[str, float]:
    """A code for a step never used for `account`, and the seconds until that step begins (0
    when the current step is unused). The step is claimed at once, so two sign-ins of one
    account at the same moment get different steps."""
    import pyotp

    now = time.time()
    with _STEPS:
        step = max(_step(now), _LAST_STEP.get(account.secret, -1) + 1)
        _LAST_STEP[account.secret] = step
    starts = step * totp.INTERVAL
    wait = starts + CLOCK_MARGIN_S - now if step > _step(now) else 0.0
    return pyotp.TOTP(account.secret).at(starts), max(wait, 0.0)


def fresh_code(account: Account) -> str:
    """The account's authenticator code, waiting for the next one if the current was used."""
    code, wait = _claim_code(account)
    time.sleep(wait)
    return code


async def fresh_code_async(account: Account) -> str:
    code, wait = _claim_code(account)
    await asyncio.sleep(wait)
    return code


def sign_in(page, url: str, account: Account, language: str = i18n.DEFAULT) -> None:
    """Password, then a current authenticator code, reading the labels in `language`."""
    page.goto(url)
    ready(page)
    for boxes, button, then in _sign_in_forms(account, language):
        for label, value in boxes.items():
            box(page, label).fill(fresh_code(account) if value is CODE else value)
        click(page, button)
        page.get_by_role(**then).wait_for()


def in_language(language: str, message: str) -> str:
    """`message` as the app shows it in `language` (what a person reads on the screen)."""
    before = i18n.current()
    i18n.use(language)
    try:
        return i18n.gettext(message)
    finally:
        i18n.use(before)


CODE = object()
"""Stands for the authenticator code in a form: read (fresh_code) only as it is typed."""


def _sign_in_forms(
    account: Account, language: str = i18n.DEFAULT
) -> Iterator[tuple[dict[str, object], str, dict[str, str]]]:
    """Each sign-in form: what to type in which box (CODE for the authenticator's code), the
    button to press, and the role and name of what the press leads to."""

    def say(message: str) -> str:
        return in_language(language, message)

    yield (
        {say("Username"): account.username, say("Password"): account.password},
        say("Login"),
        {"role": "textbox", "name": say("Authentication code")},
    )
    yield (
        {say("Authentication code"): CODE},
        say("Verify"),
        {"role": "button", "name": say("Log out")},
    )


COOKIE_FRAME = 'iframe[title*="CookieManager"]'
SETTLE_MS = 800
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'


def ready(page) -> None:
    """Wait for the sign-in page to settle: streamlit-authenticator mounts a cookie component
    whose first report reruns the script, and a click made during that rerun can be lost."""
    page.locator(COOKIE_FRAME).first.wait_for(state="attached")
    page.wait_for_timeout(SETTLE_MS)
    idle(page)


def idle(page) -> None:
    """Wait until no script run is in progress (a click during a run can be swallowed)."""
    page.locator(IDLE).wait_for()


def click(page, name: str) -> None:
    """Press the button called `name` once the app is idle."""
    idle(page)
    page.get_by_role("button", name=name).click()


def box(page, label: str):
    """The text or number input labelled `label` (its help icon shares the label's name)."""
    return page.locator(f'input[aria-label="{label}"]')


# The same steps for playwright.async_api pages: many people at once in one event loop.

LOST_PRESS_MS = 15_000
"""How long a press may show no effect before, once the app is idle, it counts as lost."""
PRESSES = 4


async def sign_in_async(page, url: str, account: Account) -> int:
    """As sign_in; returns how many presses were lost and made again (see press_async)."""
    await page.goto(url)
    await ready_async(page)
    lost = 0
    for boxes, button, then in _sign_in_forms(account):
        for label, value in boxes.items():
            await box(page, label).fill(await fresh_code_async(account) if value is CODE else value)
        lost += await press_async(page, button, page.get_by_role(**then)) - 1
    return lost


async def press_async(page, name: str, then) -> int:
    """Press the button `name` until the locator `then` is there; returns the presses made.
    Under load the cookie component's first report can come after `ready`, and a press during
    its rerun is lost: a person would press again, and so do we."""
    from playwright.async_api import TimeoutError as NoEffect

    for presses in range(1, PRESSES + 1):
        try:
            await idle_async(page)
            await page.get_by_role("button", name=name).click(timeout=LOST_PRESS_MS)
            await then.wait_for(timeout=LOST_PRESS_MS)
            return presses
        except NoEffect:
            await idle_async(page)  # a slow run is not a lost press
            if await then.count():
                return presses
    raise RuntimeError(f"{PRESSES} presses of {name!r} had no effect")


async def ready_async(page) -> None:
    cookies = await page.locator(COOKIE_FRAME).first.element_handle()
    await (await cookies.content_frame()).wait_for_load_state()  # its report is due now
    await page.wait_for_timeout(SETTLE_MS)
    await idle_async(page)


async def idle_async(page) -> None:
    await page.locator(IDLE).wait_for()
