"""patients, predictions, audit events and vault keys

Revision ID: 0001
Revises: 
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('audit_events',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=False, nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=64), nullable=False),
    sa.Column('action', sa.String(length=48), nullable=False),
    sa.Column('target', sa.String(length=64), nullable=True, comment='a record id, never an identifier'),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_events'))
    )
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.create_index('ix_audit_events_action_at', ['action', 'at'], unique=False)
        batch_op.create_index('ix_audit_events_actor_at', ['actor', 'at'], unique=False)
        batch_op.create_index('ix_audit_events_at', ['at'], unique=False)

    op.create_table('patients',
    sa.Column('id', sa.String(length=36), nullable=False, comment='random UUID, bound into the ciphertexts'),
    sa.Column('national_id_index', sa.String(length=64), nullable=False, comment='HMAC-SHA256 blind index of the normalised national ID'),
    sa.Column('full_name_enc', sa.LargeBinary(), nullable=False),
    sa.Column('national_id_enc', sa.LargeBinary(), nullable=False),
    sa.Column('name_masked', sa.String(length=64), nullable=False),
    sa.Column('national_id_masked', sa.String(length=32), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_patients')),
    sa.UniqueConstraint('national_id_index', name=op.f('uq_patients_national_id_index'))
    )
    op.create_table('vault_keys',
    sa.Column('kid', sa.String(length=32), nullable=False),
    sa.Column('purpose', sa.String(length=16), nullable=False, comment="'data' (AES-GCM) or 'index' (HMAC)"),
    sa.Column('check_value', sa.String(length=64), nullable=False, comment='HMAC of a constant under the key: proves the configured key is the same'),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('kid', name=op.f('pk_vault_keys'))
    )
    op.create_table('predictions',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('patient_id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('model_name', sa.String(length=128), nullable=False),
    sa.Column('model_version', sa.String(length=32), nullable=False),
    sa.Column('threshold', sa.Float(), nullable=False),
    sa.Column('probability', sa.Float(), nullable=False),
    sa.Column('infected', sa.Boolean(), nullable=False),
    sa.Column('risk_band', sa.String(length=16), nullable=False),
    sa.Column('measurements', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_predictions_patient_id_patients')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_predictions'))
    )
    with op.batch_alter_table('predictions', schema=None) as batch_op:
        batch_op.create_index('ix_predictions_created_at', ['created_at'], unique=False)
        batch_op.create_index('ix_predictions_created_by_created_at', ['created_by', 'created_at'], unique=False)
        batch_op.create_index('ix_predictions_patient_created', ['patient_id', 'created_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('predictions', schema=None) as batch_op:
        batch_op.drop_index('ix_predictions_patient_created')
        batch_op.drop_index('ix_predictions_created_by_created_at')
        batch_op.drop_index('ix_predictions_created_at')

    op.drop_table('predictions')
    op.drop_table('vault_keys')
    op.drop_table('patients')
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_events_at')
        batch_op.drop_index('ix_audit_events_actor_at')
        batch_op.drop_index('ix_audit_events_action_at')

    op.drop_table('audit_events')
