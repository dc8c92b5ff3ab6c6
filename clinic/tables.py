"""The database tables, as SQLAlchemy Core metadata (Alembic migrations create them)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Table,
    TypeDecorator,
)


class UTCDateTime(TypeDecorator):
    """A timestamp that is always an aware UTC datetime in Python, whatever the backend returns
    (SQLite hands back naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime given; use datetime.now(UTC)")
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# SQLite only autoincrements INTEGER PRIMARY KEY; PostgreSQL gets a 64-bit identity.
RecordId = BigInteger().with_variant(Integer(), "sqlite")

patients = Table(
    "patients",
    metadata,
    Column("id", String(36), primary_key=True, comment="random UUID, bound into the ciphertexts"),
    Column(
        "national_id_index",
        String(64),
        nullable=False,
        unique=True,
        comment="HMAC-SHA256 blind index of the normalised national ID",
    ),
    Column("full_name_enc", LargeBinary, nullable=False),
    Column("national_id_enc", LargeBinary, nullable=False),
    Column("name_masked", String(64), nullable=False),
    Column("national_id_masked", String(32), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
)

patient_names = Table(
    "patient_names",
    metadata,
    Column("id", String(36), primary_key=True, comment="random UUID, bound into the ciphertext"),
    Column("patient_id", String(36), ForeignKey("patients.id"), nullable=False),
    Column("full_name_enc", LargeBinary, nullable=False),
    Column("name_masked", String(64), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("created_by", String(64), nullable=False),
    Index("ix_patient_names_patient_id", "patient_id"),
    comment="each later, different name typed for a patient's ID (the patient row keeps the "
    "first, never overwritten): append-only",
)

predictions = Table(
    "predictions",
    metadata,
    Column("id", RecordId, primary_key=True, autoincrement=True),
    Column("patient_id", String(36), ForeignKey("patients.id"), nullable=False),
    Column(
        "name_id",
        String(36),
        ForeignKey("patient_names.id"),
        nullable=True,
        comment="the name typed with this record; NULL: the one on the patient row",
    ),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("created_by", String(64), nullable=False),
    Column("model_name", String(128), nullable=False),
    Column("model_version", String(32), nullable=False),
    Column("threshold", Float, nullable=False),
    Column("probability", Float, nullable=False),
    Column("infected", Boolean, nullable=False),
    Column("risk_band", String(16), nullable=False),
    Column("measurements", JSON, nullable=False),
    Column(
        "source",
        String(16),
        nullable=False,
        server_default="form",
        comment="how it was entered: form, batch or demo (demo-data refuses if others exist)",
    ),
    Column(
        "explanation",
        JSON,
        nullable=True,
        comment="base rate and per-field contributions (model_store.explain); none for demo",
    ),
    Column("challenger_version", String(32), nullable=True, comment="shadow model, if one was set"),
    Column("challenger_probability", Float, nullable=True, comment="never shown as the answer"),
    Column("challenger_infected", Boolean, nullable=True),
    Column("batch_id", String(36), nullable=True, comment="the upload that stored it (batch)"),
    Column(
        "batch_key",
        String(64),
        nullable=True,
        comment="keyed digest of patient and measurements: one upload stored twice is stored once",
    ),
    Index("ix_predictions_patient_created", "patient_id", "created_at"),
    Index("ix_predictions_created_at", "created_at"),
    Index("ix_predictions_created_by_created_at", "created_by", "created_at"),
    Index("ix_predictions_probability", "probability"),
    Index("ix_predictions_created_by_probability", "created_by", "probability"),
    Index("ix_predictions_challenger_version", "challenger_version"),
    Index("ix_predictions_batch_id", "batch_id"),
    Index("ix_predictions_batch_key", "batch_key", unique=True),
)

prediction_counts = Table(
    "prediction_counts",
    metadata,
    Column("day", Date, primary_key=True, comment="UTC day of the predictions counted"),
    Column("model_version", String(32), primary_key=True),
    Column("risk_band", String(16), primary_key=True),
    Column("infected", Boolean, primary_key=True),
    Column("created_by", String(64), primary_key=True),
    Column("n", BigInteger, nullable=False),
    comment="daily tallies of predictions, kept in the transaction that stores each one",
    # Key order = the history's GROUP BY; without rowid SQLite stores rows in that order.
    sqlite_with_rowid=False,
)

input_counts = Table(
    "input_counts",
    metadata,
    Column("day", Date, primary_key=True, comment="UTC day of the predictions counted"),
    Column("field", String(16), primary_key=True, comment="schema field code"),
    Column(
        "bin",
        SmallInteger,
        primary_key=True,
        comment="model_store.reference bin: 1..n in the training range, 0 below, 99 above",
    ),
    Column("n", BigInteger, nullable=False),
    comment="daily tallies of the inputs' bins, for drift; kept with each prediction",
    sqlite_with_rowid=False,
)

vault_keys = Table(
    "vault_keys",
    metadata,
    Column("kid", String(32), primary_key=True),
    Column("purpose", String(16), nullable=False, comment="'data' (AES-GCM) or 'index' (HMAC)"),
    Column(
        "check_value",
        String(64),
        nullable=False,
        comment="HMAC of a constant under the key: proves the configured key is the same",
    ),
    Column("created_at", UTCDateTime(), nullable=False),
)

audit_events = Table(
    "audit_events",
    metadata,
    Column("id", RecordId, primary_key=True, autoincrement=False),
    Column("at", UTCDateTime(), nullable=False),
    Column("actor", String(64), nullable=False),
    Column("action", String(48), nullable=False),
    Column("target", String(64), nullable=True, comment="a record id, never an identifier"),
    Column("details", JSON, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    Index("ix_audit_events_at", "at"),
    Index("ix_audit_events_actor_at", "actor", "at"),
    Index("ix_audit_events_action_at", "action", "at"),
)

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("display_name", String(120), nullable=False),
    Column("role", String(16), nullable=False),
    Column("password_hash", String(100), nullable=False, comment="bcrypt"),
    Column("must_change_password", Boolean, nullable=False),
    Column("totp_secret_enc", LargeBinary, nullable=True, comment="vault-encrypted base32 key"),
    Column("totp_enrolled_at", UTCDateTime(), nullable=True),
    Column("last_totp_step", BigInteger, nullable=True, comment="refuses a replayed code"),
    Column("failed_attempts", Integer, nullable=False),
    Column("locked_until", UTCDateTime(), nullable=True),
    Column("disabled_at", UTCDateTime(), nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Column(
        "language",
        String(8),
        nullable=True,
        comment="interface language chosen on the account page; NULL: CLINIC_LANGUAGE",
    ),
)

recovery_codes = Table(
    "recovery_codes",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("code_hash", String(64), nullable=False),
    Column("used_at", UTCDateTime(), nullable=True),
    Index("ix_recovery_codes_user_id", "user_id"),
)

sessions = Table(
    "sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True, comment="SHA-256 of the browser's token"),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("mfa_verified", Boolean, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("last_seen_at", UTCDateTime(), nullable=False),
    Column("ended_at", UTCDateTime(), nullable=True),
    Column("end_reason", String(32), nullable=True),
    Index("ix_sessions_user_id", "user_id"),
)

setup_codes = Table(
    "setup_codes",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("code_hash", String(64), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("used_at", UTCDateTime(), nullable=True),
)
