-- 0008: feedback rates per shop (the guards of `tayori run` and `tayori
-- inbound`, and `tayori report`) sum the campaigns a shop started in the
-- last day or week. Through ix_campaigns_tenant (tenant_id, created_at) they
-- read every campaign the shop ever had, for every sending shop every 30 s;
-- this index reads only the window. Added in place: reads and writes go on.
ALTER TABLE campaigns ADD INDEX IF NOT EXISTS ix_campaigns_started (tenant_id, started_at);
