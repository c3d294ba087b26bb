"""Signing keys: written only through definer functions, and vouched for by a MAC.

The application role could INSERT and UPDATE `signing_keys`, and the keyring trusted every row: a
public key written into the table verified tokens its holder minted, for any role. Now the
application role only reads the table (it needs the sealed private halves to sign), and keys are
written through three SECURITY DEFINER functions owned by the definer role:

- `koshiki_add_signing_key(…)`: a new key, with its MAC (a kid never changes once written);
- `koshiki_retire_signing_keys(at)`: retire every current key (nothing else can change);
- `koshiki_vouch_signing_key(kid, mac)`: give a key from before this revision its MAC, once.

The MAC (HMAC-SHA256 under a key derived from KOSHIKI_SECRET_KEY) covers kid, algorithm, public
JWK and created_at; the database cannot check it, the keyring does, and ignores a row whose MAC is
missing or wrong. Rows from before this revision have none: the keyring vouches for those whose
sealed private half opens under its secret and matches their public half (only the holder of the
secret can have made them), so tokens they signed stay valid across the upgrade.

Revision ID: 0020
Revises: 0019
Create Date: 2026-11-28
"""

from alembic import op

from migrations.rls import APP_ROLE, DEFINER_ROLE

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

FUNCTIONS = (
    "koshiki_add_signing_key(text, text, jsonb, bytea, timestamptz, bytea)",
    "koshiki_retire_signing_keys(timestamptz)",
    "koshiki_vouch_signing_key(text, bytea)",
)


def upgrade() -> None:
    op.execute("ALTER TABLE signing_keys ADD COLUMN mac bytea CHECK (mac IS NULL OR length(mac) = 32)")
    op.execute(f"REVOKE INSERT, UPDATE, DELETE ON signing_keys FROM {APP_ROLE}")
    op.execute(f"GRANT SELECT, INSERT, UPDATE ON signing_keys TO {DEFINER_ROLE}")
    op.execute(
        """
        CREATE FUNCTION koshiki_add_signing_key(p_kid text, p_algorithm text, p_public_jwk jsonb,
                                                p_private_key_encrypted bytea, p_created_at timestamptz, p_mac bytea)
        RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
        BEGIN
          IF p_mac IS NULL THEN
            RAISE EXCEPTION 'a signing key needs its MAC' USING ERRCODE = 'not_null_violation';
          END IF;
          INSERT INTO signing_keys (kid, algorithm, public_jwk, private_key_encrypted, created_at, mac)
          VALUES (p_kid, p_algorithm, p_public_jwk, p_private_key_encrypted, p_created_at, p_mac);
        END $$
        """
    )
    op.execute(
        """
        CREATE FUNCTION koshiki_retire_signing_keys(p_at timestamptz) RETURNS integer
        LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
          WITH retired AS (
            UPDATE signing_keys SET retired_at = p_at WHERE retired_at IS NULL RETURNING 1
          ) SELECT count(*)::integer FROM retired
        $$
        """
    )
    op.execute(
        """
        CREATE FUNCTION koshiki_vouch_signing_key(p_kid text, p_mac bytea) RETURNS boolean
        LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
          WITH vouched AS (
            UPDATE signing_keys SET mac = p_mac WHERE kid = p_kid AND mac IS NULL AND p_mac IS NOT NULL RETURNING 1
          ) SELECT EXISTS (SELECT 1 FROM vouched)
        $$
        """
    )
    for signature in FUNCTIONS:
        op.execute(f"ALTER FUNCTION {signature} OWNER TO {DEFINER_ROLE}")
        op.execute(f"REVOKE ALL ON FUNCTION {signature} FROM PUBLIC")
        op.execute(f"GRANT EXECUTE ON FUNCTION {signature} TO {APP_ROLE}")


def downgrade() -> None:
    for signature in FUNCTIONS:
        op.execute(f"DROP FUNCTION {signature}")
    op.execute(f"REVOKE SELECT, INSERT, UPDATE ON signing_keys FROM {DEFINER_ROLE}")
    op.execute(f"GRANT SELECT, INSERT, UPDATE ON signing_keys TO {APP_ROLE}")
    op.execute("ALTER TABLE signing_keys DROP COLUMN mac")
