"""What the server says over HTTP besides Streamlit's own answers: security headers, the
endpoints strangers may not read, and the session cookie set by the server, so that it can be
HttpOnly (no script can read it) and Secure over TLS.

A page script cannot set such a cookie: it runs behind a websocket. So, once both factors are
passed, the script offers the session token here under a one-time handoff code and the page
posts that code to `HANDOFF_PATH`; the answer sets the cookie. The code is random, lives for a
minute and works once; the token itself never reaches the page.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

COOKIE = "clinic_session"
HANDOFF_PATH = "/_clinic/session"
HANDOFF_SECONDS = 60
MAX_BODY = 128
BLOCKED_PATHS = ("/_stcore/metrics", "/_stcore/agent")
"""Streamlit's metrics name the app's cached functions and count its sessions, and its agent
API (off in config.toml) would describe itself: neither is for strangers. The rest of
`/_stcore/` is what the page itself needs."""

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        # Streamlit's index.html and st.html scripts are inline; nothing is loaded from elsewhere.
        "script-src 'self' 'unsafe-inline'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "frame-src 'self' blob: data:",
        "worker-src 'self' blob:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'self'",  # Streamlit frames its own pages (components)
    ]
)
SECURITY_HEADERS = {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "x-frame-options": "SAMEORIGIN",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "permissions-policy": "camera=(), microphone=(), geolocation=(), payment=()",
}


@dataclass(frozen=True)
class _Offer:
    token: str
    expires: float


_offers: dict[str, _Offer] = {}
_lock = threading.Lock()


def offer(token: str) -> str:
    """A one-time code the page exchanges for the session cookie (called by the script)."""
    code = secrets.token_urlsafe(32)
    now = time.monotonic()
    with _lock:
        for stale in [c for c, o in _offers.items() if o.expires < now]:
            del _offers[stale]
        _offers[code] = _Offer(token, now + HANDOFF_SECONDS)
    return code


def _take(code: str) -> _Offer | None:
    with _lock:
        found = _offers.pop(code, None)
    return found if found is not None and found.expires >= time.monotonic() else None


def session_cookie(token: str, secure: bool) -> str:
    """The Set-Cookie value: HttpOnly always, Secure whenever the page came over TLS; no
    Max-Age, so closing the browser forgets it (the server's limits end the session anyway)."""
    parts = [f"{COOKIE}={token}", "Path=/", "HttpOnly", "SameSite=Strict"]
    if secure:
        parts.append("Secure")
    return "; ".join(parts)


async def handoff(request: Request) -> Response:
    """POST the one-time code as the body; 204 with the cookie, or 403."""
    if request.headers.get("origin") != f"{request.url.scheme}://{request.url.netloc}":
        return Response(status_code=403)  # browsers send Origin with every POST
    body = b""
    async for chunk in request.stream():  # a code is 43 characters: read no further than that
        body += chunk
        if len(body) > MAX_BODY:
            return Response(status_code=413)
    found = _take(body.decode("ascii", "replace").strip())
    if found is None:
        return Response(status_code=403)
    response = Response(status_code=204, headers={"cache-control": "no-store"})
    response.headers["set-cookie"] = session_cookie(found.token, request.url.scheme == "https")
    return response


class SecurityHeaders:
    """ASGI middleware: the security headers on every HTTP answer, HSTS over TLS, and 404 for
    the paths in `BLOCKED_PATHS`."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["path"].startswith(BLOCKED_PATHS):
            await Response(status_code=404)(scope, receive, send)
            return
        tls = scope.get("scheme") == "https"

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [
                    (k, v)
                    for k, v in message.get("headers", [])
                    if k.decode("latin-1").lower() not in SECURITY_HEADERS
                ]
                headers += [(k.encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]
                if tls:
                    headers.append((b"strict-transport-security", b"max-age=31536000"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)
