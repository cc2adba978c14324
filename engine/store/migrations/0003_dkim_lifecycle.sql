-- DKIM key lifecycle (issue 7): rotation over two selectors, persisted so a
-- crash at any step resumes where it stopped, and a view of the non-secret
-- key columns for the shop web app (and for OpenDKIM-style SELECTs).

-- rotation_of: the active key this key was created to replace (NULL for the
-- keys made when the domain was added). A key in pending/published whose
-- rotation_of is the active key marks a rotation in progress.
-- revoked_at: when the empty p= record was published; record_removed_at: when
-- the TXT record was deleted (or overwritten by its successor).
-- IF NOT EXISTS: a migration interrupted after this statement runs again
-- from the top (store/migrations.h).
ALTER TABLE domain_keys
  ADD COLUMN IF NOT EXISTS rotation_of BIGINT UNSIGNED NULL COMMENT 'domain_keys.id of the key this one replaces' AFTER state,
  ADD COLUMN IF NOT EXISTS revoked_at DATETIME(6) NULL COMMENT 'empty p= published' AFTER retire_after,
  ADD COLUMN IF NOT EXISTS record_removed_at DATETIME(6) NULL COMMENT 'TXT record deleted or overwritten' AFTER revoked_at;

-- Everything about a domain's keys except the private key and its KEK: safe
-- to grant to the web app's database account.
CREATE OR REPLACE VIEW dkim_keys_public AS
SELECT d.id AS sender_domain_id, t.slug AS tenant_slug, d.domain, d.mode, d.key_host,
       d.state AS domain_state, d.verified_at,
       dk.id AS domain_key_id, dk.selector, dk.state AS key_state,
       CONCAT(dk.selector, '._domainkey.', d.key_host) AS record_name,
       k.algorithm, k.bits, k.public_key,
       CONCAT('v=DKIM1; k=', IF(k.algorithm = 'ed25519-sha256', 'ed25519', 'rsa'), '; p=', k.public_key) AS record_value,
       k.created_at, dk.published_at, dk.activated_at, dk.retire_after, dk.revoked_at, dk.record_removed_at,
       dk.state_changed_at
FROM domain_keys dk
JOIN dkim_keys k ON k.id = dk.dkim_key_id
JOIN sender_domains d ON d.id = dk.sender_domain_id
JOIN tenants t ON t.id = d.tenant_id;
