-- 0004 inbound feedback: bounces and complaints that come back by mail
-- (`tayori inbound`), kept for audit and re-processing, and what each did.

-- Every message the listener accepted, compressed. sha256 of the raw bytes
-- makes a resend (the client lost our 250 after we committed) a no-op.
CREATE TABLE IF NOT EXISTS inbound_messages (
  id           BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  sha256       BINARY(32) NOT NULL,
  received_at  DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  mail_from    VARCHAR(320) NOT NULL DEFAULT '' COMMENT 'envelope sender; empty for DSNs (null sender)',
  rcpt_to      TEXT NOT NULL COMMENT 'envelope recipients, comma-separated',
  size_bytes   INT UNSIGNED NOT NULL,
  raw_deflate  MEDIUMBLOB NOT NULL COMMENT 'zlib-compressed raw message',
  format       VARCHAR(32) NOT NULL DEFAULT '' COMMENT 'rfc3464, arf, qmail ... (parser)',
  disposition  ENUM('parsed','ignored','refused') NOT NULL,
  reason       VARCHAR(512) NULL,
  PRIMARY KEY (id),
  UNIQUE KEY uk_inbound_messages_sha256 (sha256),
  KEY ix_inbound_messages_received (received_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- One row per reported recipient: what it was, which delivery (and so which
-- shop) it was matched to, and what it did. Rates per shop and per sender
-- domain are computed from these rows and the deliveries sent.
CREATE TABLE IF NOT EXISTS feedback_events (
  id                 BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  inbound_message_id BIGINT UNSIGNED NOT NULL,
  created_at         DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  type               ENUM('bounce','delay','delivered','complaint','auto-reply','not-feedback') NOT NULL,
  recipient          VARCHAR(320) NOT NULL DEFAULT '',
  status             VARCHAR(16) NOT NULL DEFAULT '',
  reply_code         VARCHAR(8) NOT NULL DEFAULT '',
  category           VARCHAR(32) NOT NULL DEFAULT '',
  hard               TINYINT NOT NULL DEFAULT 0,
  feedback_type      VARCHAR(32) NOT NULL DEFAULT '',
  diagnostic         VARCHAR(1000) NOT NULL DEFAULT '',
  matched_by         ENUM('verp','message_id','token','feedback_id','none') NOT NULL DEFAULT 'none',
  delivery_id        BIGINT UNSIGNED NULL,
  campaign_id        BIGINT UNSIGNED NULL,
  tenant_id          BIGINT UNSIGNED NULL,
  sender_domain_id   BIGINT UNSIGNED NULL,
  effect             VARCHAR(32) NOT NULL DEFAULT 'none' COMMENT 'what was done: none, record, bounce_and_suppress ...',
  effect_note        VARCHAR(512) NULL COMMENT 'why an effect was not applied',
  PRIMARY KEY (id),
  KEY ix_feedback_events_message (inbound_message_id),
  KEY ix_feedback_events_tenant (tenant_id, created_at),
  KEY ix_feedback_events_domain (sender_domain_id, created_at),
  KEY ix_feedback_events_campaign (campaign_id, type),
  KEY ix_feedback_events_recipient (tenant_id, recipient, type, created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- A returned message is matched by its Message-ID when no VERP verifies.
CREATE INDEX IF NOT EXISTS ix_deliveries_message_id ON deliveries (message_id);

-- `tayori report` counts a campaign's unsubscribes.
CREATE INDEX IF NOT EXISTS ix_suppressions_campaign ON suppressions (campaign_id, reason);

ALTER TABLE campaigns ADD COLUMN IF NOT EXISTS complaint_count INT UNSIGNED NOT NULL DEFAULT 0 AFTER cancelled_count;
