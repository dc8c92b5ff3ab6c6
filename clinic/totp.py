"""Time-based one-time codes (RFC 6238 via pyotp): 6 digits, 30 s, one step of clock drift."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from datetime import datetime

import pyotp

DIGITS = 6
INTERVAL = 30
DRIFT_STEPS = 1
ISSUER = "Clinic risk dashboard"


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(secret: str, username: str) -> str:
    """The otpauth:// URI an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret, digits=DIGITS, interval=INTERVAL).provisioning_uri(
        name=username, issuer_name=ISSUER
    )


def matching_step(
    secret: str, code: str, at: datetime, digits: int = DIGITS, digest: Callable = hashlib.sha1
) -> int | None:
    """The time step whose code equals `code` (now, or one step either side), else None.

    Returning the step, not a yes/no, is what lets the caller refuse a code used before.
    """
    code = code.replace(" ", "")
    if len(code) != digits or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret, digits=digits, interval=INTERVAL, digest=digest)
    now_step = totp.timecode(at)
    for step in range(now_step - DRIFT_STEPS, now_step + DRIFT_STEPS + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None
