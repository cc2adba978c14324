// Integration: one-click unsubscribe through daemon::HttpService against the
// private MariaDB. Each test gets a scratch database with two shops that
// share a subscriber address, and an endpoint on a free loopback port.
#include "daemon/http_service.h"

#include <cstdlib>
#include <thread>

#include <gtest/gtest.h>

#include "http/raw_http.h"
#include "store/admin.h"
#include "store/migrations.h"
#include "testing/scratch_db.h"
#include "unsubscribe/token.h"

namespace tayori::daemon {
namespace {

using testing::BuildRequest;
using testing::RawResponse;
using testing::SendRaw;

// The HMAC keys (raw bytes, as a web app minting tokens holds them) and their
// base64, which is what the environment variables hold.
constexpr char kSecret1[] = "k1-secret-0123456789abcdef0123456789abcdef";
constexpr char kSecret2[] = "k2-secret-0123456789abcdef0123456789abcdef";
constexpr char kRetired[] = "k0-secret-0123456789abcdef0123456789abcdef";
constexpr char kSecret1Base64[] = "azEtc2VjcmV0LTAxMjM0NTY3ODlhYmNkZWYwMTIzNDU2Nzg5YWJjZGVm";
constexpr char kSecret2Base64[] = "azItc2VjcmV0LTAxMjM0NTY3ODlhYmNkZWYwMTIzNDU2Nzg5YWJjZGVm";
constexpr char kOneClick[] = "List-Unsubscribe=One-Click";
constexpr char kForm[] = "Content-Type: application/x-www-form-urlencoded\r\n";

unsubscribe::SigningKey Key(const char* id, const char* secret) {
  auto k = unsubscribe::SigningKey::Make(id, secret);
  EXPECT_TRUE(k.ok());
  return std::move(k).value();
}

class UnsubscribeEndpointTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ::setenv("TAYORI_TEST_UNSUB_K1", kSecret1Base64, 1);
    ::setenv("TAYORI_TEST_UNSUB_K2", kSecret2Base64, 1);
    scratch_ = std::make_unique<testing::ScratchDatabase>("unsub_http");
    db_ = scratch_->Connect();
    ASSERT_NE(db_, nullptr);
    ASSERT_TRUE(store::Migrate(*db_).ok());
    shop_a_ = Ok(store::AddTenant(*db_, "shop-a", "Shop A 雑貨店", "shopa1", ""));
    shop_b_ = Ok(store::AddTenant(*db_, "shop-b", "Shop B", "shopb1", ""));
    list_a_ = Ok(store::AddList(*db_, shop_a_, "news", "Weekly <News> & more"));
    list_b_ = Ok(store::AddList(*db_, shop_b_, "news", "B News"));
    std::vector<store::ImportRow> rows{{"alice@example.com", "Alice", ""}, {"bob@example.com", "Bob", ""}};
    ASSERT_TRUE(store::ImportSubscribers(*db_, shop_a_, list_a_, rows).ok());
    ASSERT_TRUE(store::ImportSubscribers(*db_, shop_b_, list_b_, rows).ok());
    alice_a_ = SubscriberId(shop_a_, "alice@example.com");
    alice_b_ = SubscriberId(shop_b_, "alice@example.com");

    config_.database = scratch_->settings();
    config_.http.listen_address = "127.0.0.1";
    config_.http.port = 0;
    config_.admin.port = 0;
    config_.http.max_body_bytes = 1024;
    config_.http.request_timeout_s = 5;
    config_.unsubscribe.active_key_id = "k2";
    config_.unsubscribe.keys = {{"k1", "TAYORI_TEST_UNSUB_K1"}, {"k2", "TAYORI_TEST_UNSUB_K2"}};
    worker_ = std::make_unique<store::DbWorker>("db-test", config_.database, "", loop_);
    service_ = std::make_unique<HttpService>(loop_, config_, *worker_);
    Status st = service_->Start();
    ASSERT_TRUE(st.ok()) << st.ToString();
    port_ = service_->port();
    admin_port_ = service_->admin_port();
    thread_ = std::thread([this] { loop_.Run(); });
  }

  void TearDown() override {
    if (thread_.joinable()) {
      loop_.Post([this] {
        service_.reset();
        loop_.Stop();
      });
      thread_.join();
    }
    service_.reset();
    worker_.reset();
  }

  template <typename T>
  T Ok(Result<T> r) {
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : T{};
  }

  uint64_t SubscriberId(uint64_t tenant, const std::string& email) {
    auto rows = db_->Query("SELECT id FROM subscribers WHERE tenant_id = " + std::to_string(tenant) +
                           " AND email = '" + email + "'");
    EXPECT_TRUE(rows.ok() && rows->size() == 1);
    return rows.ok() && rows->size() == 1 ? std::stoull(*rows->rows[0][0]) : 0;
  }

  std::string Token(uint64_t tenant, uint64_t list, uint64_t subscriber, unsubscribe::Scope scope,
                    const char* key_id = "k2", const char* secret = kSecret2) {
    unsubscribe::TokenFields f;
    f.tenant_id = tenant;
    f.list_id = list;
    f.subscriber_id = subscriber;
    f.campaign_id = 1001;
    f.scope = scope;
    return unsubscribe::Encode(Key(key_id, secret), f);
  }
  std::string AliceAtA() { return Token(shop_a_, list_a_, alice_a_, unsubscribe::Scope::kList); }

  RawResponse PostOneClick(const std::string& token, std::string_view extra_headers = "") {
    return SendRaw(port_, BuildRequest("POST", "/u/" + token, std::string(kForm) + std::string(extra_headers), kOneClick));
  }

  // Every suppression as "tenant|email|list|reason|source|campaign".
  std::vector<std::string> Suppressions() {
    auto rows = db_->Query("SELECT tenant_id, email, list_id, reason, source, COALESCE(campaign_id, 0) "
                           "FROM suppressions ORDER BY id");
    EXPECT_TRUE(rows.ok()) << rows.status().ToString();
    std::vector<std::string> out;
    if (!rows.ok()) return out;
    for (const auto& r : rows->rows)
      out.push_back(*r[0] + "|" + *r[1] + "|" + *r[2] + "|" + *r[3] + "|" + *r[4] + "|" + *r[5]);
    return out;
  }
  int Events() {
    auto rows = db_->Query("SELECT COUNT(*) FROM events WHERE subject_type = 'suppression'");
    return rows.ok() ? std::stoi(*rows->rows[0][0]) : -1;
  }
  std::string Row(uint64_t tenant, const char* email, uint64_t list, const char* source) {
    return std::to_string(tenant) + "|" + email + "|" + std::to_string(list) + "|unsubscribe|" + source + "|1001";
  }

  std::unique_ptr<testing::ScratchDatabase> scratch_;
  std::unique_ptr<store::Connection> db_;
  uint64_t shop_a_ = 0, shop_b_ = 0, list_a_ = 0, list_b_ = 0, alice_a_ = 0, alice_b_ = 0;
  config::Config config_;
  loop::Loop loop_;
  std::unique_ptr<store::DbWorker> worker_;
  std::unique_ptr<HttpService> service_;
  std::thread thread_;
  int port_ = 0;
  int admin_port_ = 0;
};

TEST_F(UnsubscribeEndpointTest, OneClickPostSuppressesExactlyOneShopListAndAddress) {
  RawResponse r = PostOneClick(AliceAtA());
  EXPECT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(r.headers.count("set-cookie"), 0u);
  EXPECT_EQ(r.headers.count("location"), 0u);
  EXPECT_EQ(r.headers["cache-control"], "no-store");
  EXPECT_EQ(Suppressions(), std::vector<std::string>{Row(shop_a_, "alice@example.com", list_a_, "one-click")});
  EXPECT_EQ(Events(), 1);
}

TEST_F(UnsubscribeEndpointTest, ARepeatedPostIsStill200AndChangesNothing) {
  ASSERT_EQ(PostOneClick(AliceAtA()).status, 200);
  auto before = Suppressions();
  RawResponse again = PostOneClick(AliceAtA());
  EXPECT_EQ(again.status, 200) << again.raw;
  EXPECT_EQ(Suppressions(), before);
  EXPECT_EQ(Events(), 1);
}

TEST_F(UnsubscribeEndpointTest, MultipartOneClickAndTheConfirmPageButtonAreAccepted) {
  std::string body =
      "--b0undary\r\nContent-Disposition: form-data; name=\"List-Unsubscribe\"\r\n\r\nOne-Click\r\n--b0undary--\r\n";
  RawResponse r = SendRaw(port_, BuildRequest("POST", "/u/" + AliceAtA(),
                                              "Content-Type: multipart/form-data; boundary=b0undary\r\n", body));
  EXPECT_EQ(r.status, 200) << r.raw;
  // The page's button: a browser navigation (Fetch Metadata headers).
  std::string bob = Token(shop_a_, list_a_, SubscriberId(shop_a_, "bob@example.com"), unsubscribe::Scope::kList);
  r = PostOneClick(bob, "Sec-Fetch-Mode: navigate\r\nSec-Fetch-Dest: document\r\nOrigin: null\r\n");
  EXPECT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(Suppressions(), (std::vector<std::string>{Row(shop_a_, "alice@example.com", list_a_, "one-click"),
                                                      Row(shop_a_, "bob@example.com", list_a_, "confirm-page")}));
}

TEST_F(UnsubscribeEndpointTest, GetShowsTheConfirmationPageInJapaneseOrEnglishAndWritesNothing) {
  RawResponse ja = SendRaw(port_, BuildRequest("GET", "/u/" + AliceAtA(), "Accept-Language: ja-JP,ja;q=0.9,en;q=0.5\r\n"));
  EXPECT_EQ(ja.status, 200) << ja.raw;
  EXPECT_EQ(ja.headers["content-type"], "text/html; charset=utf-8");
  EXPECT_EQ(ja.headers["content-language"], "ja");
  EXPECT_NE(ja.body.find("配信停止の確認"), std::string::npos);
  EXPECT_NE(ja.body.find("Shop A 雑貨店"), std::string::npos);
  EXPECT_NE(ja.body.find("「Weekly &lt;News&gt; &amp; more」"), std::string::npos) << "list name, HTML-escaped";
  EXPECT_NE(ja.body.find("<form method=\"post\">"), std::string::npos);

  RawResponse en = SendRaw(port_, BuildRequest("GET", "/u/" + AliceAtA(), "Accept-Language: en-US,en;q=0.9\r\n"));
  EXPECT_EQ(en.status, 200);
  EXPECT_EQ(en.headers["content-language"], "en");
  EXPECT_NE(en.body.find("Unsubscribe?"), std::string::npos);
  EXPECT_NE(en.body.find("Weekly &lt;News&gt; &amp; more"), std::string::npos);

  std::string shop = Token(shop_a_, list_a_, alice_a_, unsubscribe::Scope::kShop);
  RawResponse whole = SendRaw(port_, BuildRequest("GET", "/u/" + shop, "Accept-Language: en\r\n"));
  EXPECT_NE(whole.body.find("any email from Shop A"), std::string::npos) << whole.body;

  EXPECT_EQ(SendRaw(port_, BuildRequest("HEAD", "/u/" + AliceAtA())).status, 200);
  EXPECT_TRUE(Suppressions().empty());
  EXPECT_EQ(Events(), 0);
}

TEST_F(UnsubscribeEndpointTest, ForgedTruncatedAndRetiredKeyTokensAreRefusedAndWriteNothing) {
  std::string good = AliceAtA();
  std::string forged = good;
  forged[forged.size() - 3] = forged[forged.size() - 3] == 'A' ? 'B' : 'A';
  std::string truncated = good.substr(0, good.size() - 6);
  std::string retired = Token(shop_a_, list_a_, alice_a_, unsubscribe::Scope::kList, "k0", kRetired);
  // Same key id as a live key, but signed with another secret.
  std::string resigned = Token(shop_a_, list_a_, alice_a_, unsubscribe::Scope::kList, "k2", kRetired);
  for (const auto& [token, status] : std::vector<std::pair<std::string, int>>{
           {forged, 404}, {truncated, 400}, {retired, 404}, {resigned, 404}, {"garbage", 400}, {"k1.", 400}}) {
    EXPECT_EQ(PostOneClick(token).status, status) << token;
    EXPECT_EQ(SendRaw(port_, BuildRequest("GET", "/u/" + token)).status, status) << token;
  }
  // Tokens of the older, still configured key keep working.
  EXPECT_EQ(PostOneClick(Token(shop_a_, list_a_, alice_a_, unsubscribe::Scope::kList, "k1", kSecret1)).status, 200);
  EXPECT_EQ(Suppressions().size(), 1u);
}

TEST_F(UnsubscribeEndpointTest, UnsubscribingAtShopANeverSuppressesAtShopB) {
  ASSERT_EQ(PostOneClick(AliceAtA()).status, 200);
  auto rows = db_->Query("SELECT COUNT(*) FROM suppressions WHERE tenant_id = " + std::to_string(shop_b_));
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(*rows->rows[0][0], "0");
  // A validly signed token naming shop B with shop A's subscriber (or list)
  // matches nobody: nothing written.
  EXPECT_EQ(PostOneClick(Token(shop_b_, list_b_, alice_a_, unsubscribe::Scope::kList)).status, 404);
  EXPECT_EQ(PostOneClick(Token(shop_b_, list_a_, alice_b_, unsubscribe::Scope::kList)).status, 404);
  EXPECT_EQ(Suppressions().size(), 1u);
  // Shop B's own token suppresses at shop B only.
  EXPECT_EQ(PostOneClick(Token(shop_b_, list_b_, alice_b_, unsubscribe::Scope::kList)).status, 200);
  EXPECT_EQ(Suppressions(), (std::vector<std::string>{Row(shop_a_, "alice@example.com", list_a_, "one-click"),
                                                      Row(shop_b_, "alice@example.com", list_b_, "one-click")}));
}

TEST_F(UnsubscribeEndpointTest, ShopScopeSuppressesWithListZero) {
  EXPECT_EQ(PostOneClick(Token(shop_a_, list_a_, alice_a_, unsubscribe::Scope::kShop)).status, 200);
  EXPECT_EQ(Suppressions(), std::vector<std::string>{Row(shop_a_, "alice@example.com", 0, "one-click")});
}

TEST_F(UnsubscribeEndpointTest, BadInputGetsClear4xxAndWritesNothing) {
  std::string path = "/u/" + AliceAtA();
  RawResponse big = SendRaw(port_, BuildRequest("POST", path, kForm, std::string(kOneClick) + "&x=" + std::string(2000, 'a')));
  EXPECT_EQ(big.status, 413) << big.raw;
  for (const char* method : {"PUT", "DELETE", "PATCH"}) {
    RawResponse r = SendRaw(port_, BuildRequest(method, path, kForm, kOneClick));
    EXPECT_EQ(r.status, 405) << method;
    EXPECT_EQ(r.headers["allow"], "GET, HEAD, POST");
  }
  EXPECT_EQ(SendRaw(port_, BuildRequest("POST", path, "Content-Type: text/plain\r\n", kOneClick)).status, 415);
  EXPECT_EQ(SendRaw(port_, BuildRequest("POST", path, "Content-Type: application/json\r\n", "{}")).status, 415);
  EXPECT_EQ(SendRaw(port_, BuildRequest("POST", path, "", kOneClick)).status, 415);
  EXPECT_EQ(SendRaw(port_, BuildRequest("POST", path, kForm, "List-Unsubscribe=Other")).status, 400);
  EXPECT_EQ(SendRaw(port_, BuildRequest("POST", path, kForm, "List-Unsubscribe=%ZZ")).status, 400);
  EXPECT_EQ(SendRaw(port_, BuildRequest("POST", path, kForm, "")).status, 400);
  EXPECT_EQ(SendRaw(port_, BuildRequest("GET", "/u/%ZZ")).status, 400);
  EXPECT_EQ(SendRaw(port_, BuildRequest("GET", "/u/\xff\xfe\xfd")).status, 400);
  EXPECT_EQ(SendRaw(port_, BuildRequest("POST", "/u/%00" + AliceAtA(), kForm, kOneClick)).status, 400);
  EXPECT_EQ(SendRaw(port_, BuildRequest("GET", "/u/a/b")).status, 404);
  EXPECT_EQ(SendRaw(port_, BuildRequest("GET", "/")).status, 404);
  RawResponse health_post = SendRaw(admin_port_, BuildRequest("POST", "/healthz", kForm, "x"));
  EXPECT_EQ(health_post.status, 405);
  EXPECT_EQ(health_post.headers["allow"], "GET, HEAD");
  EXPECT_TRUE(Suppressions().empty());
}

TEST_F(UnsubscribeEndpointTest, HealthAndMetricsAnswerOnlyOnTheAdminListener) {
  ASSERT_EQ(PostOneClick(AliceAtA()).status, 200);
  ASSERT_EQ(PostOneClick(AliceAtA()).status, 200);
  ASSERT_EQ(PostOneClick("garbage").status, 400);
  ASSERT_NE(admin_port_, 0);
  ASSERT_NE(admin_port_, port_);
  // The public listener knows nothing but /u/.
  for (const char* path : {"/metrics", "/healthz", "/readyz"})
    EXPECT_EQ(SendRaw(port_, BuildRequest("GET", path)).status, 404) << path;
  // The admin listener knows nothing of /u/.
  EXPECT_EQ(SendRaw(admin_port_, BuildRequest("POST", "/u/" + AliceAtA(), kForm, kOneClick)).status, 404);
  RawResponse h = SendRaw(admin_port_, BuildRequest("GET", "/healthz"));
  EXPECT_EQ(h.status, 200);
  EXPECT_EQ(h.body, "ok\n");
  RawResponse ready = SendRaw(admin_port_, BuildRequest("GET", "/readyz"));
  EXPECT_EQ(ready.status, 200);
  EXPECT_EQ(ready.body, "ready\n");
  RawResponse m = SendRaw(admin_port_, BuildRequest("GET", "/metrics"));
  EXPECT_EQ(m.status, 200);
  EXPECT_EQ(m.headers["content-type"], "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_NE(m.body.find("tayori_unsubscribes_total{source=\"one-click\"} 1\n"), std::string::npos) << m.body;
  EXPECT_NE(m.body.find("tayori_unsubscribe_repeats_total 1\n"), std::string::npos);
  EXPECT_NE(m.body.find("tayori_http_responses_total{code=\"200\"} 2\n"), std::string::npos) << m.body;
  EXPECT_NE(m.body.find("tayori_http_responses_total{code=\"400\"} 1\n"), std::string::npos);
  EXPECT_NE(m.body.find("tayori_unsubscribe_rejected_total{reason=\"malformed\"} 1\n"), std::string::npos);
  EXPECT_NE(m.body.find("tayori_http_responses_total{code=\"404\"} 3\n"), std::string::npos) << m.body;
}

TEST(UnsubscribeEndpointConfigTest, StartFailsWithoutKeysOrSecrets) {
  loop::Loop loop;
  config::Config cfg;
  cfg.http.port = 0;
  {
    store::DbWorker worker("db-test", cfg.database, "", loop);
    HttpService none(loop, cfg, worker);
    Status st = none.Start();
    EXPECT_EQ(st.error_class(), ErrorClass::kConfig) << st.ToString();
    ::unsetenv("TAYORI_TEST_UNSUB_MISSING");
    cfg.unsubscribe.keys = {{"k9", "TAYORI_TEST_UNSUB_MISSING"}};
    HttpService missing(loop, cfg, worker);
    st = missing.Start();
    EXPECT_FALSE(st.ok());
    EXPECT_NE(st.message().find("TAYORI_TEST_UNSUB_MISSING"), std::string::npos) << st.ToString();
  }
}

// The secret is base64 of at least 32 bytes: the text itself is not the key,
// and text that is long but not base64, or base64 of too few bytes, is
// refused at start with the config key named and the secret never shown.
TEST(UnsubscribeEndpointConfigTest, SecretMustBeBase64OfAtLeast32Bytes) {
  loop::Loop loop;
  config::Config cfg;
  cfg.http.port = 0;
  cfg.unsubscribe.keys = {{"k7", "TAYORI_TEST_UNSUB_K7"}};
  store::DbWorker worker("db-test", cfg.database, "", loop);
  // Text of 45 characters that is not base64, and 32 characters of base64
  // that decode to 23 bytes ("at least 32" used to be checked on the text).
  for (const char* secret : {"not base64 but long enough: 0123456789abcdef!", "c2hvcnQtc2VjcmV0LTAxMjM0NTY3ODk="}) {
    ::setenv("TAYORI_TEST_UNSUB_K7", secret, 1);
    HttpService service(loop, cfg, worker);
    Status st = service.Start();
    EXPECT_EQ(st.error_class(), ErrorClass::kConfig) << st.ToString();
    EXPECT_EQ(st.message().rfind("unsubscribe.keys[k7].secret_env: ", 0), 0u) << st.ToString();
    EXPECT_EQ(st.message().find(secret), std::string::npos) << "secret leaked: " << st.ToString();
  }
  ::unsetenv("TAYORI_TEST_UNSUB_K7");
}

}  // namespace
}  // namespace tayori::daemon
