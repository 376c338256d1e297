// The request checks at the wire boundary: each field checker on its own,
// and the walker over whole requests naming the path of what it refuses.
#include "service/wire_checks.h"

#include <gtest/gtest.h>

#include <string>

#include "absl/strings/escaping.h"
#include "support/status_testing.h"
#include "tsodso/v1/feed.pb.h"
#include "tsodso/v1/operator.pb.h"
#include "tsodso/v1/prequalification.pb.h"
#include "tsodso/v1/schedule.pb.h"
#include "tsodso/v1/validation.pb.h"

namespace tsodso::service {
namespace {

using ::tsodso::testing::StatusIs;

constexpr absl::StatusCode kInvalid = absl::StatusCode::kInvalidArgument;

google::protobuf::Timestamp At(int64_t seconds, int32_t nanos = 0) {
  google::protobuf::Timestamp ts;
  ts.set_seconds(seconds);
  ts.set_nanos(nanos);
  return ts;
}

int64_t Seconds(int year) {
  return absl::ToUnixSeconds(absl::FromCivil(absl::CivilSecond(year, 1, 1, 0, 0, 0), absl::UTCTimeZone()));
}

TEST(Utf8Test, AcceptsWellFormedText) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("PS_SUD"));
  EXPECT_TRUE(IsValidUtf8("Congestione \xE2\x80\x94 220 kV"));  // em dash
  EXPECT_TRUE(IsValidUtf8("\xC3\xA8"));                         // è
  EXPECT_TRUE(IsValidUtf8("\xF0\x9F\x94\x8C"));                 // U+1F50C
  EXPECT_TRUE(IsValidUtf8("\xF4\x8F\xBF\xBF"));                 // U+10FFFF
  EXPECT_TRUE(IsValidUtf8("\xED\x9F\xBF"));                     // U+D7FF
}

TEST(Utf8Test, RefusesMalformedText) {
  for (const std::string bad : {
           "\xC3\x28",          // a lead byte without its continuation
           "\xA0\xA1",          // a continuation without a lead
           "\xC0\xAF",          // overlong '/'
           "\xE0\x80\xAF",      // overlong '/' in three bytes
           "\xED\xA0\x80",      // a surrogate (U+D800)
           "\xF4\x90\x80\x80",  // above U+10FFFF
           "\xF8\x88\x80\x80\x80", "\xFF",
           "ok\xE2\x82",  // cut short at the end
       }) {
    EXPECT_FALSE(IsValidUtf8(bad)) << absl::CEscape(bad);
  }
}

TEST(CheckTextTest, RefusesNulInvalidUtf8AndOverLongStrings) {
  EXPECT_TRUE(CheckText("pcc_id", "PS_SUD", 128).ok());
  EXPECT_TRUE(StatusIs(CheckText("resource_ids[0]", std::string("POD\0X", 5), 128), kInvalid,
                       {"resource_ids[0]: contains a NUL byte"}));
  EXPECT_TRUE(StatusIs(CheckText("pcc_id", "PS\xC3\x28", 128), kInvalid, {"pcc_id: is not valid UTF-8"}));
  EXPECT_TRUE(CheckText("pcc_id", std::string(128, 'x'), 128).ok());
  EXPECT_TRUE(StatusIs(CheckText("pcc_id", std::string(129, 'x'), 128), kInvalid,
                       {"pcc_id: 129 characters is more than the limit of 128"}));
}

TEST(CheckTextTest, CountsCharactersNotBytes) {
  // 4000 three-byte characters: 12000 bytes, within a 4000-character limit.
  std::string text;
  for (int i = 0; i < 4000; ++i) text += "\xE2\x80\x94";
  EXPECT_TRUE(CheckText("text", text, 4000).ok());
  text += "a";
  EXPECT_TRUE(
      StatusIs(CheckText("text", text, 4000), kInvalid, {"text: 4001 characters is more than the limit of 4000"}));
}

TEST(CheckTimeTest, AcceptsOperationalTimes) {
  EXPECT_TRUE(CheckTime("from", At(Seconds(2000))).ok());
  EXPECT_TRUE(CheckTime("from", At(1'790'000'000, 999'999'999)).ok());
  EXPECT_TRUE(CheckTime("to", At(Seconds(2100))).ok());
}

TEST(CheckTimeTest, RefusesTimesOutsideProtobufsRange) {
  // Year 0 and the extremes of the seconds field.
  EXPECT_TRUE(StatusIs(CheckTime("valid_from", At(-62'167'219'200)), kInvalid,
                       {"valid_from: seconds -62167219200 is outside google.protobuf.Timestamp's range",
                        "0001-01-01T00:00:00Z .. 9999-12-31T23:59:59Z"}));
  EXPECT_TRUE(StatusIs(CheckTime("valid_from", At(-92'000'000'000'000'000)), kInvalid, {"valid_from: seconds"}));
  EXPECT_TRUE(StatusIs(CheckTime("valid_to", At(253'402'300'800)), kInvalid, {"valid_to: seconds 253402300800"}));
  EXPECT_TRUE(StatusIs(CheckTime("as_of", At(INT64_MAX)), kInvalid, {"as_of: seconds"}));
  EXPECT_TRUE(
      StatusIs(CheckTime("as_of", At(Seconds(2030), -1)), kInvalid, {"as_of: nanos -1 is outside 0 .. 999999999"}));
  EXPECT_TRUE(
      StatusIs(CheckTime("as_of", At(Seconds(2030), 1'000'000'000)), kInvalid, {"as_of: nanos 1000000000 is outside"}));
}

TEST(CheckTimeTest, RefusesTimesBefore2000AndAfter2100) {
  EXPECT_TRUE(StatusIs(CheckTime("intervals[3].start", At(-62'135'596'800)), kInvalid,
                       {"intervals[3].start: 0001-01-01T00:00:00Z is before 2000-01-01T00:00:00Z"}));
  EXPECT_TRUE(StatusIs(CheckTime("from", At(Seconds(1990))), kInvalid,
                       {"from: 1990-01-01T00:00:00Z is before 2000-01-01T00:00:00Z"}));
  EXPECT_TRUE(StatusIs(CheckTime("from", At(Seconds(2000) - 1, 999'999'999)), kInvalid, {"is before 2000-01-01"}));
  EXPECT_TRUE(StatusIs(CheckTime("to", At(Seconds(2200))), kInvalid,
                       {"to: 2200-01-01T00:00:00Z is after 2100-01-01T00:00:00Z"}));
  EXPECT_TRUE(StatusIs(CheckTime("to", At(Seconds(2100), 1)), kInvalid, {"is after 2100-01-01"}));
  EXPECT_TRUE(StatusIs(CheckTime("to", At(253'402'300'799)), kInvalid, {"to: 9999-12-31T23:59:59Z is after"}));
}

TEST(CheckDurationTest, RefusesOutOfRangeAndMixedSigns) {
  google::protobuf::Duration d;
  d.set_seconds(900);
  EXPECT_TRUE(CheckDuration("step", d).ok());
  d.set_seconds(-1);
  d.set_nanos(-5);
  EXPECT_TRUE(CheckDuration("step", d).ok());
  d.set_seconds(315'576'000'001);
  d.set_nanos(0);
  EXPECT_TRUE(StatusIs(CheckDuration("step", d), kInvalid, {"step: seconds 315576000001 is outside"}));
  d.set_seconds(5);
  d.set_nanos(-1);
  EXPECT_TRUE(StatusIs(CheckDuration("step", d), kInvalid, {"step: nanos -1"}));
  d.set_nanos(1'000'000'000);
  EXPECT_TRUE(StatusIs(CheckDuration("step", d), kInvalid, {"step: nanos 1000000000"}));
}

TEST(CheckCountTest, NamesTheFieldAndTheLimit) {
  EXPECT_TRUE(CheckCount("pcc_ids", 1000, 1000).ok());
  EXPECT_TRUE(
      StatusIs(CheckCount("pcc_ids", 1001, 1000), kInvalid, {"pcc_ids: 1001 entries are more than the limit of 1000"}));
}

TEST(CheckRequestTest, AcceptsAnOrdinaryRequest) {
  v1::ValidateMeritOrderRequest mol;
  mol.set_validation_id("mol-1");
  mol.set_direction(v1::DIRECTION_UP);
  v1::Bid* bid = mol.add_bids();
  bid->set_bid_id("b-1");
  bid->set_bsp_party_id("agg-1");
  bid->add_resource_ids("IT001E00000001");
  bid->set_pcc_id("PS_SUD");
  bid->set_quantity_mw(1);
  *bid->mutable_isp_start() = At(1'790'000'100);
  EXPECT_TRUE(CheckRequest(mol).ok());
  EXPECT_TRUE(CheckRequest(v1::SubscribeRequest()).ok());
}

TEST(CheckRequestTest, NamesThePathOfANestedString) {
  v1::ValidateMeritOrderRequest mol;
  mol.set_validation_id("mol-1");
  mol.add_bids()->add_resource_ids("IT001E00000001");
  v1::Bid* bad = mol.add_bids();
  bad->add_resource_ids("IT001E00000002");
  bad->add_resource_ids(std::string("IT001\0", 6));
  EXPECT_TRUE(StatusIs(CheckRequest(mol), kInvalid, {"bids[1].resource_ids[1]: contains a NUL byte"}));
}

TEST(CheckRequestTest, NamesThePathOfANestedTime) {
  v1::SubmitScheduleRequest schedule;
  for (int i = 0; i < 4; ++i) *schedule.add_intervals()->mutable_start() = At(1'790'000'100 + 900 * i);
  *schedule.mutable_intervals(3)->mutable_start() = At(-62'135'596'800);
  EXPECT_TRUE(StatusIs(CheckRequest(schedule), kInvalid,
                       {"intervals[3].start: 0001-01-01T00:00:00Z is before 2000-01-01T00:00:00Z"}));
}

TEST(CheckRequestTest, AppliesTheLimitsOfEachField) {
  // A notice's text may be 4000 characters, a PCC id 128.
  v1::PublishNoticeRequest notice;
  notice.set_text(std::string(4000, 'x'));
  EXPECT_TRUE(CheckRequest(notice).ok());
  notice.set_text(std::string(4001, 'x'));
  EXPECT_TRUE(StatusIs(CheckRequest(notice), kInvalid, {"text: 4001 characters is more than the limit of 4000"}));
  notice.set_text("ok");
  notice.add_pcc_ids(std::string(129, 'P'));
  EXPECT_TRUE(StatusIs(CheckRequest(notice), kInvalid, {"pcc_ids[0]: 129 characters is more than the limit of 128"}));

  // A MOL may hold 10,000 bids, a prequalification 1000 assets.
  v1::ValidateMeritOrderRequest mol;
  for (int i = 0; i < 10'000; ++i) mol.add_bids();
  EXPECT_TRUE(CheckRequest(mol).ok());
  mol.add_bids();
  EXPECT_TRUE(StatusIs(CheckRequest(mol), kInvalid, {"bids: 10001 entries are more than the limit of 10000"}));
  v1::PrequalificationRequest assets;
  for (int i = 0; i < 1001; ++i) assets.add_assets();
  EXPECT_TRUE(StatusIs(CheckRequest(assets), kInvalid, {"assets: 1001 entries are more than the limit of 1000"}));
  v1::SubscribeRequest subscribe;
  for (int i = 0; i < 1001; ++i) subscribe.add_topics(v1::TOPIC_NOTICE);
  EXPECT_TRUE(StatusIs(CheckRequest(subscribe), kInvalid, {"topics: 1001 entries are more than the limit of 1000"}));
}

// Bytes protobuf's parser refuses are diagnosed from the wire: the path of
// the string that is not UTF-8, or a malformed encoding.
TEST(DiagnoseUnparsableTest, NamesTheStringThatIsNotUtf8) {
  v1::ValidateMeritOrderRequest mol;
  mol.set_validation_id("mol-1");
  mol.add_bids()->add_resource_ids("IT001E00000001");
  v1::Bid* bad = mol.add_bids();
  bad->add_resource_ids("IT001E00000002");
  bad->add_resource_ids("IT001\xC3\x28");
  const std::string bytes = mol.SerializeAsString();
  ASSERT_FALSE(v1::ValidateMeritOrderRequest().ParseFromString(bytes));
  EXPECT_TRUE(StatusIs(DiagnoseUnparsable(*mol.GetDescriptor(), bytes), kInvalid,
                       {"bids[1].resource_ids[1]: is not valid UTF-8"}));

  v1::PublishNoticeRequest notice;
  notice.set_text("Congestione \xE2\x80");  // cut inside a character
  EXPECT_TRUE(StatusIs(DiagnoseUnparsable(*notice.GetDescriptor(), notice.SerializeAsString()), kInvalid,
                       {"text: is not valid UTF-8"}));
}

TEST(DiagnoseUnparsableTest, SaysWhenTheEncodingIsMalformed) {
  v1::SubscribeRequest subscribe;
  subscribe.add_topics(v1::TOPIC_NOTICE);
  // A length-delimited field that claims 255 bytes and has none.
  const std::string bytes = subscribe.SerializeAsString() + std::string("\x0a\xff\x01", 3);
  EXPECT_TRUE(StatusIs(DiagnoseUnparsable(*subscribe.GetDescriptor(), bytes), kInvalid,
                       {"is not a valid tsodso.v1.SubscribeRequest message: its protobuf encoding is malformed"}));
}

TEST(EncodeRefusalTest, CheckRequestAnswersWithTheRefusal) {
  const absl::Status refusal = absl::InvalidArgumentError("text: is not valid UTF-8");
  v1::PublishNoticeRequest stand_in;
  ASSERT_TRUE(stand_in.ParseFromString(EncodeRefusal(refusal)));
  EXPECT_EQ(CheckRequest(stand_in), refusal);
  // The refusal is an unknown field: it shows nowhere in the request.
  EXPECT_EQ(stand_in.ByteSizeLong(), EncodeRefusal(refusal).size());
  EXPECT_TRUE(stand_in.text().empty());
}

}  // namespace
}  // namespace tsodso::service
