"""Initial schema: issuers, staff and access, definitions, learners, credentials, outbox,
bulk imports and status lists.

Revision ID: 0001
Revises: (none)
Created: 2026-11-28 23:44:09.563692
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "issuers",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("slug", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column(
            "did_method",
            sa.Enum(
                "web",
                "key",
                name="did_method",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("did", sa.String(length=512), nullable=False),
        sa.Column("legal_name", sa.String(length=300), nullable=True),
        sa.Column("homepage", sa.String(length=2048), nullable=True),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("country_code", sa.String(length=2), nullable=True),
        sa.Column("region_code", sa.String(length=16), nullable=True),
        sa.Column("logo_uri", sa.Text(), nullable=True),
        sa.Column("registration_identifiers", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_issuers")),
        sa.UniqueConstraint("did", name=op.f("uq_issuers_did")),
        sa.UniqueConstraint("slug", name=op.f("uq_issuers_slug")),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=True),
        sa.Column("is_operator", sa.Boolean(), nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("email", name=op.f("uq_users_email")),
    )
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("issuer_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("token_hash", sa.String(length=128), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("scopes", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_api_tokens_created_by"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["issuer_id"], ["issuers.id"], name=op.f("fk_api_tokens_issuer_id"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_tokens_token_hash")),
    )
    op.create_index(op.f("ix_api_tokens_issuer_id"), "api_tokens", ["issuer_id"], unique=False)
    op.create_table(
        "definitions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("issuer_id", sa.Uuid(), nullable=False),
        sa.Column("slug", sa.String(length=100), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "draft",
                "in_review",
                "published",
                "retired",
                name="definition_state",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("latest_version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["issuer_id"], ["issuers.id"], name=op.f("fk_definitions_issuer_id"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_definitions")),
        sa.UniqueConstraint("id", "issuer_id", name=op.f("uq_definitions_id_issuer_id")),
        sa.UniqueConstraint("issuer_id", "slug", name=op.f("uq_definitions_issuer_id_slug")),
    )
    op.create_table(
        "issuer_keys",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("issuer_id", sa.Uuid(), nullable=False),
        sa.Column("key_store_id", sa.String(length=200), nullable=False),
        sa.Column("public_key_multibase", sa.String(length=128), nullable=False),
        sa.Column("verification_method", sa.String(length=700), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "active",
                "rotated",
                name="key_status",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("rotated_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["issuer_id"], ["issuers.id"], name=op.f("fk_issuer_keys_issuer_id"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_issuer_keys")),
        sa.UniqueConstraint("key_store_id", name=op.f("uq_issuer_keys_key_store_id")),
        sa.UniqueConstraint("verification_method", name=op.f("uq_issuer_keys_verification_method")),
    )
    op.create_index(op.f("ix_issuer_keys_issuer_id"), "issuer_keys", ["issuer_id"], unique=False)
    op.create_index(
        "uq_issuer_keys_one_active",
        "issuer_keys",
        ["issuer_id"],
        unique=True,
        sqlite_where=sa.text("status = 'active'"),
        postgresql_where=sa.text("status = 'active'"),
    )
    op.create_table(
        "learners",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("issuer_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("did", sa.String(length=512), nullable=True),
        sa.Column("external_id", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["issuer_id"], ["issuers.id"], name=op.f("fk_learners_issuer_id"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_learners")),
        sa.UniqueConstraint("id", "issuer_id", name=op.f("uq_learners_id_issuer_id")),
        sa.UniqueConstraint(
            "issuer_id", "external_id", name=op.f("uq_learners_issuer_id_external_id")
        ),
    )
    op.create_index(
        op.f("ix_learners_issuer_id_email"), "learners", ["issuer_id", "email"], unique=False
    )
    op.create_table(
        "memberships",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("issuer_id", sa.Uuid(), nullable=False),
        sa.Column(
            "role",
            sa.Enum(
                "admin",
                "designer",
                "registrar",
                "viewer",
                name="role",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["issuer_id"], ["issuers.id"], name=op.f("fk_memberships_issuer_id"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_memberships_user_id"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", "issuer_id", name=op.f("pk_memberships")),
    )
    op.create_index(op.f("ix_memberships_issuer_id"), "memberships", ["issuer_id"], unique=False)
    op.create_table(
        "outbox_messages",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("to_address", sa.String(length=320), nullable=False),
        sa.Column("subject", sa.String(length=500), nullable=False),
        sa.Column("body_text", sa.Text(), nullable=False),
        sa.Column("body_html", sa.Text(), nullable=True),
        sa.Column("issuer_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["issuer_id"],
            ["issuers.id"],
            name=op.f("fk_outbox_messages_issuer_id"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_messages")),
    )
    op.create_index(
        op.f("ix_outbox_messages_issuer_id"), "outbox_messages", ["issuer_id"], unique=False
    )
    op.create_index(
        op.f("ix_outbox_messages_sent_at_created_at"),
        "outbox_messages",
        ["sent_at", "created_at"],
        unique=False,
    )
    op.create_table(
        "sessions",
        sa.Column("id_hash", sa.String(length=128), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_sessions_user_id"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id_hash", name=op.f("pk_sessions")),
    )
    op.create_index(op.f("ix_sessions_expires_at"), "sessions", ["expires_at"], unique=False)
    op.create_index(op.f("ix_sessions_user_id"), "sessions", ["user_id"], unique=False)
    op.create_table(
        "status_lists",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("issuer_id", sa.Uuid(), nullable=False),
        sa.Column(
            "purpose",
            sa.Enum(
                "revocation",
                "suspension",
                name="status_purpose",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("bitstring", sa.LargeBinary(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("credential", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("etag", sa.String(length=100), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("size > 0", name=op.f("ck_status_lists_positive_size")),
        sa.ForeignKeyConstraint(
            ["issuer_id"],
            ["issuers.id"],
            name=op.f("fk_status_lists_issuer_id"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_status_lists")),
    )
    op.create_index(
        op.f("ix_status_lists_issuer_id_purpose"),
        "status_lists",
        ["issuer_id", "purpose"],
        unique=False,
    )
    op.create_table(
        "audit_log",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("action", sa.String(length=100), nullable=False),
        sa.Column("issuer_id", sa.Uuid(), nullable=True),
        sa.Column("actor_user_id", sa.Uuid(), nullable=True),
        sa.Column("actor_token_id", sa.Uuid(), nullable=True),
        sa.Column("target_type", sa.String(length=50), nullable=True),
        sa.Column("target_id", sa.String(length=200), nullable=True),
        sa.Column("ip", sa.String(length=45), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_token_id"],
            ["api_tokens.id"],
            name=op.f("fk_audit_log_actor_token_id"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["actor_user_id"],
            ["users.id"],
            name=op.f("fk_audit_log_actor_user_id"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["issuer_id"], ["issuers.id"], name=op.f("fk_audit_log_issuer_id"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    op.create_index(
        op.f("ix_audit_log_issuer_id_at"), "audit_log", ["issuer_id", "at"], unique=False
    )
    op.create_table(
        "definition_versions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("definition_id", sa.Uuid(), nullable=False),
        sa.Column("issuer_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("achievement", sa.JSON(), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "draft",
                "in_review",
                "published",
                "retired",
                name="version_state",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("published_by", sa.Uuid(), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["users.id"],
            name=op.f("fk_definition_versions_created_by"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["definition_id", "issuer_id"],
            ["definitions.id", "definitions.issuer_id"],
            name=op.f("fk_definition_versions_definition_id"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["issuer_id"],
            ["issuers.id"],
            name=op.f("fk_definition_versions_issuer_id"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["published_by"],
            ["users.id"],
            name=op.f("fk_definition_versions_published_by"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_definition_versions")),
        sa.UniqueConstraint(
            "definition_id", "version", name=op.f("uq_definition_versions_definition_id_version")
        ),
        sa.UniqueConstraint("id", "issuer_id", name=op.f("uq_definition_versions_id_issuer_id")),
    )
    op.create_table(
        "credentials",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("issuer_id", sa.Uuid(), nullable=False),
        sa.Column("definition_version_id", sa.Uuid(), nullable=False),
        sa.Column("learner_id", sa.Uuid(), nullable=False),
        sa.Column("credential_uri", sa.String(length=200), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "issued",
                "claimed",
                "revoked",
                "suspended",
                name="credential_state",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=True),
        sa.Column("request_digest", sa.String(length=128), nullable=True),
        sa.Column("claim_token_hash", sa.String(length=128), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("state_reason", sa.String(length=1000), nullable=True),
        sa.Column("state_changed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("replaced_by_id", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["definition_version_id", "issuer_id"],
            ["definition_versions.id", "definition_versions.issuer_id"],
            name=op.f("fk_credentials_definition_version_id"),
        ),
        sa.ForeignKeyConstraint(
            ["issuer_id"], ["issuers.id"], name=op.f("fk_credentials_issuer_id"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["learner_id", "issuer_id"],
            ["learners.id", "learners.issuer_id"],
            name=op.f("fk_credentials_learner_id"),
        ),
        sa.ForeignKeyConstraint(
            ["replaced_by_id"],
            ["credentials.id"],
            name=op.f("fk_credentials_replaced_by_id"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credentials")),
        sa.UniqueConstraint("claim_token_hash", name=op.f("uq_credentials_claim_token_hash")),
        sa.UniqueConstraint("credential_uri", name=op.f("uq_credentials_credential_uri")),
        sa.UniqueConstraint("id", "issuer_id", name=op.f("uq_credentials_id_issuer_id")),
        sa.UniqueConstraint(
            "issuer_id", "idempotency_key", name=op.f("uq_credentials_issuer_id_idempotency_key")
        ),
    )
    op.create_index(
        op.f("ix_credentials_definition_version_id"),
        "credentials",
        ["definition_version_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_credentials_issuer_id_issued_at"),
        "credentials",
        ["issuer_id", "issued_at"],
        unique=False,
    )
    op.create_index(op.f("ix_credentials_learner_id"), "credentials", ["learner_id"], unique=False)
    op.create_table(
        "import_jobs",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("issuer_id", sa.Uuid(), nullable=False),
        sa.Column("definition_version_id", sa.Uuid(), nullable=False),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("column_mapping", sa.JSON(), nullable=False),
        sa.Column("file_sha256", sa.String(length=64), nullable=True),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "created",
                "running",
                "completed",
                "failed",
                "cancelled",
                name="import_job_state",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("total_rows", sa.Integer(), nullable=False),
        sa.Column("pending_rows", sa.Integer(), nullable=False),
        sa.Column("issued_rows", sa.Integer(), nullable=False),
        sa.Column("failed_rows", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["users.id"],
            name=op.f("fk_import_jobs_created_by"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["definition_version_id", "issuer_id"],
            ["definition_versions.id", "definition_versions.issuer_id"],
            name=op.f("fk_import_jobs_definition_version_id"),
        ),
        sa.ForeignKeyConstraint(
            ["issuer_id"], ["issuers.id"], name=op.f("fk_import_jobs_issuer_id"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_jobs")),
    )
    op.create_index(
        op.f("ix_import_jobs_issuer_id_created_at"),
        "import_jobs",
        ["issuer_id", "created_at"],
        unique=False,
    )
    op.create_table(
        "import_rows",
        sa.Column("job_id", sa.Uuid(), nullable=False),
        sa.Column("row_number", sa.Integer(), nullable=False),
        sa.Column("raw", sa.JSON(), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "pending",
                "issued",
                "failed",
                name="import_row_state",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("credential_id", sa.Uuid(), nullable=True),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["credential_id"],
            ["credentials.id"],
            name=op.f("fk_import_rows_credential_id"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["job_id"], ["import_jobs.id"], name=op.f("fk_import_rows_job_id"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("job_id", "row_number", name=op.f("pk_import_rows")),
    )
    op.create_index(
        op.f("ix_import_rows_job_id_state_row_number"),
        "import_rows",
        ["job_id", "state", "row_number"],
        unique=False,
    )
    op.create_table(
        "status_entries",
        sa.Column("status_list_id", sa.Uuid(), nullable=False),
        sa.Column("status_index", sa.Integer(), nullable=False),
        sa.Column("credential_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("status_index >= 0", name=op.f("ck_status_entries_non_negative_index")),
        sa.ForeignKeyConstraint(
            ["credential_id"],
            ["credentials.id"],
            name=op.f("fk_status_entries_credential_id"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["status_list_id"],
            ["status_lists.id"],
            name=op.f("fk_status_entries_status_list_id"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("status_list_id", "status_index", name=op.f("pk_status_entries")),
        sa.UniqueConstraint(
            "status_list_id",
            "credential_id",
            name=op.f("uq_status_entries_status_list_id_credential_id"),
        ),
    )
    op.create_index(
        op.f("ix_status_entries_credential_id"), "status_entries", ["credential_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_status_entries_credential_id"), table_name="status_entries")
    op.drop_table("status_entries")
    op.drop_index(op.f("ix_import_rows_job_id_state_row_number"), table_name="import_rows")
    op.drop_table("import_rows")
    op.drop_index(op.f("ix_import_jobs_issuer_id_created_at"), table_name="import_jobs")
    op.drop_table("import_jobs")
    op.drop_index(op.f("ix_credentials_learner_id"), table_name="credentials")
    op.drop_index(op.f("ix_credentials_issuer_id_issued_at"), table_name="credentials")
    op.drop_index(op.f("ix_credentials_definition_version_id"), table_name="credentials")
    op.drop_table("credentials")
    op.drop_table("definition_versions")
    op.drop_index(op.f("ix_audit_log_issuer_id_at"), table_name="audit_log")
    op.drop_table("audit_log")
    op.drop_index(op.f("ix_status_lists_issuer_id_purpose"), table_name="status_lists")
    op.drop_table("status_lists")
    op.drop_index(op.f("ix_sessions_user_id"), table_name="sessions")
    op.drop_index(op.f("ix_sessions_expires_at"), table_name="sessions")
    op.drop_table("sessions")
    op.drop_index(op.f("ix_outbox_messages_sent_at_created_at"), table_name="outbox_messages")
    op.drop_index(op.f("ix_outbox_messages_issuer_id"), table_name="outbox_messages")
    op.drop_table("outbox_messages")
    op.drop_index(op.f("ix_memberships_issuer_id"), table_name="memberships")
    op.drop_table("memberships")
    op.drop_index(op.f("ix_learners_issuer_id_email"), table_name="learners")
    op.drop_table("learners")
    op.drop_index(
        "uq_issuer_keys_one_active",
        table_name="issuer_keys",
        sqlite_where=sa.text("status = 'active'"),
        postgresql_where=sa.text("status = 'active'"),
    )
    op.drop_index(op.f("ix_issuer_keys_issuer_id"), table_name="issuer_keys")
    op.drop_table("issuer_keys")
    op.drop_table("definitions")
    op.drop_index(op.f("ix_api_tokens_issuer_id"), table_name="api_tokens")
    op.drop_table("api_tokens")
    op.drop_table("users")
    op.drop_table("issuers")
