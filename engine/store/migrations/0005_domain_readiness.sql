-- 0005 domain readiness: the last result of `tayori domain check` for each
-- author domain, written by the CLI and by the daemon's periodic re-check,
-- read by `domain list/show`, `/metrics` and `campaign schedule`.

-- One row per sender domain. next_check_at doubles as the claim: an engine
-- moves it forward before it checks the domain, so two engines never check
-- the same domain at once, and a crashed one's claim runs out.
CREATE TABLE IF NOT EXISTS domain_readiness (
  sender_domain_id BIGINT UNSIGNED NOT NULL,
  state            ENUM('unknown','pass','warn','fail') NOT NULL DEFAULT 'unknown'
                   COMMENT 'worst state of all checks; unknown until first checked',
  domain_state     ENUM('unknown','pass','warn','fail') NOT NULL DEFAULT 'unknown'
                   COMMENT 'worst state of the author domain''s own checks (what its shop acts on)',
  platform_state   ENUM('unknown','pass','warn','fail') NOT NULL DEFAULT 'unknown'
                   COMMENT 'worst state of the platform''s checks (SPF, reverse DNS, MX, relay TLS, unsubscribe)',
  mandatory_failed VARCHAR(255) CHARACTER SET ascii NOT NULL DEFAULT ''
                   COMMENT 'comma-separated ids of failing checks that readiness.mandatory names',
  reason           VARCHAR(1000) NOT NULL DEFAULT ''
                   COMMENT 'the first failing mandatory check in words (a paused campaign''s reason)',
  report_en        MEDIUMTEXT NULL COMMENT 'the report as `domain check --json --lang en` prints it',
  report_ja        MEDIUMTEXT NULL COMMENT 'the same in Japanese',
  checked_at       DATETIME(6) NULL,
  checked_by       VARCHAR(160) NOT NULL DEFAULT '' COMMENT 'engine instance or cli',
  next_check_at    DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  PRIMARY KEY (sender_domain_id),
  KEY ix_domain_readiness_due (next_check_at),
  CONSTRAINT fk_domain_readiness_domain FOREIGN KEY (sender_domain_id) REFERENCES sender_domains (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The worst state of each check id per domain, for `/metrics` (domains per
-- check and state) without parsing reports.
CREATE TABLE IF NOT EXISTS domain_check_states (
  sender_domain_id BIGINT UNSIGNED NOT NULL,
  check_id         VARCHAR(32) CHARACTER SET ascii NOT NULL,
  state            ENUM('pass','warn','fail') NOT NULL,
  PRIMARY KEY (sender_domain_id, check_id),
  CONSTRAINT fk_domain_check_states_domain FOREIGN KEY (sender_domain_id) REFERENCES sender_domains (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
