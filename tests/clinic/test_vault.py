"""Encryption, tamper detection, the blind index and key handling, with the real crypto."""

from __future__ import annotations

import dataclasses
import json

import pytest

from clinic import runtime
from clinic.identity import (
    mask_name,
    mask_national_id,
    national_id_problem,
    normalise_national_id,
)
from clinic.vault import (
    DecryptionFailed,
    KeyConfigError,
    KeyMismatch,
    KeyMissing,
    Vault,
    generate_keyring,
    parse_keyring,
    read_key_file,
    write_key_file,
)

NAME = "María José Ñúñez-O'Brien"


@pytest.fixture
def vault() -> Vault:
    return Vault(generate_keyring())


def test_round_trip_keeps_unicode_exactly(vault: Vault) -> None:
    blob = vault.encrypt(NAME, "patients.full_name:1")
    assert NAME.encode() not in blob
    assert vault.decrypt(blob, "patients.full_name:1") == NAME


def test_same_plaintext_encrypts_differently(vault: Vault) -> None:
    assert vault.encrypt(NAME, "c") != vault.encrypt(NAME, "c")


@pytest.mark.parametrize("position", [0, 1, 5, 20, -1])
def test_any_altered_byte_is_refused(vault: Vault, position: int) -> None:
    blob = bytearray(vault.encrypt(NAME, "c"))
    blob[position] ^= 0x01
    with pytest.raises((DecryptionFailed, KeyMissing)):
        vault.decrypt(bytes(blob), "c")


def test_ciphertext_moved_to_another_row_is_refused(vault: Vault) -> None:
    blob = vault.encrypt(NAME, "patients.full_name:row-1")
    with pytest.raises(DecryptionFailed):
        vault.decrypt(blob, "patients.full_name:row-2")


@pytest.mark.parametrize("blob", [b"", b"\x01", b"\x02\x02k1" + bytes(40), b"\x01\x02k1short"])
def test_garbage_is_refused(vault: Vault, blob: bytes) -> None:
    with pytest.raises(DecryptionFailed):
        vault.decrypt(blob, "c")


def test_old_key_still_decrypts_after_a_new_key_becomes_active() -> None:
    old = generate_keyring()
    old_blob = Vault(old).encrypt(NAME, "c")
    new = generate_keyring()
    both = dataclasses.replace(
        new, data_keys={**new.data_keys, **old.data_keys}, index_key=old.index_key
    )
    rotated = Vault(both)
    assert rotated.decrypt(old_blob, "c") == NAME
    assert rotated.encrypt(NAME, "c")[2 : 2 + len(new.active)] == new.active.encode()
    with pytest.raises(KeyMissing):
        Vault(new).decrypt(old_blob, "c")


@pytest.mark.parametrize("typed", ["1.234.567-8", "12345678", " 1 234 567 8 ", "1234.5678"])
def test_blind_index_matches_however_the_id_is_punctuated(vault: Vault, typed: str) -> None:
    assert normalise_national_id(typed.strip()) == "12345678"
    assert vault.blind_index(normalise_national_id(typed.strip())) == vault.blind_index("12345678")


@pytest.mark.parametrize(
    ("cedula", "digits"),
    [("1.023.456.789", "1023456789"), ("79.123.456", "79123456"), ("1 023 456 789", "1023456789")],
)
def test_colombian_cedulas_are_accepted_as_written(vault: Vault, cedula: str, digits: str) -> None:
    """Cédulas are usually written with dots between thousands: the same person either way."""
    assert national_id_problem(cedula) is None
    assert normalise_national_id(cedula) == digits
    assert mask_national_id(cedula) == "••••" + digits[-4:]
    assert vault.blind_index(normalise_national_id(cedula)) == vault.blind_index(digits)


def test_blind_index_differs_between_ids_and_keys(vault: Vault) -> None:
    assert vault.blind_index("12345678") != vault.blind_index("12345679")
    assert vault.blind_index("12345678") != Vault(generate_keyring()).blind_index("12345678")


def test_masks_show_initials_and_last_four_only() -> None:
    assert mask_name("María José Ñúñez") == "M. J. Ñ."
    assert mask_national_id("1.234.567-8") == "••••5678"


def test_settings_round_trip_through_environment_format() -> None:
    keyring = generate_keyring()
    settings = keyring.to_settings()
    again = parse_keyring(settings["CLINIC_ENCRYPTION_KEYS"], settings["CLINIC_INDEX_KEY"])
    assert again == keyring


@pytest.mark.parametrize(
    ("keys", "index", "message"),
    [
        ("k1:not base64!!", "A" * 44, "not valid base64"),
        ("k1:" + "A" * 8, "A" * 44, "must be 32 bytes"),
        ("nocolon", "A" * 44, "must look like"),
        ("k1:" + "A" * 44, None, "CLINIC_INDEX_KEY is not"),
        ("", "A" * 44, "names no key"),
    ],
)
def test_malformed_key_settings_are_named(keys: str, index: str | None, message: str) -> None:
    with pytest.raises(KeyConfigError, match=message):
        parse_keyring(keys, index)


def test_key_file_is_private_and_never_overwritten(tmp_path) -> None:
    path = tmp_path / "keys.json"
    keyring = generate_keyring()
    write_key_file(path, keyring)
    assert path.stat().st_mode & 0o777 == 0o600
    assert read_key_file(path) == keyring
    with pytest.raises(FileExistsError):
        write_key_file(path, generate_keyring())
    path.chmod(0o644)
    with pytest.raises(KeyConfigError, match="chmod 600"):
        read_key_file(path)


def test_replacing_the_key_file_keeps_it_private_and_whole(tmp_path) -> None:
    """Rotation's rewrite: the new keys replace the old file in one rename, still 0600."""
    path = tmp_path / "keys.json"
    write_key_file(path, generate_keyring())
    rotated = generate_keyring()
    write_key_file(path, rotated, replace=True)
    assert read_key_file(path) == rotated
    assert path.stat().st_mode & 0o777 == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keys.json"]


def test_fresh_install_generates_keys_once(config) -> None:
    first = runtime.start(config)
    assert first.key_notice and str(config.key_file) in first.key_notice
    second = runtime.start(config)
    assert second.key_notice is None
    blob = first.vault.encrypt(NAME, "c")
    assert second.vault.decrypt(blob, "c") == NAME


def test_lost_key_file_is_a_startup_error_not_new_keys(config) -> None:
    runtime.start(config)
    config.key_file.unlink()
    with pytest.raises(KeyMissing, match="CLINIC_ENCRYPTION_KEYS"):
        runtime.start(config)
    assert not config.key_file.exists()


def test_wrong_key_is_a_startup_error(config) -> None:
    runtime.start(config)
    stored = json.loads(config.key_file.read_text())
    kid = stored["CLINIC_ENCRYPTION_KEYS"].split(":")[0]
    impostor = generate_keyring().to_settings()
    wrong = dataclasses.replace(
        config,
        encryption_keys=f"{kid}:{impostor['CLINIC_ENCRYPTION_KEYS'].split(':')[1]}",
        index_key=stored["CLINIC_INDEX_KEY"],
    )
    with pytest.raises(KeyMismatch, match=kid):
        runtime.start(wrong)


def test_keys_from_settings_must_include_every_key_in_use(config) -> None:
    runtime.start(config)
    other = generate_keyring().to_settings()
    elsewhere = dataclasses.replace(
        config,
        encryption_keys=other["CLINIC_ENCRYPTION_KEYS"],
        index_key=other["CLINIC_INDEX_KEY"],
    )
    with pytest.raises((KeyMissing, KeyMismatch)):
        runtime.start(elsewhere)
