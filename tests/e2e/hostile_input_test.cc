// Hostile values in every field of every RPC that has one, sent to the real
// daemon as a role allowed to make the call: NUL bytes, invalid UTF-8 and
// over-long strings, times outside google.protobuf.Timestamp's range or
// outside the years 2000..2100, nanos out of range, repeated fields one
// entry over their limit. Each must be INVALID_ARGUMENT naming the field
// and why, audited as such, with nothing stored.
//
// Invalid UTF-8 is refused by protobuf's parser before any handler sees
// the request (proto3 strings must be UTF-8); the gateway's parse guard
// (api/parse_guard.h) answers it all the same, naming the field, and so it
// answers bytes that are no protobuf at all.
//
// Each RPC has a complete request here; the hostile variants are derived
// from it by walking its fields, so a field added to a request is spoilt
// too (and the test fails until the complete request sets it).
#include <google/protobuf/descriptor.h>
#include <google/protobuf/timestamp.pb.h>

#include <functional>
#include <iostream>
#include <map>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "e2e/e2e_util.h"
#include "e2e/generic_call.h"
#include "service/wire_checks.h"
#include "store/pg.h"
#include "tsodso/v1/feed.pb.h"
#include "tsodso/v1/flexibility.pb.h"
#include "tsodso/v1/forecast.pb.h"
#include "tsodso/v1/operator.pb.h"
#include "tsodso/v1/prequalification.pb.h"
#include "tsodso/v1/schedule.pb.h"
#include "tsodso/v1/validation.pb.h"

namespace tsodso::testing {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

// A time an hour ahead, on the quarter hour.
int64_t Soon() {
  const int64_t now = absl::ToUnixSeconds(absl::Now());
  return now - now % 900 + 3600;
}

void SetTime(google::protobuf::Timestamp* ts, int64_t seconds) { ts->set_seconds(seconds); }

// An RPC, the role that may call it, and a request with every string,
// message and repeated field set.
struct Target {
  std::string path;
  std::string who;
  std::function<std::unique_ptr<Message>()> request;
};

std::vector<Target> Targets() {
  std::vector<Target> t;
  t.push_back({"/tsodso.v1.OperatorService/PublishNotice", "operator", [] {
                 auto r =
                     std::make_unique<v1::PublishNoticeRequest>(NoticeRequest("hostile", {"PS_SUD"}, "hostile-notice"));
                 SetTime(r->mutable_valid_from(), Soon());
                 SetTime(r->mutable_valid_to(), Soon() + 3600);
                 return r;
               }});
  t.push_back({"/tsodso.v1.OperatorService/DeclareIntervention", "operator", [] {
                 auto r = std::make_unique<v1::DeclareInterventionRequest>();
                 r->set_idempotency_key("hostile-intervention");
                 r->set_pcc_id("PS_SUD");
                 SetTime(r->mutable_from(), Soon());
                 SetTime(r->mutable_to(), Soon() + 900);
                 return r;
               }});
  t.push_back({"/tsodso.v1.OperatorService/IssueCurtailment", "operator", [] {
                 auto r = std::make_unique<v1::IssueCurtailmentRequest>();
                 r->set_idempotency_key("hostile-curtailment");
                 r->set_pcc_id("PS_SUD");
                 SetTime(r->mutable_from(), Soon());
                 SetTime(r->mutable_to(), Soon() + 900);
                 v1::CurtailmentOrder* o = r->add_orders();
                 o->set_portfolio_id("agg1-sud-vpp");
                 o->set_max_injection_mw(1);
                 r->set_text("hold back");
                 return r;
               }});
  t.push_back({"/tsodso.v1.OperatorService/GetCurtailmentStatus", "operator", [] {
                 auto r = std::make_unique<v1::GetCurtailmentStatusRequest>();
                 r->set_curtailment_id("6f1c1f3e-4c1a-4c8e-9b59-0d3c2c1a7e10");
                 return r;
               }});
  t.push_back({"/tsodso.v1.CurtailmentService/AcknowledgeNotice", "agg1", [] {
                 auto r = std::make_unique<v1::AcknowledgeNoticeRequest>();
                 r->set_notice_id("6f1c1f3e-4c1a-4c8e-9b59-0d3c2c1a7e10");
                 return r;
               }});
  t.push_back({"/tsodso.v1.FlexibilityService/GetFlexibility", "tso", [] {
                 auto r = std::make_unique<v1::GetFlexibilityRequest>();
                 r->set_pcc_id("PS_SUD");
                 SetTime(r->mutable_from(), Soon());
                 SetTime(r->mutable_to(), Soon() + 3600);
                 r->set_scenario("2030");
                 return r;
               }});
  t.push_back({"/tsodso.v1.ForecastService/GetForecast", "tso", [] {
                 auto r = std::make_unique<v1::GetForecastRequest>();
                 r->set_pcc_id("PS_SUD");
                 r->set_kind(v1::FORECAST_KIND_INTRADAY);
                 SetTime(r->mutable_from(), Soon());
                 SetTime(r->mutable_to(), Soon() + 3600);
                 SetTime(r->mutable_as_of(), Soon() - 3600);
                 return r;
               }});
  t.push_back({"/tsodso.v1.BidValidationService/ValidateMeritOrder", "tso", [] {
                 auto r = std::make_unique<v1::ValidateMeritOrderRequest>();
                 r->set_validation_id("hostile-mol");
                 r->set_direction(v1::DIRECTION_UP);
                 v1::Bid* b = r->add_bids();
                 b->set_bid_id("b-1");
                 b->set_bsp_party_id("agg-1");
                 b->add_resource_ids("agg1-bess-01");
                 b->set_pcc_id("PS_SUD");
                 b->set_quantity_mw(1);
                 SetTime(b->mutable_isp_start(), Soon());
                 return r;
               }});
  t.push_back({"/tsodso.v1.BidValidationService/GetTrafficLights", "tso", [] {
                 auto r = std::make_unique<v1::GetTrafficLightsRequest>();
                 r->set_pcc_id("PS_SUD");
                 SetTime(r->mutable_from(), Soon());
                 SetTime(r->mutable_to(), Soon() + 3600);
                 return r;
               }});
  t.push_back({"/tsodso.v1.ScheduleService/SubmitSchedule", "agg1", [] {
                 auto r = std::make_unique<v1::SubmitScheduleRequest>();
                 r->set_idempotency_key("hostile-schedule");
                 r->set_portfolio_id("agg1-sud-vpp");
                 r->set_pcc_id("PS_SUD");
                 r->set_revision(1);
                 v1::ScheduleInterval* i = r->add_intervals();
                 SetTime(i->mutable_start(), Soon());
                 i->set_p_mw(1);
                 return r;
               }});
  t.push_back({"/tsodso.v1.ScheduleService/GetSchedule", "agg1", [] {
                 auto r = std::make_unique<v1::GetScheduleRequest>();
                 r->set_portfolio_id("agg1-sud-vpp");
                 SetTime(r->mutable_as_of(), Soon());
                 return r;
               }});
  t.push_back({"/tsodso.v1.PrequalificationService/RequestPrequalification", "agg1", [] {
                 auto r = std::make_unique<v1::PrequalificationRequest>();
                 r->set_idempotency_key("hostile-prequalification");
                 v1::AssetClaim* a = r->add_assets();
                 a->set_resource_id("agg1-bess-01");
                 a->set_type(v1::ASSET_TYPE_BATTERY);
                 a->set_pcc_id("PS_SUD");
                 a->set_sn_mva(10);
                 a->set_p_min_mw(-8);
                 a->set_p_max_mw(8);
                 return r;
               }});
  t.push_back({"/tsodso.v1.FeedService/Subscribe", "operator", [] {
                 auto r = std::make_unique<v1::SubscribeRequest>();
                 r->add_topics(v1::TOPIC_NOTICE);
                 r->add_pcc_ids("PS_SUD");
                 return r;
               }});
  return t;
}

// Whether a request field can carry a hostile value.
bool Spoilable(const FieldDescriptor& f) {
  return f.is_repeated() || f.cpp_type() == FieldDescriptor::CPPTYPE_STRING ||
         f.cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE;
}

// The paths of the spoilable fields `message` leaves unset.
void UnsetFields(const Message& message, const std::string& path, std::vector<std::string>* out) {
  const Descriptor& d = *message.GetDescriptor();
  if (d.full_name() == "google.protobuf.Timestamp") return;
  const Reflection& r = *message.GetReflection();
  for (int i = 0; i < d.field_count(); ++i) {
    const FieldDescriptor& f = *d.field(i);
    if (!Spoilable(f)) continue;
    const std::string where = path.empty() ? f.name() : absl::StrCat(path, ".", f.name());
    const bool set = f.is_repeated() ? r.FieldSize(message, &f) > 0 : r.HasField(message, &f);
    if (!set) {
      out->push_back(where);
    } else if (f.cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      UnsetFields(f.is_repeated() ? r.GetRepeatedMessage(message, &f, 0) : r.GetMessage(message, &f), where, out);
    }
  }
}

// One hostile request: its bytes, the field path it spoils, and the pieces
// its refusal must carry.
struct Variant {
  std::string kind;
  std::string field;
  std::string bytes;
  std::vector<std::string> pieces;
  // False when protobuf's parser refuses the bytes before the gateway.
  bool parses = true;
};

// A step from a message to one of its fields (entry `index`, or -1).
struct Step {
  const FieldDescriptor* field;
  int index;
};

// The message at the end of `steps` from `root`.
Message* Walk(Message* root, const std::vector<Step>& steps) {
  Message* m = root;
  for (const Step& s : steps) {
    const Reflection& r = *m->GetReflection();
    m = s.index < 0 ? r.MutableMessage(m, s.field) : r.MutableRepeatedMessage(m, s.field, s.index);
  }
  return m;
}

struct TimeCase {
  std::string kind;
  int64_t seconds;
  int32_t nanos;
  std::string reason;
};

const std::vector<TimeCase>& TimeCases() {
  static const std::vector<TimeCase> cases = {
      {"year 0", -62'167'219'200, 0, "seconds -62167219200 is outside google.protobuf.Timestamp's range"},
      {"far below the range", -92'000'000'000'000'000, 0, "seconds -92000000000000000 is outside"},
      {"above the range", 253'402'300'800, 0, "seconds 253402300800 is outside"},
      {"year 1", -62'135'596'800, 0, "0001-01-01T00:00:00Z is before 2000-01-01T00:00:00Z"},
      {"year 1990", 631'152'000, 0, "1990-01-01T00:00:00Z is before 2000-01-01T00:00:00Z"},
      {"year 2200", 7'258'118'400, 0, "2200-01-01T00:00:00Z is after 2100-01-01T00:00:00Z"},
      {"nanos too large", 1'790'000'100, 1'000'000'000, "nanos 1000000000 is outside 0 .. 999999999"},
      {"negative nanos", 1'790'000'100, -1, "nanos -1 is outside"},
  };
  return cases;
}

// Derive the hostile variants of `base` for every field reachable through
// the first entry of each repeated field.
void Derive(const Message& base, std::vector<Step> steps, const std::string& path, std::vector<Variant>* out) {
  std::unique_ptr<Message> probe(base.New());
  probe->CopyFrom(base);
  const Message& at = *Walk(probe.get(), steps);
  const Descriptor& d = *at.GetDescriptor();
  const Reflection& r = *at.GetReflection();
  auto variant = [&](const std::string& kind, const std::string& field, const std::function<void(Message*)>& spoil,
                     std::vector<std::string> pieces) {
    std::unique_ptr<Message> copy(base.New());
    copy->CopyFrom(base);
    spoil(Walk(copy.get(), steps));
    std::string bytes = copy->SerializeAsString();
    const bool parses = copy->ParseFromString(bytes);
    out->push_back({kind, field, std::move(bytes), std::move(pieces), parses});
  };
  if (d.full_name() == "google.protobuf.Timestamp") {
    for (const TimeCase& c : TimeCases()) {
      variant(c.kind, path,
              [&](Message* m) {
                auto* ts = static_cast<google::protobuf::Timestamp*>(m);
                ts->set_seconds(c.seconds);
                ts->set_nanos(c.nanos);
              },
              {absl::StrCat(path, ": ", c.reason)});
    }
    return;
  }
  for (int i = 0; i < d.field_count(); ++i) {
    const FieldDescriptor* f = d.field(i);
    if (!Spoilable(*f)) continue;
    const std::string where = path.empty() ? f->name() : absl::StrCat(path, ".", f->name());
    if (f->is_repeated()) {
      const size_t max = service::MaxEntries(*f);
      variant("one entry too many", where,
              [&](Message* m) {
                const Reflection& mr = *m->GetReflection();
                while (static_cast<size_t>(mr.FieldSize(*m, f)) <= max) {
                  if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
                    mr.AddMessage(m, f)->CopyFrom(mr.GetRepeatedMessage(*m, f, 0));
                  } else if (f->cpp_type() == FieldDescriptor::CPPTYPE_STRING) {
                    mr.AddString(m, f, mr.GetRepeatedString(*m, f, 0));
                  } else {
                    mr.AddEnumValue(m, f, mr.GetRepeatedEnumValue(*m, f, 0));
                  }
                }
              },
              {absl::StrCat(where, ": ", max + 1, " entries are more than the limit of ", max)});
    }
    const std::string first = f->is_repeated() ? absl::StrCat(where, "[0]") : where;
    if (f->cpp_type() == FieldDescriptor::CPPTYPE_STRING) {
      const size_t max = service::MaxChars(*f);
      auto set = [f](Message* m, const std::string& value) {
        const Reflection& mr = *m->GetReflection();
        if (f->is_repeated()) {
          mr.SetRepeatedString(m, f, 0, value);
        } else {
          mr.SetString(m, f, value);
        }
      };
      variant("NUL byte", first, [&](Message* m) { set(m, std::string("PS\0SUD", 6)); },
              {absl::StrCat(first, ": contains a NUL byte")});
      variant("invalid UTF-8", first, [&](Message* m) { set(m, "PS\xC3\x28SUD"); },
              {absl::StrCat(first, ": is not valid UTF-8")});
      variant("over-long", first, [&](Message* m) { set(m, std::string(max + 1, 'x')); },
              {absl::StrCat(first, ": ", max + 1, " characters is more than the limit of ", max)});
    } else if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE && (f->is_repeated() || r.HasField(at, f))) {
      std::vector<Step> deeper = steps;
      deeper.push_back({f, f->is_repeated() ? 0 : -1});
      Derive(base, deeper, first, out);
    }
  }
}

TEST(HostileInputTest, EveryHostileValueIsInvalidArgumentNamingTheFieldWithNothingStored) {
  GatewayOptions opts;
  opts.dsn = PgCluster::Get().NewDatabase();
  auto gw = StartGateway(opts);
  ASSERT_NE(gw, nullptr);

  // Every RPC whose request has a field to spoil is in the table.
  const std::vector<Target> targets = Targets();
  std::set<std::string> covered;
  for (const Target& t : targets) covered.insert(t.path);
  for (const google::protobuf::MethodDescriptor* m : MethodsInProto()) {
    const std::string path = "/" + m->service()->full_name() + "/" + m->name();
    bool spoilable = false;
    for (int i = 0; i < m->input_type()->field_count(); ++i) spoilable |= Spoilable(*m->input_type()->field(i));
    EXPECT_TRUE(!spoilable || covered.count(path)) << path << " has fields to spoil but no complete request here";
  }

  std::map<std::string, std::unique_ptr<grpc::GenericStub>> stubs;
  int calls = 0;
  int unparsed = 0;
  std::map<std::string, int> by_kind;
  for (const Target& t : targets) {
    const std::unique_ptr<Message> base = t.request();
    std::vector<std::string> unset;
    UnsetFields(*base, "", &unset);
    EXPECT_TRUE(unset.empty()) << t.path << ": the complete request leaves unset: " << absl::StrJoin(unset, ", ");
    ASSERT_TRUE(service::CheckRequest(*base).ok()) << t.path << ": " << service::CheckRequest(*base);

    std::vector<Variant> variants;
    Derive(*base, {}, "", &variants);
    ASSERT_FALSE(variants.empty()) << t.path;
    // Bytes that are no protobuf: a length-delimited field 1 of 255 bytes
    // that end after none.
    variants.push_back({"malformed encoding",
                        "",
                        base->SerializeAsString() + std::string("\x0a\xff\x01", 3),
                        {absl::StrCat("is not a valid ", base->GetDescriptor()->full_name(), " message")},
                        false});
    auto& stub = stubs[t.who];
    if (stub == nullptr) stub = std::make_unique<grpc::GenericStub>(ChannelAs(*gw, t.who));
    const bool streaming = t.path == "/tsodso.v1.FeedService/Subscribe";
    for (const Variant& v : variants) {
      grpc::Status st;
      if (streaming) {
        FirstMessage stream(*stub, t.path, RawRequest(v.bytes));
        st = stream.Wait();
      } else {
        st = CallUnary(*stub, t.path, RawRequest(v.bytes));
      }
      ++calls;
      ++by_kind[v.kind];
      unparsed += v.parses ? 0 : 1;
      EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
          << t.path << " " << v.field << " (" << v.kind << "): " << st.error_code() << " " << st.error_message();
      for (const std::string& piece : v.pieces) {
        EXPECT_NE(st.error_message().find(piece), std::string::npos)
            << t.path << " " << v.field << " (" << v.kind << "): \"" << st.error_message() << "\" lacks \"" << piece
            << "\"";
      }
    }
  }
  std::cout << "hostile calls: " << calls << " (" << unparsed << " that protobuf's parser refuses)\n";
  for (const auto& [kind, n] : by_kind) std::cout << "  " << kind << ": " << n << "\n";
  EXPECT_GE(calls, 150);
  EXPECT_GE(unparsed, 20);
  const int audited = calls;
  EXPECT_TRUE(gw->Alive()) << gw->Log();

  // Nothing stored: no event a request could have caused, no row of any
  // use case, no idempotency key taken.
  auto conn = store::PgConnection::Open(opts.dsn);
  ASSERT_TRUE(conn.ok()) << conn.status();
  store::PgConnection& db = **conn;
  EXPECT_EQ(QueryCount(db, "SELECT count(*) FROM events WHERE topic NOT IN (2, 8)"), 0);  // flexibility, forecasts
  for (const char* table : {"notices", "idempotency_keys", "mol_validations", "traffic_lights", "interventions",
                            "schedules", "prequalification_decisions", "qualifications", "curtailments"}) {
    EXPECT_EQ(QueryCount(db, absl::StrCat("SELECT count(*) FROM ", table)), 0) << table;
  }
  // Every call the gateway parsed is audited as refused for its argument (a
  // subscription once its stream is done, a moment later), none as an
  // internal error.
  int64_t refused = 0;
  for (int i = 0; i < 50 && refused < audited; ++i) {
    refused = QueryCount(db, "SELECT count(*) FROM audit_log WHERE outcome = 'INVALID_ARGUMENT'");
    if (refused < audited) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(refused, audited);
  EXPECT_EQ(QueryCount(db, "SELECT count(*) FROM audit_log WHERE outcome <> 'INVALID_ARGUMENT'"), 0);
  std::string out, err;
  ASSERT_EQ(RunCommand({BinPath("tsodso-gatewayd"), "audit", "verify", "--config", gw->config_path()}, &out, &err), 0)
      << out << err;
  EXPECT_NE(out.find(absl::StrCat("audit chain intact: ", audited, " records")), std::string::npos) << out;

  // The daemon still serves, and the key the refused notices carried is
  // free: the complete request is published, not answered from a record.
  auto published =
      gw->ClientAs("operator")->PublishNotice(static_cast<const v1::PublishNoticeRequest&>(*targets.front().request()));
  ASSERT_TRUE(published.ok()) << published.status();
  EXPECT_FALSE(published->replayed());
}

}  // namespace
}  // namespace tsodso::testing
