// Unit: how multi-row writes are cut into prepared-statement sizes.
#include "store/batch.h"

#include <gtest/gtest.h>

#include <bit>

namespace tayori::store {
namespace {

TEST(BatchTest, ChunksArePowersOfTwoThatCoverEveryRowOnceInOrder) {
  for (size_t n : {size_t{0}, size_t{1}, size_t{7}, size_t{8}, size_t{255}, size_t{500}, size_t{1024}, size_t{1037},
                   size_t{4000}}) {
    size_t next = 0, statements = 0;
    Status st = ForEachChunk(n, [&](size_t start, size_t rows) {
      EXPECT_EQ(start, next) << "n=" << n;
      EXPECT_TRUE(std::has_single_bit(rows)) << "n=" << n << " rows=" << rows;
      EXPECT_LE(rows, kMaxBatchRows);
      next += rows;
      ++statements;
      return Status::Ok();
    });
    EXPECT_TRUE(st.ok());
    EXPECT_EQ(next, n);
    // One statement per set bit below kMaxBatchRows, plus one per full 1,024.
    EXPECT_EQ(statements, n / kMaxBatchRows + std::popcount(n % kMaxBatchRows)) << "n=" << n;
  }
}

TEST(BatchTest, TheFirstFailingChunkStopsTheWrite) {
  int calls = 0;
  Status st = ForEachChunk(13, [&](size_t, size_t rows) {
    ++calls;
    return rows == 4 ? Status(ErrorClass::kTransient, "chunk of 4 failed") : Status::Ok();
  });
  EXPECT_FALSE(st.ok());
  EXPECT_EQ(st.message(), "chunk of 4 failed");
  EXPECT_EQ(calls, 2);  // 8, then 4; the 1 is never written
}

TEST(BatchTest, InListRoundsUpAndRepeatsTheLastId) {
  std::vector<Param> params;
  std::string in = InList({5, 6, 7}, params);
  EXPECT_EQ(in, "?, ?, ?, ?, ?, ?, ?, ?");
  ASSERT_EQ(params.size(), 8u);
}

}  // namespace
}  // namespace tayori::store
