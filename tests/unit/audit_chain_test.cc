#include "core/audit/audit_chain.h"

#include <gtest/gtest.h>

#include <functional>

#include "absl/strings/str_cat.h"
#include "support/status_testing.h"

namespace tsodso::core {
namespace {

using ::tsodso::testing::StatusIs;

// Build a linked chain of `n` records with ids 1..n.
std::vector<AuditRecord> Chain(int n) {
  std::vector<AuditRecord> out;
  std::string prev = kGenesisHash;
  for (int i = 1; i <= n; ++i) {
    AuditRecord r;
    r.id = i;
    r.at = absl::FromUnixMicros(1'700'000'000'000'000 + i * 1000);
    r.party_id = i % 2 ? "agg-1" : "dso-operator";
    r.method = "/tsodso.v1.OperatorService/PublishNotice";
    r.outcome = i % 3 ? "OK" : "PERMISSION_DENIED";
    r.request_digest = Sha256Hex(absl::StrCat("request ", i));
    r.response_digest = Sha256Hex(absl::StrCat("response ", i));
    r.prev_hash = prev;
    r.hash = ChainHash(r);
    prev = r.hash;
    out.push_back(r);
  }
  return out;
}

TEST(Sha256HexTest, KnownVectors) {
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(ChainHashTest, IsHexSha256AndIgnoresOwnHash) {
  AuditRecord r = Chain(1)[0];
  const std::string h = ChainHash(r);
  EXPECT_EQ(h.size(), 64u);
  EXPECT_EQ(h.find_first_not_of("0123456789abcdef"), std::string::npos);
  r.hash = "anything";
  EXPECT_EQ(ChainHash(r), h);
}

TEST(ChainHashTest, ChangesWhenAnyFieldChanges) {
  const AuditRecord base = Chain(1)[0];
  const std::string h = ChainHash(base);
  const std::vector<std::pair<const char*, std::function<void(AuditRecord&)>>> edits = {
      {"id", [](AuditRecord& r) { r.id = 2; }},
      {"at", [](AuditRecord& r) { r.at += absl::Microseconds(1); }},
      {"party_id", [](AuditRecord& r) { r.party_id = "agg-2"; }},
      {"party_id empty", [](AuditRecord& r) { r.party_id = ""; }},
      {"method", [](AuditRecord& r) { r.method = "/tsodso.v1.FeedService/Subscribe"; }},
      {"outcome", [](AuditRecord& r) { r.outcome = "INTERNAL"; }},
      {"request_digest", [](AuditRecord& r) { r.request_digest[0] ^= 1; }},
      {"response_digest", [](AuditRecord& r) { r.response_digest = ""; }},
      {"prev_hash", [](AuditRecord& r) { r.prev_hash = std::string(64, 'f'); }},
  };
  for (const auto& [name, edit] : edits) {
    AuditRecord r = base;
    edit(r);
    EXPECT_NE(ChainHash(r), h) << name;
  }
}

TEST(ChainHashTest, FieldBoundariesAreUnambiguous) {
  AuditRecord a = Chain(1)[0];
  AuditRecord b = a;
  a.party_id = "ab";
  a.method = "c";
  b.party_id = "a";
  b.method = "bc";
  EXPECT_NE(ChainHash(a), ChainHash(b));
  a.outcome = "OK;";
  a.request_digest = "";
  b = a;
  b.outcome = "OK";
  b.request_digest = ";";
  EXPECT_NE(ChainHash(a), ChainHash(b));
}

TEST(VerifyChainTest, GoodChainVerifies) {
  const auto chain = Chain(10);
  EXPECT_TRUE(VerifyChain(chain, 1, kGenesisHash).ok());
  EXPECT_TRUE(VerifyChain({}, 1, kGenesisHash).ok());
}

TEST(VerifyChainTest, TailVerifiesFromItsPredecessor) {
  const auto chain = Chain(10);
  const std::vector<AuditRecord> tail(chain.begin() + 4, chain.end());
  EXPECT_TRUE(VerifyChain(tail, 5, chain[3].hash).ok());
  EXPECT_TRUE(StatusIs(VerifyChain(tail, 5, kGenesisHash), absl::StatusCode::kDataLoss, {"audit record 5"}));
  EXPECT_TRUE(StatusIs(VerifyChain(tail, 4, chain[3].hash), absl::StatusCode::kDataLoss, {"4", "missing"}));
}

TEST(VerifyChainTest, AlteredFieldIsDataLossNamingTheRecord) {
  auto chain = Chain(10);
  chain[6].party_id = "someone-else";
  EXPECT_TRUE(StatusIs(VerifyChain(chain, 1, kGenesisHash), absl::StatusCode::kDataLoss,
                       {"audit record 7", "altered", "someone-else"}));
}

TEST(VerifyChainTest, AlteredTimeIsDetected) {
  auto chain = Chain(5);
  chain[1].at += absl::Seconds(1);
  EXPECT_TRUE(StatusIs(VerifyChain(chain, 1, kGenesisHash), absl::StatusCode::kDataLoss, {"audit record 2"}));
}

TEST(VerifyChainTest, MissingRecordIsDataLoss) {
  auto chain = Chain(10);
  chain.erase(chain.begin() + 4);  // record 5
  EXPECT_TRUE(
      StatusIs(VerifyChain(chain, 1, kGenesisHash), absl::StatusCode::kDataLoss, {"audit record 5 is missing", "6"}));
}

TEST(VerifyChainTest, BrokenPrevHashIsDataLossEvenWhenOwnHashIsRecomputed) {
  auto chain = Chain(10);
  // A forger rewrites record 4 consistently with itself, but cannot fix the
  // link from record 3 without rewriting everything before it.
  chain[3].prev_hash = std::string(64, 'a');
  chain[3].hash = ChainHash(chain[3]);
  EXPECT_TRUE(
      StatusIs(VerifyChain(chain, 1, kGenesisHash), absl::StatusCode::kDataLoss, {"audit record 4", "prev_hash"}));
}

TEST(VerifyChainTest, RecomputedRecordBreaksTheNextLink) {
  auto chain = Chain(10);
  chain[3].outcome = "FORGED";
  chain[3].hash = ChainHash(chain[3]);
  EXPECT_TRUE(
      StatusIs(VerifyChain(chain, 1, kGenesisHash), absl::StatusCode::kDataLoss, {"audit record 5", "prev_hash"}));
}

TEST(VerifyChainTest, SwappedRecordsAreDetected) {
  auto chain = Chain(6);
  std::swap(chain[2], chain[3]);
  EXPECT_TRUE(StatusIs(VerifyChain(chain, 1, kGenesisHash), absl::StatusCode::kDataLoss, {"audit record 3"}));
}

}  // namespace
}  // namespace tsodso::core
