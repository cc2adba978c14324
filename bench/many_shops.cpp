// many_shops — the fixture of `scripts/bench engine-many`: N shops, each with
// its own hosted sender domain, its own RSA-2048 signing key (active), a list
// of M subscribers and one scheduled campaign, written straight into the
// database in bulk. Setting up 10,000 shops through the CLI (five commands
// each) takes most of an hour; this takes seconds once the keys exist.
//
// Shop 1 and its campaign are made with the CLI first (the reference template,
// shop and campaign fields); every other shop copies them. Keys are generated
// on every core and kept as PEM files in --key-dir, so a second run reuses
// them; each is sealed for its own domain and selector with the configured
// KEK, exactly as `tayori domain add` seals it. Bench only: no checks beyond
// what a benchmark needs.
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "config/config.h"
#include "crypto/key.h"
#include "crypto/seal.h"
#include "keys/sealed_keys.h"
#include "store/connection.h"
#include "store/keys.h"

namespace {

using namespace tayori;

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "many_shops: %s\n", what.c_str());
  std::exit(1);
}

template <typename T>
T Must(Result<T> r, const std::string& what) {
  if (!r.ok()) Die(what + ": " + r.status().ToString());
  return std::move(r).value();
}

void Exec(store::Connection& db, const std::string& sql) {
  Status st = db.Execute(sql);
  if (!st.ok()) Die(sql.substr(0, 200) + ": " + st.ToString());
}

// The PEM of key number i: read from the key directory, or generated there.
std::vector<std::string> LoadOrGenerateKeys(const std::string& dir, int from, int to) {
  std::filesystem::create_directories(dir);
  std::vector<std::string> pems(static_cast<size_t>(to - from + 1));
  unsigned threads = std::max(1u, std::thread::hardware_concurrency());
  std::vector<std::thread> pool;
  std::atomic<int> made{0};
  for (unsigned t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      for (int i = from + static_cast<int>(t); i <= to; i += static_cast<int>(threads)) {
        std::string path = dir + "/key" + std::to_string(i) + ".pem";
        std::ifstream in(path);
        if (in) {
          std::stringstream ss;
          ss << in.rdbuf();
          pems[static_cast<size_t>(i - from)] = ss.str();
          continue;
        }
        auto key = Must(crypto::PrivateKey::GenerateRsa(2048), "generating a key");
        std::string pem = Must(key->ToPem(), "PEM");
        std::ofstream(path + ".tmp") << pem;
        std::filesystem::rename(path + ".tmp", path);
        pems[static_cast<size_t>(i - from)] = pem;
        int n = ++made;
        if (n % 500 == 0) std::fprintf(stderr, "many_shops: %d keys generated\n", n);
      }
    });
  }
  for (auto& t : pool) t.join();
  return pems;
}

}  // namespace

int main(int argc, char** argv) {
  std::string config_path, key_dir;
  int shops = 0, per_shop = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i], v = argv[i + 1];
    if (a == "--config") config_path = v;
    else if (a == "--shops") shops = std::stoi(v);
    else if (a == "--per-shop") per_shop = std::stoi(v);
    else if (a == "--key-dir") key_dir = v;
    else Die("unknown option " + a);
  }
  if (config_path.empty() || key_dir.empty() || shops < 2 || per_shop < 1)
    Die("usage: many_shops --config FILE --shops N (>= 2) --per-shop M --key-dir DIR");
  config::Config cfg = Must(config::LoadConfigFile(config_path), "config");
  std::string password = Must(config::ResolveSecret(cfg.database.password_env, "database.password_env"), "password");
  auto db = Must(store::Connection::Open(cfg.database, password), "database");
  auto keks = Must(keys::LoadKeks(cfg.dkim), "KEK");
  const crypto::Kek& kek = keks.front();
  const std::string& selector = cfg.dkim.selectors.at(0);

  std::vector<std::string> pems = LoadOrGenerateKeys(key_dir, 2, shops);
  std::fprintf(stderr, "many_shops: %d keys ready; writing shops\n", shops - 1);

  // Shops 2..N copy shop 1 (tenant fields) and campaign 1 (templates, fields).
  constexpr int kChunk = 500;
  for (int first = 2; first <= shops; first += kChunk) {
    int last = std::min(shops, first + kChunk - 1);
    Exec(*db, "START TRANSACTION");
    std::string plain;
    for (int i = first; i <= last; ++i) {
      std::string n = std::to_string(i);
      plain += std::string(plain.empty() ? "" : ",") + "('shop" + n + "', CONCAT('ショップ', " + n + "), 'shop" + n + "-x')";
    }
    Exec(*db, "INSERT INTO tenants (slug, name, sender_id) VALUES " + plain);
    Exec(*db, "UPDATE tenants t JOIN tenants t1 ON t1.id = 1 SET t.fields = t1.fields WHERE t.id BETWEEN " +
                  std::to_string(first) + " AND " + std::to_string(last));
    Exec(*db, "INSERT INTO lists (tenant_id, slug, name) SELECT id, 'news', CONCAT('News ', id) FROM tenants WHERE id BETWEEN " +
                  std::to_string(first) + " AND " + std::to_string(last));
    for (int i = first; i <= last; ++i) {
      std::string n = std::to_string(i);
      std::string domain = "shop" + n + ".platform.example";
      uint64_t domain_id = Must(store::InsertSenderDomain(*db, static_cast<uint64_t>(i), domain, "hosted", domain),
                                "sender domain " + domain);
      auto key = Must(crypto::PrivateKey::FromPem(pems[static_cast<size_t>(i - 2)]), "key " + n);
      store::NewDomainKey nk;
      nk.sender_domain_id = domain_id;
      nk.selector = selector;
      nk.state = scheduler::KeyState::kActive;
      nk.bits = key->bits();
      nk.public_key = key->PublicKeyBase64();
      nk.private_key_sealed = Must(crypto::Seal(kek, crypto::KeyBinding{domain, selector, nk.public_key},
                                                pems[static_cast<size_t>(i - 2)]),
                                   "sealing key " + n);
      nk.kek_id = kek.id;
      nk.actor = "bench";
      Must(store::InsertDomainKey(*db, nk), "domain key " + n);
    }
    Exec(*db, "UPDATE sender_domains SET state = 'verified' WHERE tenant_id BETWEEN " + std::to_string(first) + " AND " +
                  std::to_string(last));
    Exec(*db, "UPDATE domain_keys k JOIN sender_domains d ON d.id = k.sender_domain_id SET k.activated_at = "
              "UTC_TIMESTAMP(6), k.published_at = UTC_TIMESTAMP(6) WHERE d.tenant_id BETWEEN " +
                  std::to_string(first) + " AND " + std::to_string(last));
    // Subscribers: member{k}.s{i}@dest{(k + per_shop * i) % 50}.example, as
    // the 100-shop bench: its shops of 1,000 each reach all 50 destinations,
    // and so do these shops of ten together (k % 50 gave them only 10).
    std::string subs;
    for (int i = first; i <= last; ++i)
      for (int k = 0; k < per_shop; ++k)
        subs += std::string(subs.empty() ? "" : ",") + "(" + std::to_string(i) + ", 'member" + std::to_string(k) + ".s" +
                std::to_string(i) + "@dest" + std::to_string((k + per_shop * i) % 50) + ".example', '山田 太郎 " + std::to_string(k) +
                "', '{\"points\":\"" + std::to_string(k % 5000) + "\"}')";
    Exec(*db, "INSERT INTO subscribers (tenant_id, email, display_name, fields) VALUES " + subs);
    Exec(*db, "INSERT INTO list_members (list_id, subscriber_id) SELECT l.id, s.id FROM subscribers s JOIN lists l "
              "ON l.tenant_id = s.tenant_id WHERE s.tenant_id BETWEEN " + std::to_string(first) + " AND " +
                  std::to_string(last));
    Exec(*db, "INSERT INTO campaigns (tenant_id, list_id, sender_domain_id, from_address, from_name, reply_to, "
              "subject_template, text_template, html_template, mail_type, fields, state, scheduled_at) "
              "SELECT t.id, l.id, d.id, CONCAT('news@', d.domain), t.name, c.reply_to, c.subject_template, "
              "c.text_template, c.html_template, c.mail_type, c.fields, 'scheduled', UTC_TIMESTAMP(6) "
              "FROM tenants t JOIN lists l ON l.tenant_id = t.id JOIN sender_domains d ON d.tenant_id = t.id "
              "JOIN campaigns c ON c.id = 1 WHERE t.id BETWEEN " + std::to_string(first) + " AND " +
                  std::to_string(last));
    Exec(*db, "COMMIT");
    std::fprintf(stderr, "many_shops: shops up to %d written\n", last);
  }
  return 0;
}
