#include "core/notices/notice.h"

#include <gtest/gtest.h>

#include "sample_registry.h"
#include "support/status_testing.h"

namespace tsodso::core {
namespace {

using ::tsodso::testing::SampleRegistry;
using ::tsodso::testing::StatusIs;

class NoticeTest : public ::testing::Test {
 protected:
  absl::StatusOr<Notice> Make(const NoticeRequest& req) {
    return MakeNotice(req, reg_, *reg_.FindById("dso-operator"), now_, "id-1");
  }
  static NoticeRequest Valid() {
    NoticeRequest r;
    r.severity = 2;
    r.text = "Congestion expected on the 220 kV busbar";
    return r;
  }
  std::string Repeat(const std::string& s, size_t n) {
    std::string out;
    for (size_t i = 0; i < n; ++i) out += s;
    return out;
  }

  const PartyRegistry reg_ = SampleRegistry();
  const absl::Time now_ = absl::FromUnixSeconds(1'700'000'000);
};

TEST_F(NoticeTest, DefaultsAreNowAndTwentyFourHours) {
  auto n = Make(Valid());
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(n->id, "id-1");
  EXPECT_EQ(n->severity, Severity::kWarning);
  EXPECT_EQ(n->text, Valid().text);
  EXPECT_EQ(n->valid_from, now_);
  EXPECT_EQ(n->valid_to, now_ + absl::Hours(24));
  EXPECT_EQ(n->published_by, "dso-operator");
  EXPECT_TRUE(n->pcc_ids.empty());
}

TEST_F(NoticeTest, DefaultValidToFollowsAGivenValidFrom) {
  NoticeRequest r = Valid();
  r.valid_from = now_ + absl::Hours(3);
  auto n = Make(r);
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(n->valid_from, now_ + absl::Hours(3));
  EXPECT_EQ(n->valid_to, now_ + absl::Hours(27));
}

TEST_F(NoticeTest, ExplicitWindowIsKept) {
  NoticeRequest r = Valid();
  r.valid_from = now_ - absl::Hours(1);
  r.valid_to = now_ + absl::Minutes(5);
  auto n = Make(r);
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(n->valid_from, now_ - absl::Hours(1));
  EXPECT_EQ(n->valid_to, now_ + absl::Minutes(5));
}

TEST_F(NoticeTest, BadSeverityIsRejectedNamingTheValue) {
  for (int bad : {0, 4, -1}) {
    NoticeRequest r = Valid();
    r.severity = bad;
    EXPECT_TRUE(StatusIs(Make(r), absl::StatusCode::kInvalidArgument, {"severity", std::to_string(bad)})) << bad;
  }
  for (int good : {1, 2, 3}) {
    NoticeRequest r = Valid();
    r.severity = good;
    auto n = Make(r);
    ASSERT_TRUE(n.ok()) << n.status();
    EXPECT_EQ(static_cast<int>(n->severity), good);
  }
}

TEST_F(NoticeTest, BlankTextIsRejected) {
  for (const char* text : {"", " ", "\t\r\n  "}) {
    NoticeRequest r = Valid();
    r.text = text;
    EXPECT_TRUE(StatusIs(Make(r), absl::StatusCode::kInvalidArgument, {"text"})) << '"' << text << '"';
  }
}

TEST_F(NoticeTest, TextLimitCountsCodePointsNotBytes) {
  NoticeRequest r = Valid();
  r.text = std::string(4000, 'a');
  EXPECT_TRUE(Make(r).ok());

  r.text = std::string(4001, 'a');
  EXPECT_TRUE(StatusIs(Make(r), absl::StatusCode::kInvalidArgument, {"text", "4001", "4000"}));

  // 4000 characters of 2, 3 and 4 bytes each: 8000 to 16000 bytes, accepted.
  for (const char* ch : {"\xC3\xA8" /* è */, "\xE2\x82\xAC" /* € */, "\xF0\x9F\x94\x8C" /* 🔌 */}) {
    r.text = Repeat(ch, 4000);
    ASSERT_GT(r.text.size(), 4000u);
    auto n = Make(r);
    EXPECT_TRUE(n.ok()) << n.status();
    r.text = Repeat(ch, 4001);
    EXPECT_TRUE(StatusIs(Make(r), absl::StatusCode::kInvalidArgument, {"text", "4001"}));
  }
}

TEST_F(NoticeTest, ValidToMustBeAfterValidFrom) {
  NoticeRequest r = Valid();
  r.valid_from = now_;
  r.valid_to = now_;
  EXPECT_TRUE(StatusIs(Make(r), absl::StatusCode::kInvalidArgument, {"valid_to", "2023-11-14T22:13:20"}));
  r.valid_to = now_ - absl::Seconds(1);
  EXPECT_TRUE(StatusIs(Make(r), absl::StatusCode::kInvalidArgument, {"valid_to", "2023-11-14T22:13:19"}));
  // A given valid_to before the default valid_from (now) is refused too.
  NoticeRequest only_to = Valid();
  only_to.valid_to = now_ - absl::Hours(1);
  EXPECT_TRUE(StatusIs(Make(only_to), absl::StatusCode::kInvalidArgument, {"valid_to"}));
}

TEST_F(NoticeTest, UnknownPccIsRejectedNamingTheIndexAndId) {
  NoticeRequest r = Valid();
  r.pcc_ids = {"PS_SUD", "PS_NORD"};
  EXPECT_TRUE(StatusIs(Make(r), absl::StatusCode::kInvalidArgument, {"pcc_ids[1]", "'PS_NORD'"}));
}

TEST_F(NoticeTest, PccsAreSortedAndDeduplicated) {
  NoticeRequest r = Valid();
  r.pcc_ids = {"PS_SUD", "PS_EST", "PS_SUD", "PS_OVEST", "PS_EST"};
  auto n = Make(r);
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(n->pcc_ids, (std::vector<std::string>{"PS_EST", "PS_OVEST", "PS_SUD"}));
}

TEST_F(NoticeTest, EnvelopesOnePerPcc) {
  NoticeRequest r = Valid();
  r.pcc_ids = {"PS_SUD", "PS_EST", "PS_SUD"};
  auto n = Make(r);
  ASSERT_TRUE(n.ok()) << n.status();
  const std::vector<Envelope> envs = NoticeEnvelopes(*n);
  ASSERT_EQ(envs.size(), 2u);
  EXPECT_EQ(envs[0].pcc_id, "PS_EST");
  EXPECT_EQ(envs[1].pcc_id, "PS_SUD");
  for (const Envelope& e : envs) {
    EXPECT_EQ(e.topic, Topic::kNotice);
    EXPECT_TRUE(e.recipient_party_id.empty());
    EXPECT_EQ(e.audience, kAllRoles);
  }
}

TEST_F(NoticeTest, EnvelopeForEveryoneWhenNoPcc) {
  auto n = Make(Valid());
  ASSERT_TRUE(n.ok()) << n.status();
  const std::vector<Envelope> envs = NoticeEnvelopes(*n);
  ASSERT_EQ(envs.size(), 1u);
  EXPECT_EQ(envs[0].pcc_id, "");
  EXPECT_EQ(envs[0].recipient_party_id, "");
  EXPECT_EQ(envs[0].audience, kAllRoles);
  EXPECT_EQ(envs[0].topic, Topic::kNotice);
}

TEST(IdempotencyKeyTest, AcceptsPrintableAsciiUpTo128) {
  EXPECT_TRUE(ValidateIdempotencyKey("a").ok());
  EXPECT_TRUE(ValidateIdempotencyKey("notice-2024-01-01T00:00:00Z#1").ok());
  EXPECT_TRUE(ValidateIdempotencyKey(std::string(128, 'k')).ok());
  EXPECT_TRUE(ValidateIdempotencyKey("!~").ok());
}

TEST(IdempotencyKeyTest, RejectsEmptyTooLongAndNonPrintable) {
  EXPECT_TRUE(StatusIs(ValidateIdempotencyKey(""), absl::StatusCode::kInvalidArgument, {"idempotency_key", "0"}));
  EXPECT_TRUE(StatusIs(ValidateIdempotencyKey(std::string(129, 'k')), absl::StatusCode::kInvalidArgument,
                       {"idempotency_key", "129"}));
  for (const std::string& key : {std::string("with space"), std::string("tab\there"), std::string("nul\0x", 5),
                                 std::string("del\x7f"), std::string("caf\xC3\xA9")}) {
    EXPECT_TRUE(StatusIs(ValidateIdempotencyKey(key), absl::StatusCode::kInvalidArgument, {"idempotency_key"})) << key;
  }
  EXPECT_TRUE(StatusIs(ValidateIdempotencyKey("bad key"), absl::StatusCode::kInvalidArgument, {"'bad key'"}));
}

TEST(Utf8LengthTest, CountsCodePoints) {
  EXPECT_EQ(Utf8Length(""), 0u);
  EXPECT_EQ(Utf8Length("abc"), 3u);
  EXPECT_EQ(Utf8Length("\xC3\xA8\xE2\x82\xAC\xF0\x9F\x94\x8C"), 3u);
}

}  // namespace
}  // namespace tsodso::core
