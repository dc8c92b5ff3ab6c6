"""Encryption of patient identifiers, the blind index used to find them, and the keys for both.

Ciphertext layout (bytes): version 0x01 | key-id length | key id (ASCII) | 12-byte nonce |
AES-256-GCM ciphertext and tag. The key id lets keys rotate; the associated data (table, column,
row id) binds a ciphertext to its place, so one copied into another row or column fails to decrypt.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

VERSION = 1
KEY_BYTES = 32
NONCE_BYTES = 12
INDEX_KID = "index"
_CHECK_MESSAGE = b"clinic key check v1"


class VaultError(Exception):
    """Base class: every vault failure is a named, catchable error, never garbage plaintext."""


class KeyConfigError(VaultError):
    """Key material is malformed, incomplete or stored unsafely."""


class KeyMissing(VaultError):
    """Data was written with a key that is not configured now."""


class KeyMismatch(VaultError):
    """A configured key has the id of a key the database knows, but is not that key."""


class DecryptionFailed(VaultError):
    """The ciphertext was altered, moved to another place, or is not a vault ciphertext."""


@dataclass(frozen=True)
class Keyring:
    """Data keys by id (the first is the one new ciphertexts use) and the blind-index key."""

    data_keys: Mapping[str, bytes]
    active: str
    index_key: bytes

    def check_values(self) -> dict[str, tuple[str, str]]:
        """kid -> (purpose, check value): what the database remembers about each key."""
        values = {kid: ("data", _check(key)) for kid, key in self.data_keys.items()}
        values[INDEX_KID] = ("index", _check(self.index_key))
        return values

    def to_settings(self) -> dict[str, str]:
        """The two settings (`CLINIC_ENCRYPTION_KEYS`, `CLINIC_INDEX_KEY`) that recreate this."""
        ordered = [self.active, *(k for k in self.data_keys if k != self.active)]
        return {
            "CLINIC_ENCRYPTION_KEYS": ",".join(f"{k}:{_b64(self.data_keys[k])}" for k in ordered),
            "CLINIC_INDEX_KEY": _b64(self.index_key),
        }


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode()


def _unb64(text: str, what: str) -> bytes:
    try:
        raw = base64.urlsafe_b64decode(text.strip())
    except (binascii.Error, ValueError) as exc:
        raise KeyConfigError(f"{what} is not valid base64.") from exc
    if len(raw) != KEY_BYTES:
        raise KeyConfigError(f"{what} must be {KEY_BYTES} bytes; it is {len(raw)}.")
    return raw


def _check(key: bytes) -> str:
    return hmac.new(key, _CHECK_MESSAGE, hashlib.sha256).hexdigest()


def parse_keyring(encryption_keys: str, index_key: str | None) -> Keyring:
    """Parse `kid:base64key,kid:base64key` (first one active) and the base64 index key."""
    if not index_key:
        raise KeyConfigError("CLINIC_ENCRYPTION_KEYS is set but CLINIC_INDEX_KEY is not.")
    keys: dict[str, bytes] = {}
    for item in filter(None, (part.strip() for part in encryption_keys.split(","))):
        kid, sep, material = item.partition(":")
        if not sep or not kid.isalnum() or len(kid) > 32 or kid == INDEX_KID:
            raise KeyConfigError(
                "CLINIC_ENCRYPTION_KEYS must look like 'k1:<base64 key>,k0:<base64 key>'."
            )
        keys[kid] = _unb64(material, f"Encryption key {kid!r}")
    if not keys:
        raise KeyConfigError("CLINIC_ENCRYPTION_KEYS names no key.")
    return Keyring(keys, next(iter(keys)), _unb64(index_key, "CLINIC_INDEX_KEY"))


def generate_keyring() -> Keyring:
    kid = f"k{secrets.token_hex(4)}"
    return Keyring({kid: AESGCM.generate_key(bit_length=256)}, kid, secrets.token_bytes(KEY_BYTES))


def read_key_file(path: Path) -> Keyring:
    """Keys generated on a laptop install; refused when others can read the file."""
    if path.stat().st_mode & 0o077:
        raise KeyConfigError(f"Key file {path} is readable by other users: run `chmod 600 {path}`.")
    try:
        stored = json.loads(path.read_text())
        return parse_keyring(stored["CLINIC_ENCRYPTION_KEYS"], stored["CLINIC_INDEX_KEY"])
    except (ValueError, KeyError, TypeError) as exc:
        raise KeyConfigError(f"Key file {path} is damaged.") from exc


def write_key_file(path: Path, keyring: Keyring, *, replace: bool = False) -> None:
    """Write the key file with mode 0600, synced to disk. A new one never overwrites a file
    (that would orphan the data); `replace` (rotation) writes a whole new file beside it and
    renames it over the old, so a crash leaves one complete file or the other."""
    target = path.with_suffix(".tmp") if replace else path
    flags = os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if replace else os.O_EXCL)
    fd = os.open(target, flags, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(keyring.to_settings(), fh, indent=2)
        fh.flush()
        os.fsync(fh.fileno())
    if replace:
        target.replace(path)


class Vault:
    """Encrypts and decrypts identifiers and computes the blind index, with one keyring."""

    def __init__(self, keyring: Keyring) -> None:
        self._keyring = keyring
        self._ciphers = {kid: AESGCM(key) for kid, key in keyring.data_keys.items()}

    @property
    def active_kid(self) -> str:
        return self._keyring.active

    def encrypt(self, plaintext: str, context: str) -> bytes:
        kid = self._keyring.active
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._ciphers[kid].encrypt(nonce, plaintext.encode(), context.encode())
        return bytes([VERSION, len(kid)]) + kid.encode() + nonce + sealed

    def decrypt(self, blob: bytes, context: str) -> str:
        kid = key_id(blob)
        cipher = self._ciphers.get(kid)
        if cipher is None:
            raise KeyMissing(f"A record was encrypted with key {kid!r}, which is not configured.")
        start = 2 + len(kid)
        nonce, sealed = blob[start : start + NONCE_BYTES], blob[start + NONCE_BYTES :]
        try:
            return cipher.decrypt(nonce, sealed, context.encode()).decode()
        except InvalidTag as exc:
            raise DecryptionFailed("A ciphertext failed its integrity check.") from exc

    def blind_index(self, normalised_national_id: str) -> str:
        """HMAC-SHA256 of the normalised ID: equal IDs match without anyone decrypting."""
        message = normalised_national_id.encode()
        return hmac.new(self._keyring.index_key, message, hashlib.sha256).hexdigest()

    def fingerprint(self, purpose: str, text: str) -> str:
        """A keyed digest of `text` for `purpose` (e.g. spotting a row stored before): it
        matches equal inputs, and never a blind index, whose messages hold no NUL."""
        message = f"{purpose}\x00{text}".encode()
        return hmac.new(self._keyring.index_key, message, hashlib.sha256).hexdigest()


def key_id(blob: bytes) -> str:
    """The id of the key a ciphertext was made with."""
    if len(blob) < 2 or blob[0] != VERSION or len(blob) < 2 + blob[1] + NONCE_BYTES + 16:
        raise DecryptionFailed("Not a vault ciphertext (unknown version or truncated).")
    try:
        return blob[2 : 2 + blob[1]].decode("ascii")
    except UnicodeDecodeError as exc:
        raise DecryptionFailed("Not a vault ciphertext (bad key id).") from exc
