"""Signing in, drawn: the password form (streamlit-authenticator, bcrypt), the authenticator-app
code (enrolment the first time), the recovery codes, a forced password change, and the first run.
Which step a browser is at, and what each answer leads to, is `clinic.signin`'s; this module
keeps the forms, this tab's state, the cookie and the expiry watch.

streamlit-authenticator's own re-authentication cookie is disabled (expiry 0 and a random key
per process): it would skip the second factor and could not be revoked. Our cookie holds only a
random token whose hash the database knows; logout and resets end it there.
"""

from __future__ import annotations

import dataclasses
import io
import json
import secrets
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import segno
import streamlit as st
import streamlit_authenticator as stauth

from clinic import db, i18n, lockout, mfa, sessions, setup, signin, totp
from clinic.accounts import AccountError, User
from clinic.i18n import N_, _
from clinic.runtime import Clinic
from clinic.signin import Step
from components import http, language
from components.plain import literal

COOKIE = http.COOKIE
COOKIE_SET = "auth.cookie_set"
TOKEN = "auth.token"  # noqa: S105 - a session-state key, not a secret
ENROL_SECRET = "auth.enrol_secret"  # noqa: S105 - a session-state key
NEW_CODES = "auth.recovery_codes"
NOTICE = "auth.notice"
LAST_CHECK = "auth.last_check"
_DISABLED_COOKIE_KEY = secrets.token_hex(32)
SIGN_IN_FAILED = N_(
    "Username or password is incorrect. After {failures} failed attempts an account is locked "
    "for {minutes} minutes."
)
SIGNED_OUT = N_("You are signed out.")
SESSION_ENDED = N_(
    "Your session has ended (time-out, or signed out elsewhere), so the page was cleared. Sign "
    "in again to go on."
)
WARN_BEFORE = timedelta(minutes=1)
POLL_EVERY = timedelta(seconds=5)
"""How often the expiry watch asks, once the warning is due."""
QUIET_RUN = "auth.quiet_run"
"""Set by the expiry watch for the whole run it asks for: that run is not activity."""
_quiet_run: ContextVar[bool] = ContextVar("quiet_run", default=False)
"""This script run's answer, read once by `begin_run` (the run may check the session twice:
app.py, then the page's guard)."""


def begin_run() -> None:
    """At the top of every run (app.py): is this a run the expiry watch asked for?"""
    _quiet_run.set(bool(st.session_state.pop(QUIET_RUN, False)))


ADMIN_CREATED = N_("Administrator created. Sign in, then set up two-step verification.")


@dataclass(frozen=True)
class Current:
    token: str
    verified: bool
    user: User
    degraded: bool = False
    """True when the database could not be asked and this run relies on the last check made in
    this same browser session (so typing can go on during a short outage; nothing is stored)."""


def _now() -> datetime:
    return datetime.now(UTC)


def _notice(text: str) -> str:
    """A notice (an English msgid) in this run's language, with the lockout's own numbers."""
    return _(text).format(
        failures=i18n.number(lockout.LOCK_AFTER_FAILURES),
        minutes=i18n.number(lockout.LOCK_DURATION // timedelta(minutes=1)),
    )


def current(clinic: Clinic) -> Current | None:
    """The session this browser holds (from this run's state or its cookie), checked in the DB."""
    token = st.session_state.get(TOKEN) or st.context.cookies.get(COOKIE)
    if not isinstance(token, str) or not token:
        return None
    try:
        resumed = signin.resume(
            clinic.engine,
            token,
            _now(),
            clinic.config.session_limits,
            touch=not _quiet_run.get(),
        )
    except (*db.OUTAGES, db.StorageUnavailable) as exc:  # resume writes: it can time out
        last = st.session_state.get(LAST_CHECK)
        if last and last.token == token:
            return dataclasses.replace(last, degraded=True)
        raise db.StorageUnavailable(
            _("The database is unavailable, so nobody can sign in right now. Try again shortly.")
        ) from exc
    if resumed is None:
        st.session_state.pop(TOKEN, None)
        return None
    st.session_state[TOKEN] = token
    st.session_state[LAST_CHECK] = Current(token, resumed.verified, resumed.user)
    return st.session_state[LAST_CHECK]


def signed_in(clinic: Clinic) -> Current | None:
    """The session, if fully signed in: both factors passed, nothing left to do first.
    When the database cannot even be asked who this is, say so and stop the page."""
    try:
        state = current(clinic)
    except db.StorageUnavailable as exc:
        st.error(str(exc), icon=":material/database_off:")
        st.stop()
    if state and _step(clinic, state) is Step.DONE:
        return state
    return None


def _step(clinic: Clinic, state: Current | None) -> Step:
    codes_pending = state is not None and _pending_codes(state.user) is not None
    return signin.step(
        clinic.engine,
        state.user if state else None,
        state is not None and state.verified,
        codes_pending,
    )


def _pending_codes(user: User) -> list[str] | None:
    """Recovery codes made at this user's enrolment and not yet acknowledged; codes left in the
    tab for anyone else are dropped unseen."""
    owner, codes = st.session_state.get(NEW_CODES, (None, None))
    if owner is not None and owner != user.id:
        st.session_state.pop(NEW_CODES, None)
    return codes if owner == user.id else None


def log_out(clinic: Clinic) -> None:
    if token := st.session_state.get(TOKEN):
        sessions.end(clinic.engine, token, "logout", _now())
    forget_tab()
    st.session_state[NOTICE] = SIGNED_OUT


def forget_tab(keep: tuple[str, ...] = ()) -> None:
    """Drop everything this browser tab's session holds for the user who was signed in
    (results, lists, recovery codes, typed values), so that whoever signs in next in this tab
    starts clean. Only the language, the sign-in notice and the keys in `keep` stay."""
    kept = {language.CHOSEN, NOTICE, *keep}
    for key in [k for k in st.session_state if k not in kept]:
        del st.session_state[key]


def session_ended() -> User | None:
    """On the first run after this browser's signed-in session ended by itself (idle or
    absolute limit, disabled, ended elsewhere): its user, and the sign-in page will say so. A
    logout is not such an ending (it says "signed out"), nor is a sign-in still at its steps."""
    if TOKEN in st.session_state:
        return None
    last = st.session_state.pop(LAST_CHECK, None)
    if last is None or not last.verified:
        return None
    st.session_state.pop(NEW_CODES, None)  # never shown to whoever signs in next
    st.session_state[NOTICE] = SESSION_ENDED
    return last.user


def expiry_watch(clinic: Clinic, state: Current) -> None:
    """Clear the screen when the session ends, even if nobody touches the page.

    A fragment wakes up a minute before the session would end (as this run reckons it), asks
    the database without counting as activity, warns with a button that does count, then asks
    every few seconds and reruns the whole app when the session is gone, which then shows only
    the sign-in page. While people work, each run of theirs sets the alarm afresh, so it never
    rings: fragment runs are kept away from the script runs that store predictions."""
    limits = clinic.config.session_limits

    def left() -> timedelta | None:
        return sessions.time_left(clinic.engine, state.token, _now(), limits)

    try:
        until_end = left()
    except (*db.OUTAGES, db.StorageUnavailable):
        return  # the page already says the database is down
    if until_end is None:
        return  # the next run finds the session ended
    closing = until_end <= WARN_BEFORE + POLL_EVERY

    @st.fragment(run_every=POLL_EVERY if closing else until_end - WARN_BEFORE)
    def watch() -> None:
        try:
            now_left = left()
        except (*db.OUTAGES, db.StorageUnavailable):
            return
        due = now_left is not None and now_left <= WARN_BEFORE + POLL_EVERY
        if now_left is not None and closing == due:
            if due:
                _warn_of_the_end(clinic)
            return  # (the body also runs as the page is drawn: nothing has changed then)
        # The session ended (clear the page), the warning fell due (ask every few seconds from
        # now on) or the session was extended elsewhere (set the alarm afresh): a whole run,
        # which must not count as activity.
        st.session_state[QUIET_RUN] = True
        st.rerun(scope="app")

    watch()


def _warn_of_the_end(clinic: Clinic) -> None:
    st.warning(
        _("Your session ends in less than a minute unless you carry on."),
        icon=":material/timer:",
    )
    st.button(_("Stay signed in"), on_click=current, args=(clinic,))


def remember_browser() -> None:
    """Give this browser the session's cookie (from app.py, after both factors), so that a
    refresh resumes the session. The page posts a one-time code and the server's answer sets
    the cookie, HttpOnly and (over TLS) Secure: no script, ours or injected, can read it.
    A one-line script in the page itself rather than a component, whose first report would
    rerun the script and could swallow the user's click."""
    token = st.session_state.get(TOKEN)
    if not token or token in (st.context.cookies.get(COOKIE), st.session_state.get(COOKIE_SET)):
        return
    code = http.offer(token)
    st.session_state[COOKIE_SET] = token
    request = {"method": "POST", "body": code, "credentials": "same-origin"}
    st.html(
        f"<script>fetch({json.dumps(http.HANDOFF_PATH)}, {json.dumps(request)});</script>",
        unsafe_allow_javascript=True,
    )


def sign_in_page(clinic: Clinic) -> None:
    """Render whichever step of signing in this browser is at."""
    title, choice = st.columns([4, 1], vertical_alignment="bottom")
    title.title(_("Clinic risk dashboard"))
    with choice:
        language.picker(clinic, None)
    state = current(clinic)
    match _step(clinic, state):
        case Step.FIRST_RUN:
            _first_run(clinic)
        case Step.PASSWORD:
            _password_step(clinic)
        case Step.ENROL:
            _enrol(clinic, state)
        case Step.CODE:
            _code(clinic, state)
        case Step.RECOVERY_CODES:
            expiry_watch(clinic, state)  # these screens clear themselves at the end too
            _show_recovery_codes(_pending_codes(state.user))
        case Step.NEW_PASSWORD:
            expiry_watch(clinic, state)
            _forced_password_change(clinic, state)
        case Step.DONE:  # signed in since app.py asked: draw the pages
            st.rerun()


def _password_step(clinic: Clinic) -> None:
    if notice := st.session_state.get(NOTICE):  # kept through the reruns of a page settling
        st.info(_notice(notice))
    now = _now()
    credentials = signin.login_credentials(clinic.engine, now)
    authenticator = stauth.Authenticate(
        credentials,
        cookie_name="clinic_reauth_disabled",
        cookie_key=_DISABLED_COOKIE_KEY,
        cookie_expiry_days=0,
        auto_hash=False,
        login_sleep_time=0,
    )
    st.session_state["authentication_status"] = None
    authenticator.login(
        location="main",
        key="sign_in",
        fields={
            "Form name": _("Sign in"),
            "Username": _("Username"),
            "Password": _("Password"),
            "Login": _("Login"),
        },
    )
    status = st.session_state.get("authentication_status")
    if status is not None:
        st.session_state.pop(NOTICE, None)  # read: the person is signing in again
    if status:
        st.session_state["authentication_status"] = None
        if token := signin.password_accepted(clinic.engine, st.session_state["username"], now):
            st.session_state[TOKEN] = token
            st.rerun()
        st.error(_notice(SIGN_IN_FAILED), icon=":material/lock:")
    elif status is False:
        tried = [
            u for u, entry in credentials["usernames"].items() if entry["failed_login_attempts"]
        ]
        signin.password_refused(clinic.engine, tried, now)
        st.error(_notice(SIGN_IN_FAILED), icon=":material/lock:")


def _code_form(key: str) -> str | None:
    with st.form(key, enter_to_submit=True):
        code = st.text_input(
            _("Authentication code"),
            max_chars=16,
            autocomplete="one-time-code",
            help=_("The 6-digit code your authenticator app shows now, or one recovery code."),
        )
        pressed = st.form_submit_button(_("Verify"), type="primary")
    return code if pressed else None


def _enrol(clinic: Clinic, state: Current) -> None:
    st.subheader(_("Two-step verification"))
    user = state.user
    now = _now()
    secret = st.session_state.setdefault(ENROL_SECRET, totp.new_secret())
    st.write(
        _(
            "Scan this QR code with an authenticator app (Google Authenticator, Microsoft "
            "Authenticator, Authy, …), or type the key below into it. Then enter the code it "
            "shows."
        )
    )
    png = io.BytesIO()
    segno.make(totp.provisioning_uri(secret, user.username), error="m").save(
        png, kind="png", scale=5, border=2
    )
    st.image(png.getvalue(), caption=_("Authenticator QR code"), width=220)
    st.code(secret, language=None)
    if (code := _code_form("enrol")) is not None:
        codes = mfa.confirm_enrolment(
            clinic.engine, clinic.vault, user, secret, code, now, token=state.token
        )
        if codes:
            st.session_state.pop(ENROL_SECRET, None)
            st.session_state[NEW_CODES] = (user.id, codes)
            st.rerun()
        _code_refused(clinic, user, now)
    st.button(_("Cancel and sign out"), on_click=log_out, args=(clinic,))


def _code(clinic: Clinic, state: Current) -> None:
    st.subheader(_("Two-step verification"))
    now = _now()
    if (code := _code_form("verify")) is not None:
        if mfa.verify_second_factor(
            clinic.engine, clinic.vault, state.user, code, now, token=state.token
        ):
            st.rerun()
        _code_refused(clinic, state.user, now)
    st.button(_("Cancel and sign out"), on_click=log_out, args=(clinic,))


def _code_refused(clinic: Clinic, user: User, now: datetime) -> None:
    if signin.locked_out(clinic.engine, user, now):
        log_out(clinic)
        st.session_state[NOTICE] = SIGN_IN_FAILED
        st.rerun()
    st.error(_("That code is not valid or was already used. Wait for the next code and try again."))


def _show_recovery_codes(codes: list[str]) -> None:
    st.subheader(_("Your recovery codes"))
    st.warning(
        _(
            "Each code signs you in once if you lose your phone. They are shown only now: "
            "print them or keep them in a password manager, away from this device."
        )
    )
    st.code("\n".join(codes), language=None)
    if st.button(_("I have saved my recovery codes"), type="primary"):
        st.session_state.pop(NEW_CODES, None)
        st.rerun()


def password_change_form(clinic: Clinic, state: Current, key: str) -> bool:
    """Current + new password (twice); True once changed. Shared by first sign-in and account."""
    with st.form(key, clear_on_submit=True):
        old = st.text_input(_("Current password"), type="password", key=f"{key}.current")
        new = st.text_input(
            _("New password"),
            type="password",
            help=_("At least 12 characters; a passphrase of several words is best."),
            key=f"{key}.new",
        )
        again = st.text_input(_("Repeat new password"), type="password", key=f"{key}.again")
        pressed = st.form_submit_button(_("Change password"), type="primary")
    if not pressed:
        return False
    if new != again:
        st.error(_("The two new passwords differ."))
        return False
    try:
        signin.change_password(clinic.engine, state.user, old, new, _now(), keep_token=state.token)
    except AccountError as exc:
        st.error(literal(exc))
        return False
    return True


def new_recovery_codes_form(clinic: Clinic, user: User) -> None:
    """Make a new set of recovery codes, after the password is typed again: a session left
    open on another machine must not be enough to take over the second factor."""
    with st.form("recovery_codes", clear_on_submit=True):
        password = st.text_input(
            _("Current password"),
            type="password",
            key="recovery_codes.password",
            help=_("Asked again before new codes are made; the old ones stop working."),
        )
        pressed = st.form_submit_button(_("Make new recovery codes"))
    if not pressed:
        return
    try:
        codes = mfa.regenerate_recovery_codes(clinic.engine, user, password, _now())
    except AccountError as exc:
        st.error(literal(exc))
        return
    st.warning(_("Shown only now: save them away from this device. The old codes no longer work."))
    st.code("\n".join(codes), language=None)


def _forced_password_change(clinic: Clinic, state: Current) -> None:
    st.subheader(_("Choose your own password"))
    st.write(_("Your account was given a temporary password. Choose a new one to continue."))
    if password_change_form(clinic, state, "first_password"):
        st.rerun()


def _first_run(clinic: Clinic) -> None:
    st.subheader(_("First run: create the administrator"))
    st.write(
        _(
            "No account exists yet. Enter the setup code printed on the server console (or run "
            "`python -m clinic setup-code`), then choose the administrator's username and "
            "password."
        )
    )
    with st.form("first_run"):
        code = st.text_input(_("Setup code"), key="first_run.code")
        username = st.text_input(_("Username"), key="first_run.username")
        name = st.text_input(_("Your name"), key="first_run.name")
        password = st.text_input(_("Password"), type="password", key="first_run.password")
        again = st.text_input(_("Repeat password"), type="password", key="first_run.again")
        pressed = st.form_submit_button(_("Create administrator"), type="primary")
    if not pressed:
        return
    if password != again:
        st.error(_("The two passwords differ."))
        return
    try:
        setup.create_first_admin(clinic.engine, code, username, name, password, _now())
    except AccountError as exc:
        st.error(literal(exc))
        return
    st.session_state[NOTICE] = ADMIN_CREATED
    st.rerun()
