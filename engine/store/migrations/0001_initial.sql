-- 0001 initial schema: the contract between Tayori and the platform's web app.
-- The web app writes tenants, lists, subscribers, list_members and campaigns;
-- the engine writes deliveries, events, and the sending state of campaigns.
-- Every statement is re-runnable (IF NOT EXISTS) because MySQL DDL commits
-- implicitly: a migration interrupted half-way is simply applied again.
-- docs/schema.md explains each table and who writes which column.

CREATE TABLE IF NOT EXISTS tenants (
  id            BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  slug          VARCHAR(64)  NOT NULL COMMENT 'stable short name used by the CLI and in List-Id',
  name          VARCHAR(255) NOT NULL COMMENT 'shop name shown to subscribers',
  sender_id     VARCHAR(15)  NOT NULL COMMENT 'Feedback-ID SenderId (5-15 chars)',
  created_at    DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  PRIMARY KEY (id),
  UNIQUE KEY uk_tenants_slug (slug)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- A domain a shop sends from (the author domain, d= of its DKIM signature).
CREATE TABLE IF NOT EXISTS sender_domains (
  id              BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  tenant_id       BIGINT UNSIGNED NOT NULL,
  domain          VARCHAR(253) CHARACTER SET ascii NOT NULL COMMENT 'A-label form, lower case',
  mode            ENUM('hosted','delegated') NOT NULL,
  key_host        VARCHAR(253) CHARACTER SET ascii NOT NULL
                  COMMENT 'name under the platform zone that holds the TXT records (= domain when hosted)',
  state           ENUM('pending','verified','paused') NOT NULL DEFAULT 'pending',
  state_reason    VARCHAR(512) NULL COMMENT 'why paused or not verified',
  verified_at     DATETIME(6) NULL,
  paused_at       DATETIME(6) NULL,
  created_at      DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  PRIMARY KEY (id),
  UNIQUE KEY uk_sender_domains_domain (domain),
  KEY ix_sender_domains_tenant (tenant_id),
  CONSTRAINT fk_sender_domains_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Key material, kept apart from domains (the background talk's advice): a key
-- row never names a domain; domain_keys joins them with a selector and a state.
CREATE TABLE IF NOT EXISTS dkim_keys (
  id              BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  algorithm       ENUM('rsa-sha256','ed25519-sha256') NOT NULL,
  bits            SMALLINT UNSIGNED NOT NULL,
  public_key      TEXT CHARACTER SET ascii NOT NULL COMMENT 'base64 SubjectPublicKeyInfo (the p= value)',
  private_key_enc VARBINARY(8192) NOT NULL COMMENT 'AES-256-GCM(nonce|ciphertext|tag) of the PKCS#8 PEM',
  kek_id          VARCHAR(32) CHARACTER SET ascii NOT NULL COMMENT 'which key-encryption key sealed it',
  created_at      DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS domain_keys (
  id               BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  sender_domain_id BIGINT UNSIGNED NOT NULL,
  dkim_key_id      BIGINT UNSIGNED NOT NULL,
  selector         VARCHAR(63) CHARACTER SET ascii NOT NULL,
  state            ENUM('pending','published','active','retiring','revoked') NOT NULL DEFAULT 'pending',
  state_changed_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  published_at     DATETIME(6) NULL,
  activated_at     DATETIME(6) NULL,
  retire_after     DATETIME(6) NULL COMMENT 'end of the grace period of a retiring key',
  created_at       DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  PRIMARY KEY (id),
  UNIQUE KEY uk_domain_keys_key (dkim_key_id),
  KEY ix_domain_keys_domain_state (sender_domain_id, state),
  KEY ix_domain_keys_domain_selector (sender_domain_id, selector),
  CONSTRAINT fk_domain_keys_domain FOREIGN KEY (sender_domain_id) REFERENCES sender_domains (id),
  CONSTRAINT fk_domain_keys_key FOREIGN KEY (dkim_key_id) REFERENCES dkim_keys (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS lists (
  id          BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  tenant_id   BIGINT UNSIGNED NOT NULL,
  slug        VARCHAR(64)  NOT NULL COMMENT 'used in List-Id: <slug.author-domain>',
  name        VARCHAR(255) NOT NULL,
  created_at  DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  PRIMARY KEY (id),
  UNIQUE KEY uk_lists_tenant_slug (tenant_id, slug),
  CONSTRAINT fk_lists_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS subscribers (
  id           BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  tenant_id    BIGINT UNSIGNED NOT NULL,
  email        VARCHAR(320) NOT NULL COMMENT 'as given; domain part lower-cased',
  display_name VARCHAR(255) NOT NULL DEFAULT '',
  fields       JSON NULL COMMENT 'extra template variables, a JSON object of strings',
  created_at   DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  PRIMARY KEY (id),
  UNIQUE KEY uk_subscribers_tenant_email (tenant_id, email),
  CONSTRAINT fk_subscribers_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS list_members (
  list_id       BIGINT UNSIGNED NOT NULL,
  subscriber_id BIGINT UNSIGNED NOT NULL,
  state         ENUM('subscribed','unsubscribed') NOT NULL DEFAULT 'subscribed',
  created_at    DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  PRIMARY KEY (list_id, subscriber_id),
  KEY ix_list_members_subscriber (subscriber_id),
  CONSTRAINT fk_list_members_list FOREIGN KEY (list_id) REFERENCES lists (id),
  CONSTRAINT fk_list_members_subscriber FOREIGN KEY (subscriber_id) REFERENCES subscribers (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Addresses a shop must not mail. list_id = 0 means the whole shop.
-- Scoped per tenant: a suppression at shop A never affects shop B.
CREATE TABLE IF NOT EXISTS suppressions (
  id          BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  tenant_id   BIGINT UNSIGNED NOT NULL,
  email       VARCHAR(320) NOT NULL,
  list_id     BIGINT UNSIGNED NOT NULL DEFAULT 0,
  reason      ENUM('unsubscribe','bounce','complaint','operator','import') NOT NULL,
  source      VARCHAR(64) NOT NULL DEFAULT '' COMMENT 'one-click, confirm-page, smtp 5.1.1, cli ...',
  campaign_id BIGINT UNSIGNED NULL,
  created_at  DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  PRIMARY KEY (id),
  UNIQUE KEY uk_suppressions_scope (tenant_id, email, list_id),
  CONSTRAINT fk_suppressions_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS campaigns (
  id               BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  tenant_id        BIGINT UNSIGNED NOT NULL,
  list_id          BIGINT UNSIGNED NOT NULL,
  sender_domain_id BIGINT UNSIGNED NOT NULL COMMENT 'the author domain; From must be in it',
  from_address     VARCHAR(320) NOT NULL,
  from_name        VARCHAR(255) NOT NULL DEFAULT '',
  reply_to         VARCHAR(320) NULL,
  subject_template TEXT NOT NULL,
  text_template    MEDIUMTEXT NULL,
  html_template    MEDIUMTEXT NULL,
  mail_type        VARCHAR(32) NOT NULL DEFAULT 'newsletter' COMMENT 'Feedback-ID identifier',
  state            ENUM('draft','scheduled','sending','sent','paused','cancelled','failed') NOT NULL DEFAULT 'draft',
  state_reason     VARCHAR(512) NULL,
  scheduled_at     DATETIME(6) NULL,
  claimed_by       VARCHAR(128) NULL COMMENT 'engine instance expanding or sending it',
  claimed_until    DATETIME(6) NULL,
  expanded         TINYINT(1) NOT NULL DEFAULT 0 COMMENT 'all deliveries created',
  expand_cursor    BIGINT UNSIGNED NOT NULL DEFAULT 0 COMMENT 'last subscriber_id expanded',
  total_count      INT UNSIGNED NOT NULL DEFAULT 0,
  sent_count       INT UNSIGNED NOT NULL DEFAULT 0,
  failed_count     INT UNSIGNED NOT NULL DEFAULT 0,
  bounced_count    INT UNSIGNED NOT NULL DEFAULT 0,
  suppressed_count INT UNSIGNED NOT NULL DEFAULT 0,
  expired_count    INT UNSIGNED NOT NULL DEFAULT 0,
  started_at       DATETIME(6) NULL,
  finished_at      DATETIME(6) NULL,
  created_at       DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  updated_at       DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
  PRIMARY KEY (id),
  KEY ix_campaigns_due (state, scheduled_at),
  KEY ix_campaigns_tenant (tenant_id, created_at),
  CONSTRAINT fk_campaigns_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id),
  CONSTRAINT fk_campaigns_list FOREIGN KEY (list_id) REFERENCES lists (id),
  CONSTRAINT fk_campaigns_domain FOREIGN KEY (sender_domain_id) REFERENCES sender_domains (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- One row per recipient per campaign. Terminal states: sent, failed, bounced,
-- suppressed, expired. 'unknown' is a connection lost after the final dot:
-- maybe delivered, never blindly resent.
CREATE TABLE IF NOT EXISTS deliveries (
  id               BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  campaign_id      BIGINT UNSIGNED NOT NULL,
  subscriber_id    BIGINT UNSIGNED NOT NULL,
  email            VARCHAR(320) NOT NULL COMMENT 'copied at expansion time',
  dest_domain      VARCHAR(253) CHARACTER SET ascii NOT NULL COMMENT 'A-label of the recipient domain, for shaping',
  state            ENUM('queued','leased','deferred','sent','failed','bounced','suppressed','expired','unknown')
                   NOT NULL DEFAULT 'queued',
  attempts         SMALLINT UNSIGNED NOT NULL DEFAULT 0,
  next_attempt_at  DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  lease_owner      VARCHAR(128) NULL,
  lease_expires_at DATETIME(6) NULL,
  last_code        SMALLINT UNSIGNED NULL COMMENT 'SMTP reply code',
  last_enhanced    VARCHAR(16) NULL COMMENT 'enhanced status code, e.g. 5.1.1',
  last_reply       VARCHAR(512) NULL COMMENT 'final reply text',
  message_id       VARCHAR(255) NULL,
  relay            VARCHAR(64) NULL,
  relay_queue_id   VARCHAR(64) NULL,
  created_at       DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  updated_at       DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
  PRIMARY KEY (id),
  UNIQUE KEY uk_deliveries_recipient (campaign_id, subscriber_id),
  KEY ix_deliveries_due (campaign_id, state, next_attempt_at),
  KEY ix_deliveries_lease (state, lease_expires_at),
  CONSTRAINT fk_deliveries_campaign FOREIGN KEY (campaign_id) REFERENCES campaigns (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Audit trail: state changes of campaigns, domains and keys, suppressions,
-- alerts (a paused sender domain). Never holds a secret or a message body.
CREATE TABLE IF NOT EXISTS events (
  id           BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  occurred_at  DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  tenant_id    BIGINT UNSIGNED NULL,
  subject_type ENUM('campaign','delivery','sender_domain','dkim_key','suppression','engine') NOT NULL,
  subject_id   BIGINT UNSIGNED NULL,
  kind         VARCHAR(64) NOT NULL COMMENT 'e.g. state_change, alert, unsubscribe',
  actor        VARCHAR(128) NOT NULL DEFAULT '' COMMENT 'engine instance, cli, http',
  detail       TEXT NULL,
  PRIMARY KEY (id),
  KEY ix_events_subject (subject_type, subject_id, occurred_at),
  KEY ix_events_time (occurred_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
