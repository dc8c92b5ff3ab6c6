"""The attacks of the hardening review, replayed in Chromium: several browsers sharing one
account's five code attempts, a screen left alone past the time-out, the session cookie as a
script and the network see it, and what the server answers strangers."""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
from pathlib import Path

import pyotp
import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from playwright.sync_api import Page, expect

from benchmarks.person import box, click
from components.http import COOKIE
from tests.browser.support import cli, make_account, password_step, sign_in

pytestmark = pytest.mark.browser


def _wrong_code(secret: str) -> str:
    """A code that no step of the drift window accepts now or in the next minute."""
    totp = pyotp.TOTP(secret)
    near = {totp.at(dt.datetime.now(dt.UTC) + dt.timedelta(seconds=s)) for s in range(-60, 91, 30)}
    return next(c for c in ("000000", "111111", "222222") if c not in near)


def test_the_lockout_holds_at_the_code_step_in_every_browser(browser, server) -> None:
    """Four browsers pass the password step; five wrong codes in the first lock the account;
    the right code typed in another is refused and it is back at the sign-in form."""
    account = make_account(server, "carla", "clinician")
    contexts = [browser.new_context() for _ in range(4)]
    pages = [context.new_page() for context in contexts]
    try:
        for page in pages:
            page.goto(server.url)
            password_step(page, account.username, account.password)
            expect(page.get_by_role("textbox", name="Authentication code")).to_be_visible()
        first = pages[0]
        for _ in range(5):
            if not first.get_by_role("textbox", name="Authentication code").count():
                break
            box(first, "Authentication code").fill(_wrong_code(account.secret))
            click(first, "Verify")
            first.wait_for_timeout(300)
        expect(first.get_by_role("button", name="Login")).to_be_visible()
        assert re.search(r"carla\s+clinician\s+yes\s+yes", cli(server, "users", "list"))

        other = pages[1]
        box(other, "Authentication code").fill(pyotp.TOTP(account.secret).now())
        click(other, "Verify")
        expect(other.get_by_role("button", name="Login")).to_be_visible()
        expect(other.get_by_role("button", name="Log out")).to_have_count(0)
        expect(other.get_by_role("heading", name="New prediction")).to_have_count(0)
    finally:
        for context in contexts:
            context.close()


@pytest.mark.parametrize(
    "idle_minutes",
    ["0.5", "1.3"],  # the warning due at once; due after a quiet alarm that is not activity
)
def test_a_screen_left_alone_is_cleared_when_the_session_ends(
    page: Page, serve, idle_minutes: str
) -> None:
    server = serve(CLINIC_SESSION_IDLE_MINUTES=idle_minutes)
    sign_in(page, server, make_account(server, "carla", "clinician"))
    expect(page.get_by_role("heading", name="New prediction")).to_be_visible()
    warning = page.get_by_text("Your session ends in less than a minute")
    expect(warning).to_be_visible(timeout=60_000)
    expect(page.get_by_text("Your session has ended")).to_be_visible(timeout=90_000)
    expect(page.get_by_role("heading", name="New prediction")).to_have_count(0)
    expect(page.get_by_label("CD4 count at baseline")).to_have_count(0)
    expect(page.get_by_role("button", name="Login")).to_be_visible()


def test_stay_signed_in_keeps_the_session(page: Page, serve) -> None:
    server = serve(CLINIC_SESSION_IDLE_MINUTES="0.3")
    sign_in(page, server, make_account(server, "carla", "clinician"))
    for _ in range(2):  # well past the 18 s idle limit in all
        expect(page.get_by_text("Your session ends in less than a minute")).to_be_visible()
        page.wait_for_timeout(10_000)
        click(page, "Stay signed in")
    page.reload()
    expect(page.get_by_role("heading", name="New prediction")).to_be_visible()


def _self_signed(directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert, private = directory / "cert.pem", directory / "key.pem"
    cert.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    private.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert, private


def _session_cookie(context) -> dict:
    [cookie] = [c for c in context.cookies() if c["name"] == COOKIE]
    return cookie


def test_the_session_cookie_is_http_only_and_secure_over_tls(browser, serve, tmp_path) -> None:
    cert, key = _self_signed(tmp_path)
    server = serve(STREAMLIT_SERVER_SSL_CERT_FILE=str(cert), STREAMLIT_SERVER_SSL_KEY_FILE=str(key))
    assert server.url.startswith("https://")
    context = browser.new_context(ignore_https_errors=True)
    page = context.new_page()
    blocked: list[str] = []
    page.on(
        "console",
        lambda message: (
            blocked.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    try:
        sign_in(page, server, make_account(server, "carla", "clinician"))
        expect(page.get_by_role("heading", name="New prediction")).to_be_visible()
        page.wait_for_timeout(1000)  # the cookie handoff's request, sent as the page drew
        cookie = _session_cookie(context)
        assert (cookie["httpOnly"], cookie["secure"], cookie["sameSite"]) == (True, True, "Strict")
        assert COOKIE not in page.evaluate("document.cookie")
        page.reload()
        expect(page.get_by_role("heading", name="New prediction")).to_be_visible()
        assert blocked == []
    finally:
        context.close()


def test_over_plain_http_the_cookie_is_still_out_of_scripts_reach(page: Page, server) -> None:
    sign_in(page, server, make_account(server, "carla", "clinician"))
    expect(page.get_by_role("heading", name="New prediction")).to_be_visible()
    page.wait_for_timeout(1000)
    cookie = _session_cookie(page.context)
    assert (cookie["httpOnly"], cookie["secure"]) == (True, False)
    assert COOKIE not in page.evaluate("document.cookie")


def test_every_answer_carries_the_security_headers_and_metrics_are_hidden(server) -> None:
    home = requests.get(server.url, timeout=10)
    assert "frame-ancestors 'self'" in home.headers["content-security-policy"]
    assert "img-src 'self' data: blob:" in home.headers["content-security-policy"]
    assert home.headers["x-frame-options"] == "SAMEORIGIN"
    assert home.headers["x-content-type-options"] == "nosniff"
    assert home.headers["referrer-policy"] == "no-referrer"
    for hidden in ("/_stcore/metrics", "/_stcore/agent/openapi.json"):
        assert requests.get(f"{server.url}{hidden}", timeout=10).status_code == 404
    assert requests.get(f"{server.url}/_stcore/health", timeout=10).ok
    forged = requests.post(f"{server.url}/_clinic/session", data="guessed-code", timeout=10)
    assert forged.status_code == 403 and "set-cookie" not in forged.headers
    same_origin = {"Origin": server.url}
    guessed = requests.post(
        f"{server.url}/_clinic/session", data="guessed-code", headers=same_origin, timeout=10
    )
    assert guessed.status_code == 403 and "set-cookie" not in guessed.headers
    flood = requests.post(
        f"{server.url}/_clinic/session", data="x" * 10_000, headers=same_origin, timeout=10
    )
    assert flood.status_code == 413  # read no further than a code's length
