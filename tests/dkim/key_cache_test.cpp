#include "crypto/key_cache.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "test_util.h"

namespace tayori::dkim {
namespace {

TEST(KeyCacheTest, ReturnsTheSameParsedKeyForTheSamePem) {
  crypto::KeyCache cache;
  std::string pem = testing::ReadTestFile("rsa2048.pem");
  auto a = cache.Get(pem);
  auto b = cache.Get(pem);
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(a->get(), b->get());  // one EVP_PKEY, not re-parsed
  EXPECT_EQ(cache.stats().misses, 1u);
  EXPECT_EQ(cache.stats().hits, 1u);
}

// A key row whose algorithm does not match its key is refused whether the
// key is parsed now or already cached.
TEST(KeyCacheTest, AKeyOfAnotherTypeIsRefusedOnAHitAsOnAMiss) {
  crypto::KeyCache cache;
  std::string pem = testing::ReadTestFile("rsa2048.pem");
  auto miss = cache.Get(pem, crypto::KeyType::kEd25519);
  ASSERT_FALSE(miss.ok());
  ASSERT_TRUE(cache.Get(pem, crypto::KeyType::kRsa).ok());
  auto hit = cache.Get(pem, crypto::KeyType::kEd25519);
  ASSERT_FALSE(hit.ok());
  EXPECT_EQ(hit.status().error_class(), ErrorClass::kInvalidInput);
  EXPECT_EQ(hit.status().message(), miss.status().message());
}

TEST(KeyCacheTest, DoesNotCacheErrors) {
  crypto::KeyCache cache;
  EXPECT_FALSE(cache.Get("not a key").ok());
  EXPECT_FALSE(cache.Get("not a key").ok());
  EXPECT_EQ(cache.stats().size, 0u);
}

TEST(KeyCacheTest, EvictsTheLeastRecentlyUsedKey) {
  crypto::KeyCache cache(2);
  std::string k1 = testing::ReadTestFile("rsa2048.pem");
  std::string k2 = testing::ReadTestFile("ed25519.pem");
  std::string k3 = testing::ReadTestFile("rfc8463_ed25519.pem");
  auto first = cache.Get(k1);
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(cache.Get(k2).ok());
  ASSERT_TRUE(cache.Get(k1).ok());  // k1 is now the most recent
  ASSERT_TRUE(cache.Get(k3).ok());  // evicts k2
  auto s = cache.stats();
  EXPECT_EQ(s.size, 2u);
  EXPECT_EQ(cache.capacity(), 2u);
  EXPECT_EQ(s.evictions, 1u);
  EXPECT_EQ(cache.Get(k1)->get(), first->get());  // still cached
  uint64_t misses = cache.stats().misses;
  ASSERT_TRUE(cache.Get(k2).ok());  // parsed again
  EXPECT_EQ(cache.stats().misses, misses + 1);
  // An evicted key stays valid for whoever still holds it.
  EXPECT_EQ((*first)->type(), crypto::KeyType::kRsa);
}

TEST(KeyCacheTest, ManyThreadsShareOneParsedKeyPerPem) {
  crypto::KeyCache cache(8);
  const std::vector<std::string> pems = {testing::ReadTestFile("rsa2048.pem"), testing::ReadTestFile("ed25519.pem"),
                                         testing::ReadTestFile("rfc8463_ed25519.pem")};
  constexpr int kThreads = 8;
  constexpr int kRounds = 500;
  std::vector<std::vector<const crypto::PrivateKey*>> seen(kThreads, std::vector<const crypto::PrivateKey*>(pems.size()));
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int r = 0; r < kRounds; ++r) {
        size_t i = static_cast<size_t>(r + t) % pems.size();
        auto key = cache.Get(pems[i]);
        if (!key.ok()) {
          ++failures;
          continue;
        }
        if (seen[t][i] == nullptr) seen[t][i] = key->get();
        if (seen[t][i] != key->get()) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  for (size_t i = 0; i < pems.size(); ++i)
    for (int t = 1; t < kThreads; ++t) EXPECT_EQ(seen[t][i], seen[0][i]);
  auto s = cache.stats();
  EXPECT_EQ(s.size, pems.size());
  EXPECT_EQ(s.hits + s.misses, static_cast<uint64_t>(kThreads * kRounds));
}

}  // namespace
}  // namespace tayori::dkim
