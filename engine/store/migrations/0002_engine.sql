-- 0002 engine runtime: cancelled deliveries, and the heartbeat table through
-- which several engine instances share the global rate budget.
-- Every statement is safe to run twice (store/migrations.h): MODIFY COLUMN
-- sets the same definition again, the others say IF NOT EXISTS.

ALTER TABLE deliveries MODIFY COLUMN state
  ENUM('queued','leased','deferred','sent','failed','bounced','suppressed','expired','unknown','cancelled')
  NOT NULL DEFAULT 'queued';

ALTER TABLE campaigns ADD COLUMN IF NOT EXISTS cancelled_count INT UNSIGNED NOT NULL DEFAULT 0 AFTER expired_count;
ALTER TABLE campaigns ADD COLUMN IF NOT EXISTS unknown_count INT UNSIGNED NOT NULL DEFAULT 0 AFTER expired_count;

-- One row per running engine process. An instance whose heartbeat is older
-- than three poll intervals is dead: its leases expire and are taken over,
-- and it no longer counts when the global rate is divided between instances.
CREATE TABLE IF NOT EXISTS engine_instances (
  name          VARCHAR(128) NOT NULL,
  host          VARCHAR(255) NOT NULL,
  pid           INT UNSIGNED NOT NULL,
  started_at    DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  heartbeat_at  DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  state         ENUM('running','draining','stopped') NOT NULL DEFAULT 'running',
  sent_total    BIGINT UNSIGNED NOT NULL DEFAULT 0,
  PRIMARY KEY (name),
  KEY ix_engine_instances_heartbeat (heartbeat_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Template variables: shop.<key> from tenants.fields, campaign.<key> from
-- campaigns.fields (JSON objects of strings, written by the web app).
ALTER TABLE tenants ADD COLUMN IF NOT EXISTS fields JSON NULL AFTER sender_id;
ALTER TABLE campaigns ADD COLUMN IF NOT EXISTS fields JSON NULL AFTER mail_type;
