-- 0006: the engine's search for sending campaigns not yet expanded
-- (ClaimUnexpandedCampaigns) reads only those, not every sending campaign:
-- with ten thousand small campaigns sending it examined about 7,700 rows
-- per poll through ix_campaigns_due.
ALTER TABLE campaigns ADD INDEX IF NOT EXISTS ix_campaigns_expansion (state, expanded);
