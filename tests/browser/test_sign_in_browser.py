"""Sign-in as people do it, in a real browser: first run, enrolment, roles, refresh, logout,
lockout, idle timeout, and page paths typed by someone who is not allowed there."""

from __future__ import annotations

import re
import time

import pyotp
import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import create_engine, func, select

from benchmarks.person import box, click
from clinic.tables import audit_events
from tests.browser.support import cli, make_account, password_step, sign_in

pytestmark = pytest.mark.browser

ADMIN_PASSWORD = "orchid lantern quietly 1987"
TEMPORARY = "temporary river pebble 42"
CHOSEN = "clinician chooses 7 words here"


def fresh_code(secret: str, used: set[str]) -> str:
    """A current code the server has not accepted yet (waits for the next 30 s step if needed)."""
    while (code := pyotp.TOTP(secret).now()) in used:
        time.sleep(1)
    used.add(code)
    return code


def failures_recorded(server) -> int:
    engine = create_engine(f"sqlite:///{server.data_dir / 'clinic.db'}")
    with engine.connect() as connection:
        count = connection.execute(
            select(func.count())
            .select_from(audit_events)
            .where(audit_events.c.action == "signin.failure")
        ).scalar_one()
    engine.dispose()
    return count


def wait_for(condition, seconds: float = 30) -> None:
    """Wait until the server has done what the click asked (as a person waits for the page)."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the server did not finish in time"
        time.sleep(0.2)


def enrol(page: Page) -> tuple[str, str]:
    """Read the key shown as text, confirm with a code, acknowledge the recovery codes."""
    expect(page.get_by_text("Two-step verification")).to_be_visible()
    secret = page.get_by_test_id("stCode").first.inner_text().strip()
    code = pyotp.TOTP(secret).now()
    box(page, "Authentication code").fill(code)
    click(page, "Verify")
    expect(page.get_by_text("Your recovery codes")).to_be_visible()
    assert len(page.get_by_test_id("stCode").first.inner_text().split()) == 10
    click(page, "I have saved my recovery codes")
    return secret, code


def test_first_run_admin_enrols_and_creates_a_clinician(page: Page, server) -> None:
    page.goto(server.url)
    expect(page.get_by_role("button", name="Create administrator")).to_be_visible()
    code = re.search(r"Setup code: (\S+)", server.log.read_text()).group(1)
    box(page, "Setup code").fill(code)
    box(page, "Username").fill("admin")
    box(page, "Your name").fill("Ada Admin")
    box(page, "Password").fill(ADMIN_PASSWORD)
    box(page, "Repeat password").fill(ADMIN_PASSWORD)
    click(page, "Create administrator")
    expect(page.get_by_text("Administrator created")).to_be_visible()

    password_step(page, "admin", ADMIN_PASSWORD)
    enrol(page)
    expect(page.get_by_role("heading", name="Users")).to_be_visible()
    nav = page.get_by_test_id("stSidebarNav")
    expect(nav).to_contain_text("Audit trail")
    expect(nav).not_to_contain_text("New prediction")

    box(page, "Username").fill("carla")
    box(page, "Name").fill("Carla Clínica")
    box(page, "Temporary password").fill(TEMPORARY)
    click(page, "Add user")
    expect(page.get_by_text("User carla added")).to_be_visible()
    assert re.search(r"carla\s+clinician\s+no", cli(server, "users", "list"))


def test_clinician_first_sign_in_refresh_logout_and_replay(page: Page, server) -> None:
    cli(
        server,
        "users",
        "add",
        "carla",
        "--role",
        "clinician",
        "--name",
        "Carla",
        stdin=TEMPORARY + "\n",
    )
    page.goto(server.url)
    password_step(page, "carla", TEMPORARY)
    secret, enrolment_code = enrol(page)
    expect(page.get_by_text("Choose your own password")).to_be_visible()
    box(page, "Current password").fill(TEMPORARY)
    box(page, "New password").fill(CHOSEN)
    box(page, "Repeat new password").fill(CHOSEN)
    click(page, "Change password")
    expect(page.get_by_role("heading", name="New prediction")).to_be_visible()
    nav = page.get_by_test_id("stSidebarNav")
    expect(nav).not_to_contain_text("Users")
    expect(nav).not_to_contain_text("Audit trail")

    page.reload()
    expect(page.get_by_role("heading", name="New prediction")).to_be_visible()

    click(page, "Log out")
    expect(page.get_by_role("button", name="Login")).to_be_visible()
    page.reload()
    expect(page.get_by_role("button", name="Login")).to_be_visible()
    expect(page.get_by_role("heading", name="New prediction")).to_have_count(0)

    password_step(page, "carla", CHOSEN)
    box(page, "Authentication code").fill(enrolment_code)
    click(page, "Verify")
    expect(page.get_by_text("not valid or was already used")).to_be_visible()
    box(page, "Authentication code").fill(fresh_code(secret, {enrolment_code}))
    click(page, "Verify")
    expect(page.get_by_role("heading", name="New prediction")).to_be_visible()


def test_wrong_password_message_never_reveals_the_username(page: Page, server) -> None:
    make_account(server, "carla", "clinician")
    page.goto(server.url)
    password_step(page, "carla", "wrong password entirely")
    known = page.get_by_test_id("stAlert").inner_text()
    page.goto(server.url)
    password_step(page, "nobody-here", "wrong password entirely")
    unknown = page.get_by_test_id("stAlert").inner_text()
    assert known == unknown and "incorrect" in known


def test_five_failures_lock_and_admin_unlocks(page: Page, server) -> None:
    account = make_account(server, "carla", "clinician")
    page.goto(server.url)
    for attempt in range(5):
        password_step(page, "carla", f"wrong password {attempt}")
        wait_for(lambda n=attempt + 1: failures_recorded(server) == n)
    password_step(page, "carla", account.password)
    expect(page.get_by_test_id("stAlert")).to_contain_text("incorrect")
    expect(page.get_by_text("Two-step verification")).to_have_count(0)
    assert re.search(r"carla\s+clinician\s+yes\s+yes", cli(server, "users", "list"))

    cli(server, "users", "unlock", "carla")
    password_step(page, "carla", account.password)
    expect(page.get_by_text("Two-step verification")).to_be_visible()


FORBIDDEN = {
    "users": ["Add a user", "Manage a user"],
    "audit": ["Verify the chain", "Audit trail"],
    "account": ["Recovery codes", "My account"],
    "predict": ["New prediction", "CD4"],
    "history": ["Find a patient", "Reveal one identity"],
}


PAGE_TITLES = ["New prediction", "Score a list", "Model versions", "Audit trail", "Monitoring"]


@pytest.mark.parametrize("path", list(FORBIDDEN))
def test_page_paths_show_nothing_to_a_stranger_even_first(page: Page, serve, path) -> None:
    """The very first request after the server starts, then again after the root was opened."""
    server = serve()
    make_account(server, "carla", "clinician")
    for _ in range(2):
        page.goto(f"{server.url}/{path}")
        expect(page.get_by_text(re.compile("Please sign in|Sign in")).first).to_be_visible()
        page.wait_for_timeout(500)
        expect(page.get_by_test_id("stSidebarNav")).to_have_count(0)  # no list of pages
        body = page.locator("body").inner_text()
        assert not [text for text in FORBIDDEN[path] if text in body]
        assert not [title for title in PAGE_TITLES if title in body]
        page.goto(server.url)
        expect(page.get_by_role("button", name="Login")).to_be_visible()


@pytest.mark.parametrize("path", ["users", "audit"])
def test_a_clinician_typing_an_admin_path_sees_nothing_of_it(page: Page, server, path) -> None:
    sign_in(page, server, make_account(server, "carla", "clinician"))
    page.goto(f"{server.url}/{path}")
    page.wait_for_timeout(1500)
    body = page.locator("body").inner_text()
    assert not [text for text in FORBIDDEN[path] if text in body]


def test_idle_session_ends(page: Page, serve) -> None:
    server = serve(CLINIC_SESSION_IDLE_MINUTES="0.2")
    sign_in(page, server, make_account(server, "carla", "clinician"))
    expect(page.get_by_role("heading", name="New prediction")).to_be_visible()
    page.reload()
    expect(page.get_by_role("heading", name="New prediction")).to_be_visible()
    page.wait_for_timeout(15_000)
    page.reload()
    expect(page.get_by_role("button", name="Login")).to_be_visible()
