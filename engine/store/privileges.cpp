#include "store/privileges.h"

#include <vector>

namespace tayori::store {

Status CheckEnginePrivileges(Connection& db, const std::string& account) {
  struct Probe {
    const char* need;
    const char* sql;
  };
  // One statement per (privilege, table) the engine relies on; WHERE 0 and
  // EXPLAIN keep every probe from touching a row.
  static const Probe kProbes[] = {
      {"SELECT", "EXPLAIN SELECT id FROM deliveries WHERE 0"},
      {"SELECT", "EXPLAIN SELECT id FROM subscribers WHERE 0"},
      {"SELECT", "EXPLAIN SELECT id FROM dkim_keys WHERE 0"},
      {"INSERT", "EXPLAIN INSERT INTO deliveries (campaign_id, subscriber_id, email, dest_domain) SELECT 0, 0, '', '' FROM DUAL WHERE 0"},
      {"INSERT", "EXPLAIN INSERT INTO events (tenant_id, subject_type, subject_id, kind) SELECT 0, '', 0, '' FROM DUAL WHERE 0"},
      {"INSERT", "EXPLAIN INSERT INTO suppressions (tenant_id, email) SELECT 0, '' FROM DUAL WHERE 0"},
      {"INSERT", "EXPLAIN INSERT INTO engine_instances (name, host, pid) SELECT '', '', 0 FROM DUAL WHERE 0"},
      {"UPDATE", "EXPLAIN UPDATE deliveries SET state = state WHERE 0"},
      {"UPDATE", "EXPLAIN UPDATE campaigns SET state = state WHERE 0"},
      {"UPDATE", "EXPLAIN UPDATE sender_domains SET state = state WHERE 0"},
      {"UPDATE", "EXPLAIN UPDATE domain_keys SET state = state WHERE 0"},
      {"UPDATE", "EXPLAIN UPDATE engine_instances SET state = state WHERE 0"},
      {"DELETE", "EXPLAIN DELETE FROM suppressions WHERE 0"},
  };
  std::vector<std::string> missing;
  for (const auto& p : kProbes) {
    Status st = db.Execute(p.sql);
    if (st.ok()) continue;
    if (st.transient()) return st;
    missing.push_back(std::string(p.need) + " (" + st.message() + ")");
  }
  // Outcome write-back fills a per-session temporary MEMORY table.
  Status st = db.Execute("CREATE TEMPORARY TABLE tayori_privilege_probe (id INT) ENGINE=MEMORY");
  if (st.ok()) st = db.Execute("DROP TEMPORARY TABLE tayori_privilege_probe");
  if (!st.ok()) {
    if (st.transient()) return st;
    missing.push_back("CREATE TEMPORARY TABLES (" + st.message() + ")");
  }
  if (missing.empty()) return Status::Ok();
  std::string text = "the database account " + account +
                     " lacks privileges the engine needs (docs/schema.md, \"Privileges\"):";
  for (const auto& m : missing) text += "\n  " + m;
  return ConfigError(text);
}

}  // namespace tayori::store
