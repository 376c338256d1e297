// tsodso: command line for TSOs, aggregators and DSO operators.
//
// Exit codes, for scripts:
//   0 success                    4 UNAUTHENTICATED / PERMISSION_DENIED
//   1 other error                5 INVALID_ARGUMENT / OUT_OF_RANGE / FAILED_PRECONDITION
//   2 usage error                6 ALREADY_EXISTS (idempotency key reused)
//   3 UNAVAILABLE / DEADLINE     7 RESOURCE_EXHAUSTED (subscriber cut; resume)
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/time_util.h>
#include <openssl/rand.h>
#include <signal.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <cctype>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "core/capability/polygon.h"
#include "core/common/csv.h"
#include "lib/client.h"
#include "lib/forecast_chart.h"
#include "lib/pq_chart.h"

namespace {

using tsodso::client::Client;
namespace v1 = tsodso::v1;

int ExitCode(const absl::Status& st) {
  switch (st.code()) {
    case absl::StatusCode::kOk:
      return 0;
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
      return 3;
    case absl::StatusCode::kUnauthenticated:
    case absl::StatusCode::kPermissionDenied:
      return 4;
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kOutOfRange:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kNotFound:
      return 5;
    case absl::StatusCode::kAlreadyExists:
      return 6;
    case absl::StatusCode::kResourceExhausted:
      return 7;
    default:
      return 1;
  }
}

int Fail(const absl::Status& st) {
  std::fprintf(stderr, "tsodso: %s: %s\n", absl::StatusCodeToString(st.code()).c_str(),
               std::string(st.message()).c_str());
  return ExitCode(st);
}

std::string Json(const google::protobuf::Message& m) {
  std::string out;
  google::protobuf::util::JsonPrintOptions opts;
  opts.preserve_proto_field_names = true;
  (void)google::protobuf::util::MessageToJsonString(m, &out, opts);
  return out;
}

std::string Time(const google::protobuf::Timestamp& ts) { return google::protobuf::util::TimeUtil::ToString(ts); }

std::string LightText(const v1::TrafficLight& l) {
  std::string out = v1::TrafficLightState_Name(l.state()).substr(20);
  if (l.reason() != v1::TRAFFIC_LIGHT_REASON_UNSPECIFIED) {
    out += " (" + v1::TrafficLightReason_Name(l.reason()).substr(21) + ")";
  }
  return out;
}

std::string Human(const v1::Event& e) {
  if (e.has_heartbeat()) return "heartbeat head_seq=" + std::to_string(e.heartbeat().head_seq());
  std::string line = "#" + std::to_string(e.seq()) + " " + Time(e.published_at()) + " " +
                     v1::Topic_Name(e.topic()).substr(6) + " pcc=" + (e.pcc_id().empty() ? "*" : e.pcc_id());
  if (e.has_notice()) {
    const v1::Notice& n = e.notice();
    line += " " + v1::Severity_Name(n.severity()).substr(9) + " \"" + n.text() + "\" valid " + Time(n.valid_from()) +
            " .. " + Time(n.valid_to()) + " by " + n.published_by();
  }
  if (e.has_flexibility() && e.flexibility().intervals_size() > 0) {
    const v1::FlexibilityUpdate& f = e.flexibility();
    const auto& first = f.intervals(0);
    char buf[256];
    std::snprintf(
        buf, sizeof buf,
        " %d intervals from %s; first: P %.2f MW Q %.2f Mvar, P up/down %.2f/%.2f MW, Q up/down %.2f/%.2f Mvar",
        f.intervals_size(), Time(first.start()).c_str(), first.operating_point().p_mw(),
        first.operating_point().q_mvar(), first.p_up_mw(), first.p_down_mw(), first.q_up_mvar(), first.q_down_mvar());
    line += buf;
    if (first.has_grid_limited()) {
      const v1::GridLimitedFlexibility& g = first.grid_limited();
      std::snprintf(buf, sizeof buf, "; grid-limited P up/down %.2f/%.2f MW, Q up/down %.2f/%.2f Mvar", g.p_up_mw(),
                    g.p_down_mw(), g.q_up_mvar(), g.q_down_mvar());
      line += g.operating_point_within_limits() ? buf : "; grid-limited: the operating point breaks a DSO limit";
    } else if (f.grid_limited_pending()) {
      line += "; grid-limited figures follow";
    }
  }
  if (e.has_bid_limits()) {
    const v1::MeritOrderValidation& m = e.bid_limits();
    int accepted = 0, limited = 0, rejected = 0;
    for (const auto& r : m.results()) {
      accepted += r.outcome() == v1::BID_OUTCOME_ACCEPTED;
      limited += r.outcome() == v1::BID_OUTCOME_LIMITED;
      rejected += r.outcome() == v1::BID_OUTCOME_REJECTED;
    }
    line += " validation " + m.validation_id() + " ISP " + Time(m.isp_start()) + " " +
            v1::Direction_Name(m.direction()).substr(10) + ": " + std::to_string(m.results_size()) + " bid(s), " +
            std::to_string(accepted) + " accepted, " + std::to_string(limited) + " limited, " +
            std::to_string(rejected) + " rejected";
  }
  if (e.has_receipt()) {
    const v1::ScheduleReceipt& r = e.receipt();
    line += " portfolio " + r.portfolio_id() + " revision " + std::to_string(r.revision()) + " " +
            v1::ReceiptStatus_Name(r.status()).substr(15) + ", " + std::to_string(r.interval_count()) + " intervals " +
            Time(r.start()) + " .. " + Time(r.end());
  }
  if (e.has_forecast() && e.forecast().intervals_size() > 0) {
    const v1::Forecast& f = e.forecast();
    double lo = 1e300, hi = -1e300;
    for (const auto& i : f.intervals()) {
      lo = std::min(lo, i.p_mw().p10());
      hi = std::max(hi, i.p_mw().p90());
    }
    line +=
        absl::StrFormat(" %s, %d intervals %s .. %s; P50 first %.2f MW, P10-P90 over all %.2f .. %.2f MW",
                        v1::ForecastKind_Name(f.kind()).substr(14), f.intervals_size(), Time(f.intervals(0).start()),
                        Time(f.intervals().rbegin()->end()), f.intervals(0).p_mw().p50(), lo, hi);
  }
  if (e.has_curtailment()) {
    const v1::CurtailmentNotice& c = e.curtailment();
    line += " " + c.curtailment_id() + " " + Time(c.from()) + " .. " + Time(c.to()) + " by " + c.issued_by() + ": " +
            std::to_string(c.portfolios()) + " portfolio(s)";
    for (const auto& o : c.orders()) {
      line += o.has_max_injection_mw()
                  ? absl::StrFormat(", %s injection <= %.2f MW", o.portfolio_id(), o.max_injection_mw())
                  : absl::StrFormat(", %s at %.2f MW", o.portfolio_id(), o.setpoint_mw());
    }
    if (c.orders().empty()) line += absl::StrFormat(", caps %.2f MW in all", c.total_max_injection_mw());
    if (c.redelivery()) line += " (sent again: not yet acknowledged)";
    if (!c.text().empty()) line += " \"" + c.text() + "\"";
  }
  if (e.has_prequalification()) {
    const v1::AssetQualification& a = e.prequalification();
    line +=
        " " + a.resource_id() + " of " + a.aggregator() + " " + v1::QualificationOutcome_Name(a.outcome()).substr(22);
    if (a.outcome() == v1::QUALIFICATION_OUTCOME_QUALIFIED) {
      line += absl::StrFormat(" until %s, %.2f .. %.2f MW", Time(a.valid_until()), a.p_min_mw(), a.p_max_mw());
    } else {
      line += " " + v1::QualificationReason_Name(a.reason()).substr(21);
    }
  }
  if (e.has_traffic_light()) {
    const v1::TrafficLight& l = e.traffic_light().light();
    line += " " + v1::TrafficLightState_Name(e.traffic_light().previous_state()).substr(20) + " -> " + LightText(l) +
            " for " + Time(l.start()) + " .. " + Time(l.end());
  }
  return line;
}

absl::StatusOr<tsodso::core::Csv> ReadCsvFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::InvalidArgumentError("cannot read '" + path + "'");
  std::stringstream text;
  text << in.rdbuf();
  return tsodso::core::ParseCsv(text.str());
}

// Read a MOL from CSV: bid_id, bsp, resources (separated by ';'), pcc,
// quantity_mw, price_eur_per_mwh [, min_quantity_mw, divisible (1/0)].
absl::Status ReadMolCsv(const std::string& path, const google::protobuf::Timestamp& isp,
                        v1::ValidateMeritOrderRequest* out) {
  auto read = ReadCsvFile(path);
  if (!read.ok()) return read.status();
  const tsodso::core::Csv& csv = *read;
  for (size_t i = 0; i < csv.rows.size(); ++i) {
    v1::Bid* b = out->add_bids();
    std::string resources;
    double quantity = 0, price = 0, minimum = 0, divisible = 1;
    for (auto [name, target] : {std::pair{"bid_id", b->mutable_bid_id()}, std::pair{"bsp", b->mutable_bsp_party_id()},
                                std::pair{"resources", &resources}, std::pair{"pcc", b->mutable_pcc_id()}}) {
      if (auto st = tsodso::core::TextField(csv, i, name, true, target, path); !st.ok()) return st;
    }
    if (auto st = tsodso::core::Field(csv, i, "quantity_mw", true, 0, &quantity, path); !st.ok()) return st;
    if (auto st = tsodso::core::Field(csv, i, "price_eur_per_mwh", true, 0, &price, path); !st.ok()) return st;
    if (auto st = tsodso::core::Field(csv, i, "min_quantity_mw", false, 0, &minimum, path); !st.ok()) return st;
    if (auto st = tsodso::core::Field(csv, i, "divisible", false, 1, &divisible, path); !st.ok()) return st;
    std::stringstream rs(resources);
    for (std::string r; std::getline(rs, r, ';');) {
      if (!r.empty()) b->add_resource_ids(r);
    }
    b->set_quantity_mw(quantity);
    b->set_price_eur_per_mwh(price);
    b->set_min_quantity_mw(minimum);
    b->set_divisible(divisible != 0);
    *b->mutable_isp_start() = isp;
  }
  return absl::OkStatus();
}

bool ParseTime(const std::string& text, google::protobuf::Timestamp* out) {
  return google::protobuf::util::TimeUtil::FromString(text, out);
}

// Read assets to prequalify from CSV: resource_id, type (pv, wind, chp,
// biomass, hydro, battery, ev_charger, flexible_load), pcc, sn_mva,
// p_min_mw, p_max_mw, q_min_mvar, q_max_mvar.
absl::Status ReadAssetsCsv(const std::string& path, v1::PrequalificationRequest* out) {
  auto read = ReadCsvFile(path);
  if (!read.ok()) return read.status();
  const tsodso::core::Csv& csv = *read;
  for (size_t i = 0; i < csv.rows.size(); ++i) {
    v1::AssetClaim* a = out->add_assets();
    std::string type;
    for (auto [name, target] : {std::pair{"resource_id", a->mutable_resource_id()}, std::pair{"type", &type},
                                std::pair{"pcc", a->mutable_pcc_id()}}) {
      if (auto st = tsodso::core::TextField(csv, i, name, true, target, path); !st.ok()) return st;
    }
    std::string upper = "ASSET_TYPE_";
    for (char c : type) upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    v1::AssetType parsed;
    if (!v1::AssetType_Parse(upper, &parsed)) {
      return absl::InvalidArgumentError(path + ": row " + std::to_string(i + 2) + ": type: '" + type +
                                        "' is not a known asset type");
    }
    a->set_type(parsed);
    double v[5] = {0, 0, 0, 0, 0};
    const char* names[5] = {"sn_mva", "p_min_mw", "p_max_mw", "q_min_mvar", "q_max_mvar"};
    for (int k = 0; k < 5; ++k) {
      if (auto st = tsodso::core::Field(csv, i, names[k], true, 0, &v[k], path); !st.ok()) return st;
    }
    a->set_sn_mva(v[0]);
    a->set_p_min_mw(v[1]);
    a->set_p_max_mw(v[2]);
    a->set_q_min_mvar(v[3]);
    a->set_q_max_mvar(v[4]);
  }
  return absl::OkStatus();
}

// Read a schedule from CSV: start (RFC 3339 UTC), p_mw [, q_mvar]; an empty
// q_mvar cell means none.
absl::Status ReadScheduleCsv(const std::string& path, v1::SubmitScheduleRequest* out) {
  auto read = ReadCsvFile(path);
  if (!read.ok()) return read.status();
  const tsodso::core::Csv& csv = *read;
  const bool has_q = csv.Column("q_mvar") >= 0;
  for (size_t i = 0; i < csv.rows.size(); ++i) {
    v1::ScheduleInterval* v = out->add_intervals();
    std::string start, q;
    double p = 0;
    if (auto st = tsodso::core::TextField(csv, i, "start", true, &start, path); !st.ok()) return st;
    if (!ParseTime(start, v->mutable_start())) {
      return absl::InvalidArgumentError(path + ": row " + std::to_string(i + 2) + ": start: '" + start +
                                        "' is not an RFC 3339 time");
    }
    if (auto st = tsodso::core::Field(csv, i, "p_mw", true, 0, &p, path); !st.ok()) return st;
    v->set_p_mw(p);
    if (has_q && (tsodso::core::TextField(csv, i, "q_mvar", false, &q, path).ok()) && !q.empty()) {
      double qv = 0;
      if (auto st = tsodso::core::Field(csv, i, "q_mvar", true, 0, &qv, path); !st.ok()) return st;
      v->set_q_mvar(qv);
    }
  }
  return absl::OkStatus();
}

// The start of the ISP after the current one (UTC).
google::protobuf::Timestamp NextIsp() {
  google::protobuf::Timestamp ts;
  const int64_t now = std::time(nullptr);
  ts.set_seconds(now - now % 900 + 900);
  return ts;
}

// Call again, with the same request and so the same idempotency key, while
// the gateway is unavailable: it answers a repeat, never applies it twice.
template <typename Call>
auto RetryWhileUnavailable(Call call) {
  auto r = call();
  for (int attempt = 0; attempt < 2 && !r.ok() && r.status().code() == absl::StatusCode::kUnavailable; ++attempt) {
    std::this_thread::sleep_for(std::chrono::milliseconds(500 << attempt));
    r = call();
  }
  return r;
}

std::string NewKey() {
  unsigned char b[12];
  RAND_bytes(b, sizeof b);
  std::string out = "cli-";
  static const char* hex = "0123456789abcdef";
  for (unsigned char c : b) {
    out += hex[c >> 4];
    out += hex[c & 15];
  }
  return out;
}

// The state file holds the seq of the last event printed, so that a
// restarted `tsodso subscribe --state-file F` resumes by itself.
int64_t ReadState(const std::string& path) {
  std::ifstream in(path);
  int64_t seq = 0;
  if (in >> seq) return seq;
  return 0;
}

bool WriteState(const std::string& path, int64_t seq) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << seq << "\n";
    if (!out.flush()) return false;
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  return !ec;
}

// The handler only sets a flag (async-signal-safe); a watcher thread turns
// it into a cancellation of the stream.
volatile std::sig_atomic_t g_stop = 0;
void OnSignal(int) { g_stop = 1; }

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"tsodso: talk to a tsodso gateway over mutual TLS"};
  app.require_subcommand(1);
  app.fallthrough();  // global options may follow the verb: `tsodso subscribe --json`
  app.set_config("--profile", "", "read options from a TOML/INI profile file (server = \"...\", cert = \"...\")");
  tsodso::client::ConnectionOptions conn;
  if (const char* s = std::getenv("TSODSO_SERVER")) conn.server = s;
  bool json = false;
  app.add_option("--server", conn.server, "gateway address host:port (env TSODSO_SERVER)")->capture_default_str();
  app.add_option("--cert", conn.cert_file, "client certificate (PEM)");
  app.add_option("--key", conn.key_file, "client private key (PEM)");
  app.add_option("--ca", conn.ca_file, "CA certificate that signed the gateway (PEM)");
  app.add_option("--server-name", conn.server_name, "name expected in the gateway's certificate");
  app.add_option("--timeout-ms", conn.timeout_ms, "deadline of each unary call")->capture_default_str();
  app.add_flag("--json", json, "print one JSON object per line");

  auto* whoami = app.add_subcommand("whoami", "show the party and role the gateway derives from your certificate");
  auto* pccs = app.add_subcommand("pccs", "list the PCCs you may see");
  auto* health = app.add_subcommand("health", "check that the gateway is serving (gRPC health service)");

  auto* subscribe = app.add_subcommand("subscribe", "stream events: replay what you missed, then live");
  std::vector<std::string> topics;
  std::vector<std::string> sub_pccs;
  int64_t resume_after = -1;
  std::string state_file;
  int64_t max_events = 0;
  bool reconnect = false;
  bool show_heartbeats = false;
  subscribe->add_option("--topic", topics, "topic to receive (NOTICE); repeatable; default all");
  subscribe->add_option("--pcc", sub_pccs, "PCC to receive; repeatable; default all you may see");
  subscribe->add_option("--resume-after", resume_after, "replay events with seq greater than this");
  subscribe->add_option("--state-file", state_file, "keep the last seq here and resume from it on restart");
  subscribe->add_option("--max-events", max_events, "exit 0 after this many events (heartbeats not counted)");
  subscribe->add_flag("--reconnect", reconnect, "on UNAVAILABLE or RESOURCE_EXHAUSTED, resubscribe from the last seq");
  subscribe->add_flag("--show-heartbeats", show_heartbeats, "print heartbeats too");

  auto* flex = app.add_subcommand("flex", "PCC flexibility per interval: P/Q up and down, operating point");
  std::string flex_pcc, flex_from, flex_to, flex_scenario, svg_file, flex_at;
  bool csv = false;
  bool flex_grid = false;
  flex->add_option("--pcc", flex_pcc, "PCC id")->required();
  flex->add_option("--from", flex_from, "RFC 3339 UTC start")->required();
  flex->add_option("--to", flex_to, "RFC 3339 UTC end (exclusive)")->required();
  flex->add_option("--scenario", flex_scenario, "planning scenario (e.g. 2030); default the current one");
  flex->add_flag("--csv", csv, "print CSV");
  flex->add_flag("--grid", flex_grid, "also what the DSO's network lets the DERs do (windows up to 48 h)");
  flex->add_option("--svg", svg_file, "also draw the P-Q picture into this SVG file");
  flex->add_option("--at", flex_at, "interval whose flexibility area the SVG shows (default: the first)");

  auto* forecast = app.add_subcommand("forecast", "a PCC's forecast exchange with its P10-P90 band");
  std::string fc_pcc, fc_kind, fc_from, fc_to, fc_as_of, fc_svg;
  forecast->add_option("--pcc", fc_pcc, "PCC id")->required();
  forecast->add_option("--kind", fc_kind, "day-ahead or intraday")
      ->required()
      ->check(CLI::IsMember({"day-ahead", "intraday"}));
  forecast->add_option("--from", fc_from, "RFC 3339 UTC start (default: the forecast's first interval)");
  forecast->add_option("--to", fc_to, "RFC 3339 UTC end, exclusive (default: 48 hours after --from)");
  forecast->add_option("--as-of", fc_as_of, "the forecast as issued by this time (default: the latest)");
  forecast->add_flag("--csv", csv, "print CSV");
  forecast->add_option("--svg", fc_svg, "also draw P50, the P10-P90 band and what was measured into this SVG file");

  auto* notice = app.add_subcommand("notice", "operator notices");
  notice->require_subcommand(1);
  auto* publish = notice->add_subcommand("publish", "publish a notice (DSO operator only)");
  std::string severity = "INFO";
  std::string text;
  std::vector<std::string> notice_pccs;
  std::string valid_from;
  std::string valid_to;
  std::string key;
  publish->add_option("--severity", severity, "INFO, WARNING or CRITICAL")->capture_default_str();
  publish->add_option("--text", text, "notice text")->required();
  publish->add_option("--pcc", notice_pccs, "PCC concerned; repeatable; default: all parties");
  publish->add_option("--valid-from", valid_from, "RFC 3339 UTC start, default now");
  publish->add_option("--valid-to", valid_to, "RFC 3339 UTC end, default start + 24 h");
  publish->add_option("--idempotency-key", key, "key that makes a retry safe; default: a new random key");

  auto* mol = app.add_subcommand("mol", "merit-order-list validation (TSO)");
  mol->require_subcommand(1);
  auto* mol_validate = mol->add_subcommand("validate", "have the DSO validate a MOL given as CSV");
  std::string mol_file, mol_direction = "up", mol_isp, mol_id;
  mol_validate->add_option("file", mol_file, "CSV: bid_id,bsp,resources,pcc,quantity_mw,price_eur_per_mwh[,...]")
      ->required();
  mol_validate->add_option("--direction", mol_direction, "up or down")->capture_default_str();
  mol_validate->add_option("--isp", mol_isp, "RFC 3339 UTC start of the ISP; default the next one");
  mol_validate->add_option("--validation-id", mol_id, "id of this validation; default a new random one");

  auto* lights = app.add_subcommand("traffic-light", "traffic lights of a PCC per ISP");
  std::string light_pcc, light_from, light_to;
  lights->add_option("--pcc", light_pcc, "PCC id")->required();
  lights->add_option("--from", light_from, "RFC 3339 UTC start (ISP-aligned); default the current ISP");
  lights->add_option("--to", light_to, "RFC 3339 UTC end; default 24 hours after --from");

  auto* intervene = app.add_subcommand("intervene", "declare direct intervention below a PCC (operator): red light");
  std::string int_pcc, int_from, int_to, int_key;
  intervene->add_option("--pcc", int_pcc, "PCC id")->required();
  intervene->add_option("--from", int_from, "RFC 3339 UTC start of the first ISP")->required();
  intervene->add_option("--to", int_to, "RFC 3339 UTC end of the last ISP")->required();
  intervene->add_option("--idempotency-key", int_key, "key that makes a retry safe; default: a new random key");
  bool int_lift = false;
  intervene->add_flag("--lift", int_lift, "end the intervention for those ISPs instead");

  auto* schedule = app.add_subcommand("schedule", "portfolio schedules (aggregators)");
  schedule->require_subcommand(1);
  auto* sched_submit = schedule->add_subcommand("submit", "submit a revision of a portfolio's schedule from CSV");
  std::string sched_file, sched_portfolio, sched_pcc, sched_key, sched_as_of;
  int64_t sched_revision = 0;
  int sched_resolution = 15;
  sched_submit->add_option("file", sched_file, "CSV: start,p_mw[,q_mvar]")->required();
  sched_submit->add_option("--portfolio", sched_portfolio, "portfolio id")->required();
  sched_submit->add_option("--pcc", sched_pcc, "PCC the portfolio is registered at")->required();
  sched_submit->add_option("--revision", sched_revision, "revision number; default the latest + 1");
  sched_submit->add_option("--resolution", sched_resolution, "interval length, minutes")->capture_default_str();
  sched_submit->add_option("--idempotency-key", sched_key, "key that makes a retry safe; default: a new random key");
  auto* sched_get = schedule->add_subcommand("get", "read a portfolio's schedule");
  sched_get->add_option("--portfolio", sched_portfolio, "portfolio id")->required();
  sched_get->add_option("--revision", sched_revision, "revision; default the latest");
  sched_get->add_option("--as-of", sched_as_of, "the latest revision known at this RFC 3339 time");
  sched_get->add_flag("--csv", csv, "print CSV (the format submit reads)");

  auto* prequalify = app.add_subcommand("prequalify", "ask the DSO to prequalify assets (aggregator)");
  std::string prequalify_file, prequalify_key;
  prequalify
      ->add_option("file", prequalify_file, "CSV: resource_id,type,pcc,sn_mva,p_min_mw,p_max_mw,q_min_mvar,q_max_mvar")
      ->required();
  prequalify->add_option("--idempotency-key", prequalify_key, "key that makes a retry safe; default: a new random key");

  auto* curtail = app.add_subcommand("curtail", "order portfolios below a PCC to cap or hold (operator): red phase");
  std::string curt_pcc, curt_from, curt_to, curt_text, curt_key;
  std::vector<std::string> curt_caps, curt_setpoints;
  curtail->add_option("--pcc", curt_pcc, "PCC id")->required();
  curtail->add_option("--from", curt_from, "RFC 3339 UTC start of the first ISP")->required();
  curtail->add_option("--to", curt_to, "RFC 3339 UTC end of the last ISP")->required();
  curtail->add_option("--cap", curt_caps, "PORTFOLIO=MW: cap the portfolio's injection; repeatable");
  curtail->add_option("--setpoint", curt_setpoints, "PORTFOLIO=MW: hold this exchange (consumption +); repeatable");
  curtail->add_option("--text", curt_text, "why, for the aggregators");
  curtail->add_option("--idempotency-key", curt_key, "key that makes a retry safe; default: a new random key");
  auto* curtailment = app.add_subcommand("curtailment", "curtailment acknowledgements (operator)");
  curtailment->require_subcommand(1);
  auto* curt_status = curtailment->add_subcommand("status", "who has acknowledged a curtailment, and when");
  std::string curt_id;
  curt_status->add_option("id", curt_id, "curtailment id")->required();
  auto* ack = app.add_subcommand("ack", "acknowledge a curtailment notice (aggregator)");
  std::string ack_id;
  ack->add_option("notice_id", ack_id, "the notice's id (its curtailment id)")->required();

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }

  auto client = Client::Connect(conn);
  if (!client.ok()) return Fail(client.status());

  if (whoami->parsed()) {
    auto r = (*client)->WhoAmI();
    if (!r.ok()) return Fail(r.status());
    if (json) {
      std::cout << Json(*r) << std::endl;
    } else {
      std::cout << "party " << r->party_id() << " role " << v1::Role_Name(r->role()).substr(5) << " identity "
                << r->certificate_identity() << " pccs";
      for (const auto& p : r->pcc_ids()) std::cout << " " << p;
      std::cout << std::endl;
    }
    return 0;
  }
  if (pccs->parsed()) {
    auto r = (*client)->ListPccs();
    if (!r.ok()) return Fail(r.status());
    for (const auto& p : r->pccs()) {
      if (json) {
        std::cout << Json(p) << std::endl;
        continue;
      }
      std::cout << p.pcc_id() << "\t" << p.display_name() << "\t";
      for (int i = 0; i < p.voltage_levels_kv_size(); ++i) std::cout << (i ? "/" : "") << p.voltage_levels_kv(i);
      std::cout << " kV" << std::endl;
    }
    return 0;
  }
  if (health->parsed()) {
    auto st = (*client)->Health();
    if (!st.ok()) return Fail(st);
    std::cout << "SERVING" << std::endl;
    return 0;
  }
  if (forecast->parsed()) {
    v1::GetForecastRequest req;
    req.set_pcc_id(fc_pcc);
    req.set_kind(fc_kind == "day-ahead" ? v1::FORECAST_KIND_DAY_AHEAD : v1::FORECAST_KIND_INTRADAY);
    if (!fc_as_of.empty() && !ParseTime(fc_as_of, req.mutable_as_of())) {
      return Fail(absl::InvalidArgumentError("--as-of: '" + fc_as_of + "' is not an RFC 3339 time"));
    }
    if (!fc_from.empty() && !ParseTime(fc_from, req.mutable_from())) {
      return Fail(absl::InvalidArgumentError("--from: '" + fc_from + "' is not an RFC 3339 time"));
    }
    if (fc_from.empty()) {
      // 12 hours back to 36 ahead: the whole of a day-ahead issue for
      // tomorrow, and the passed part of one for today.
      req.mutable_from()->set_seconds(std::time(nullptr) - 12 * 3600);
    }
    if (!fc_to.empty() && !ParseTime(fc_to, req.mutable_to())) {
      return Fail(absl::InvalidArgumentError("--to: '" + fc_to + "' is not an RFC 3339 time"));
    }
    if (fc_to.empty()) req.mutable_to()->set_seconds(req.from().seconds() + 48 * 3600);
    auto r = (*client)->GetForecast(req);
    if (!r.ok()) return Fail(r.status());
    if (json) {
      std::cout << Json(*r) << std::endl;
    } else if (csv) {
      std::cout << "start,end,p10_mw,p50_mw,p90_mw,q10_mvar,q50_mvar,q90_mvar,p_up_mw,p_down_mw,q_up_mvar,"
                   "q_down_mvar,scheduled_p_mw,outlook,measured_p_mw\n";
      for (const auto& i : r->intervals()) {
        std::cout << Time(i.start()) << "," << Time(i.end()) << "," << i.p_mw().p10() << "," << i.p_mw().p50() << ","
                  << i.p_mw().p90() << "," << i.q_mvar().p10() << "," << i.q_mvar().p50() << "," << i.q_mvar().p90()
                  << "," << i.p_up_mw().p50() << "," << i.p_down_mw().p50() << "," << i.q_up_mvar().p50() << ","
                  << i.q_down_mvar().p50() << "," << i.scheduled_p_mw() << ","
                  << v1::TrafficLightState_Name(i.outlook()).substr(20) << ","
                  << (i.has_measured_p_mw() ? std::to_string(i.measured_p_mw()) : "") << "\n";
      }
    } else {
      std::printf("%s forecast of %s issued %s (%s), %d intervals (MW / Mvar; load convention)\n", fc_kind.c_str(),
                  r->pcc_id().c_str(), Time(r->issued_at()).c_str(), r->forecast_id().c_str(), r->intervals_size());
      for (const auto& in : r->inputs()) std::printf("  input: %s\n", in.c_str());
      std::printf("%-22s %8s %8s %8s %8s %7s %7s %7s %7s  %-7s %s\n", "start", "P10", "P50", "P90", "Q50", "P up",
                  "P down", "Q up", "Q down", "outlook", "measured");
      for (const auto& i : r->intervals()) {
        std::printf("%-22s %8.2f %8.2f %8.2f %8.2f %7.2f %7.2f %7.2f %7.2f  %-7s %s\n", Time(i.start()).c_str(),
                    i.p_mw().p10(), i.p_mw().p50(), i.p_mw().p90(), i.q_mvar().p50(), i.p_up_mw().p50(),
                    i.p_down_mw().p50(), i.q_up_mvar().p50(), i.q_down_mvar().p50(),
                    v1::TrafficLightState_Name(i.outlook()).substr(20).c_str(),
                    i.has_measured_p_mw() ? absl::StrFormat("%.2f", i.measured_p_mw()).c_str() : "");
      }
    }
    std::cout.flush();
    if (!fc_svg.empty()) {
      tsodso::client::ForecastChart chart;
      chart.title = fc_kind + " forecast of " + r->pcc_id() + ", issued " + Time(r->issued_at());
      chart.y_label = "P at the PCC (MW, import positive)";
      for (const auto& i : r->intervals()) {
        tsodso::client::ForecastPoint p;
        p.t = static_cast<double>(i.start().seconds());
        p.p10 = i.p_mw().p10();
        p.p50 = i.p_mw().p50();
        p.p90 = i.p_mw().p90();
        if (i.has_measured_p_mw()) p.measured = i.measured_p_mw();
        chart.points.push_back(p);
      }
      std::ofstream out(fc_svg);
      out << tsodso::client::RenderForecastSvg(chart);
      if (!out.flush()) return Fail(absl::UnavailableError("cannot write " + fc_svg));
      std::fprintf(stderr, "tsodso: wrote %s\n", fc_svg.c_str());
    }
    return 0;
  }
  if (flex->parsed()) {
    v1::GetFlexibilityRequest req;
    req.set_pcc_id(flex_pcc);
    req.set_scenario(flex_scenario);
    req.set_include_grid_limited(flex_grid);
    if (!google::protobuf::util::TimeUtil::FromString(flex_from, req.mutable_from())) {
      return Fail(absl::InvalidArgumentError("--from: '" + flex_from + "' is not an RFC 3339 time"));
    }
    if (!google::protobuf::util::TimeUtil::FromString(flex_to, req.mutable_to())) {
      return Fail(absl::InvalidArgumentError("--to: '" + flex_to + "' is not an RFC 3339 time"));
    }
    auto r = (*client)->GetFlexibility(req);
    if (!r.ok()) return Fail(r.status());
    if (json) {
      for (const auto& i : r->intervals()) std::cout << Json(i) << "\n";
    } else if (csv) {
      std::cout << "start,end,p_mw,q_mvar,p_up_mw,p_down_mw,q_up_mvar,q_down_mvar"
                << (flex_grid ? ",grid_p_up_mw,grid_p_down_mw,grid_q_up_mvar,grid_q_down_mvar" : "")
                << ",scheduled_p_mw,scheduled_q_mvar\n";
      for (const auto& i : r->intervals()) {
        std::cout << Time(i.start()) << "," << Time(i.end()) << "," << i.operating_point().p_mw() << ","
                  << i.operating_point().q_mvar() << "," << i.p_up_mw() << "," << i.p_down_mw() << "," << i.q_up_mvar()
                  << "," << i.q_down_mvar();
        const auto& g = i.grid_limited();
        if (flex_grid) {
          std::cout << "," << g.p_up_mw() << "," << g.p_down_mw() << "," << g.q_up_mvar() << "," << g.q_down_mvar();
        }
        std::cout << "," << i.scheduled().p_mw() << "," << i.scheduled().q_mvar() << "\n";
      }
    } else {
      std::printf("PCC %s, scenario %s, %d-minute intervals (MW / Mvar; load convention, up = less import)\n",
                  r->pcc_id().c_str(), r->scenario().c_str(), r->interval_minutes());
      if (!r->breakdown_note().empty()) std::printf("note: %s\n", r->breakdown_note().c_str());
      if (flex_grid)
        std::printf("grid: what the DSO's network lets the DERs do (\"!\": the operating point breaks a limit)\n");
      // The aggregators' schedules, when any, are part of P and Q; the
      // column says by how much.
      const bool scheduled = std::any_of(r->intervals().begin(), r->intervals().end(),
                                         [](const v1::FlexibilityInterval& i) { return i.has_scheduled(); });
      if (scheduled) std::printf("P and Q include the aggregators' schedules (sched P)\n");
      std::printf("%-22s %9s %9s %8s %8s %8s %8s", "start", "P", "Q", "P up", "P down", "Q up", "Q down");
      if (scheduled) std::printf(" %8s", "sched P");
      if (flex_grid) std::printf(" | %8s %8s %8s %8s", "grid Pup", "Pdown", "Qup", "Qdown");
      std::printf("\n");
      for (const auto& i : r->intervals()) {
        std::printf("%-22s %9.2f %9.2f %8.2f %8.2f %8.2f %8.2f", Time(i.start()).c_str(), i.operating_point().p_mw(),
                    i.operating_point().q_mvar(), i.p_up_mw(), i.p_down_mw(), i.q_up_mvar(), i.q_down_mvar());
        if (scheduled) std::printf(" %8.2f", i.scheduled().p_mw());
        const auto& g = i.grid_limited();
        if (flex_grid) {
          std::printf(" | %8.2f %8.2f %8.2f %8.2f%s", g.p_up_mw(), g.p_down_mw(), g.q_up_mvar(), g.q_down_mvar(),
                      g.operating_point_within_limits() ? "" : " !");
        }
        std::printf("\n");
      }
    }
    std::cout.flush();
    if (!svg_file.empty()) {
      // The horizon's capability boundary is the hull of every interval's
      // area, fetched with vertices a week at a time.
      tsodso::client::PqChart chart;
      chart.title = "PCC " + flex_pcc + " (" + r->scenario() + "): " + flex_from + " to " + flex_to;
      for (const auto& i : r->intervals()) {
        chart.operating_points.emplace_back(i.operating_point().p_mw(), i.operating_point().q_mvar());
      }
      google::protobuf::Timestamp at_ts = req.from();
      if (!flex_at.empty() && !google::protobuf::util::TimeUtil::FromString(flex_at, &at_ts)) {
        return Fail(absl::InvalidArgumentError("--at: '" + flex_at + "' is not an RFC 3339 time"));
      }
      // The geometry is the gateway's own: the same convex hull.
      std::vector<tsodso::core::PqPoint> all;
      const int64_t week = 7 * 24 * 3600;
      for (int64_t s = req.from().seconds(); s < req.to().seconds(); s += week) {
        v1::GetFlexibilityRequest chunk = req;
        chunk.mutable_from()->set_seconds(s);
        chunk.mutable_from()->set_nanos(0);
        if (s + week < req.to().seconds()) {
          chunk.mutable_to()->set_seconds(s + week);
          chunk.mutable_to()->set_nanos(0);
        }
        chunk.set_include_vertices(true);
        chunk.set_include_grid_limited(false);
        auto part = (*client)->GetFlexibility(chunk);
        if (!part.ok()) return Fail(part.status());
        for (const auto& i : part->intervals()) {
          std::vector<std::pair<double, double>> area;
          for (const auto& v : i.vertices()) area.emplace_back(v.p_mw(), v.q_mvar());
          const bool chosen = i.start().seconds() <= at_ts.seconds() && at_ts.seconds() < i.end().seconds();
          if (chosen) {
            chart.interval_area = area;
            chart.interval_operating = {i.operating_point().p_mw(), i.operating_point().q_mvar()};
            chart.interval_label = Time(i.start());
          }
          for (const auto& [p, q] : area) all.push_back({p, q});
        }
        all = tsodso::core::ConvexPolygon::Hull(std::move(all)).vertices();
      }
      for (const auto& v : all) chart.capability_boundary.emplace_back(v.p, v.q);
      std::ofstream out(svg_file);
      out << tsodso::client::RenderSvg(chart);
      if (!out.flush()) return Fail(absl::UnavailableError("cannot write " + svg_file));
      std::fprintf(stderr, "tsodso: wrote %s\n", svg_file.c_str());
    }
    return 0;
  }
  if (curtail->parsed()) {
    v1::IssueCurtailmentRequest req;
    req.set_pcc_id(curt_pcc);
    req.set_text(curt_text);
    if (!ParseTime(curt_from, req.mutable_from())) {
      return Fail(absl::InvalidArgumentError("--from: '" + curt_from + "' is not an RFC 3339 time"));
    }
    if (!ParseTime(curt_to, req.mutable_to())) {
      return Fail(absl::InvalidArgumentError("--to: '" + curt_to + "' is not an RFC 3339 time"));
    }
    for (auto [list, cap] : {std::pair{&curt_caps, true}, std::pair{&curt_setpoints, false}}) {
      for (const std::string& item : *list) {
        const size_t eq = item.find('=');
        double mw = 0;
        if (eq == std::string::npos || !absl::SimpleAtod(item.substr(eq + 1), &mw)) {
          return Fail(absl::InvalidArgumentError(std::string(cap ? "--cap" : "--setpoint") + ": '" + item +
                                                 "' is not PORTFOLIO=MW"));
        }
        v1::CurtailmentOrder* o = req.add_orders();
        o->set_portfolio_id(item.substr(0, eq));
        cap ? o->set_max_injection_mw(mw) : o->set_setpoint_mw(mw);
      }
    }
    req.set_idempotency_key(curt_key.empty() ? NewKey() : curt_key);
    auto r = RetryWhileUnavailable([&] { return (*client)->IssueCurtailment(req); });
    if (!r.ok()) return Fail(r.status());
    if (json) {
      std::cout << Json(*r) << std::endl;
    } else {
      std::cout << "curtailment " << r->curtailment_id() << " issued as events";
      for (auto seq : r->event_seqs()) std::cout << " #" << seq;
      if (r->replayed()) std::cout << " (answer to an earlier identical request)";
      std::cout << std::endl;
    }
    return 0;
  }
  if (curt_status->parsed()) {
    v1::GetCurtailmentStatusRequest req;
    req.set_curtailment_id(curt_id);
    auto r = (*client)->GetCurtailmentStatus(req);
    if (!r.ok()) return Fail(r.status());
    if (json) {
      std::cout << Json(*r) << std::endl;
      return 0;
    }
    std::printf("curtailment %s at %s, %s .. %s\n", r->curtailment_id().c_str(), r->pcc_id().c_str(),
                Time(r->from()).c_str(), Time(r->to()).c_str());
    for (const auto& n : r->recipients()) {
      std::printf("  %-10s %s, sent %d time(s)\n", n.aggregator().c_str(),
                  n.acknowledged() ? ("acknowledged " + Time(n.acknowledged_at())).c_str() : "NOT acknowledged",
                  n.deliveries());
    }
    return 0;
  }
  if (ack->parsed()) {
    v1::AcknowledgeNoticeRequest req;
    req.set_notice_id(ack_id);
    auto r = RetryWhileUnavailable([&] { return (*client)->AcknowledgeNotice(req); });
    if (!r.ok()) return Fail(r.status());
    if (json) {
      std::cout << Json(*r) << std::endl;
    } else {
      std::printf("notice %s acknowledged at %s%s\n", r->notice_id().c_str(), Time(r->acknowledged_at()).c_str(),
                  r->already_acknowledged() ? " (earlier)" : "");
    }
    return 0;
  }
  if (prequalify->parsed()) {
    v1::PrequalificationRequest req;
    if (auto st = ReadAssetsCsv(prequalify_file, &req); !st.ok()) return Fail(st);
    req.set_idempotency_key(prequalify_key.empty() ? NewKey() : prequalify_key);
    auto r = RetryWhileUnavailable([&] { return (*client)->RequestPrequalification(req); });
    if (!r.ok()) return Fail(r.status());
    for (const auto& a : r->results()) {
      if (json) {
        std::cout << Json(a) << std::endl;
      } else if (a.outcome() == v1::QUALIFICATION_OUTCOME_QUALIFIED) {
        std::printf("%-14s %-8s QUALIFIED      until %s, %.2f .. %.2f MW\n", a.resource_id().c_str(),
                    a.pcc_id().c_str(), Time(a.valid_until()).c_str(), a.p_min_mw(), a.p_max_mw());
      } else {
        std::printf("%-14s %-8s NOT_QUALIFIED  %s\n", a.resource_id().c_str(), a.pcc_id().c_str(),
                    v1::QualificationReason_Name(a.reason()).substr(21).c_str());
      }
    }
    return 0;
  }
  if (sched_submit->parsed()) {
    v1::SubmitScheduleRequest req;
    req.set_portfolio_id(sched_portfolio);
    req.set_pcc_id(sched_pcc);
    req.set_resolution_minutes(sched_resolution);
    if (auto st = ReadScheduleCsv(sched_file, &req); !st.ok()) return Fail(st);
    if (sched_revision == 0 && !sched_key.empty()) {
      // A retry must repeat the first request exactly: "the latest + 1"
      // would have moved on if the first one was stored.
      return Fail(absl::InvalidArgumentError("--revision: give it together with --idempotency-key"));
    }
    if (sched_revision == 0) {
      v1::GetScheduleRequest latest;
      latest.set_portfolio_id(sched_portfolio);
      auto known = (*client)->GetSchedule(latest);
      if (!known.ok() && known.status().code() != absl::StatusCode::kNotFound) return Fail(known.status());
      sched_revision = known.ok() ? known->latest_revision() + 1 : 1;
    }
    req.set_revision(sched_revision);
    req.set_idempotency_key(sched_key.empty() ? NewKey() : sched_key);
    auto r = RetryWhileUnavailable([&] { return (*client)->SubmitSchedule(req); });
    v1::ScheduleReceipt rejected;
    if (!r.ok() && tsodso::client::StatusDetail(r.status(), &rejected)) {
      // Every offending interval, where the status message names 20.
      if (json) {
        std::cout << Json(rejected) << std::endl;
      } else {
        std::printf("schedule %s revision %lld at %s: REJECTED, %d of %d intervals refused, nothing stored\n",
                    rejected.portfolio_id().c_str(), static_cast<long long>(rejected.revision()),
                    rejected.pcc_id().c_str(), rejected.problems_size() + rejected.more_problems(),
                    rejected.interval_count());
        for (const auto& p : rejected.problems()) {
          std::printf("  row %d %s %s: %s\n", p.index() + 2, Time(p.interval_start()).c_str(), p.field().c_str(),
                      p.reason().c_str());
        }
        if (rejected.more_problems() > 0) std::printf("  and %d more\n", rejected.more_problems());
      }
    }
    if (!r.ok()) return Fail(r.status());
    if (json) {
      std::cout << Json(*r) << std::endl;
      return 0;
    }
    std::printf("schedule %s revision %lld at %s: %s, %d intervals %s .. %s%s\n", r->portfolio_id().c_str(),
                static_cast<long long>(r->revision()), r->pcc_id().c_str(),
                v1::ReceiptStatus_Name(r->status()).substr(15).c_str(), r->interval_count(), Time(r->start()).c_str(),
                Time(r->end()).c_str(), r->replayed() ? " (answer to an earlier identical request)" : "");
    for (const auto& w : r->warnings()) {
      std::printf("  warning %s: %s\n", Time(w.interval_start()).c_str(),
                  v1::ScheduleWarningReason_Name(w.reason()).substr(24).c_str());
    }
    return 0;
  }
  if (sched_get->parsed()) {
    v1::GetScheduleRequest req;
    req.set_portfolio_id(sched_portfolio);
    req.set_revision(sched_revision);
    if (!sched_as_of.empty() && !ParseTime(sched_as_of, req.mutable_as_of())) {
      return Fail(absl::InvalidArgumentError("--as-of: '" + sched_as_of + "' is not an RFC 3339 time"));
    }
    auto r = (*client)->GetSchedule(req);
    if (!r.ok()) return Fail(r.status());
    if (json) {
      std::cout << Json(*r) << std::endl;
      return 0;
    }
    if (!csv) {
      std::printf("# portfolio %s at %s, revision %lld of %lld, %d-minute intervals, received %s from %s\n",
                  r->portfolio_id().c_str(), r->pcc_id().c_str(), static_cast<long long>(r->revision()),
                  static_cast<long long>(r->latest_revision()), r->resolution_minutes(), Time(r->received_at()).c_str(),
                  r->submitted_by().c_str());
    }
    std::printf("start,p_mw,q_mvar\n");
    for (const auto& v : r->intervals()) {
      std::printf("%s,%.17g,%s\n", Time(v.start()).c_str(), v.p_mw(),
                  v.has_q_mvar() ? absl::StrFormat("%.17g", v.q_mvar()).c_str() : "");
    }
    return 0;
  }
  if (mol_validate->parsed()) {
    v1::ValidateMeritOrderRequest req;
    google::protobuf::Timestamp isp = NextIsp();
    if (!mol_isp.empty() && !ParseTime(mol_isp, &isp)) {
      return Fail(absl::InvalidArgumentError("--isp: '" + mol_isp + "' is not an RFC 3339 time"));
    }
    if (mol_direction != "up" && mol_direction != "down") {
      return Fail(absl::InvalidArgumentError("--direction: '" + mol_direction + "' is not up or down"));
    }
    req.set_direction(mol_direction == "up" ? v1::DIRECTION_UP : v1::DIRECTION_DOWN);
    req.set_validation_id(mol_id.empty() ? NewKey() : mol_id);
    if (auto st = ReadMolCsv(mol_file, isp, &req); !st.ok()) return Fail(st);
    auto r = RetryWhileUnavailable([&] { return (*client)->ValidateMeritOrder(req); });
    if (!r.ok()) return Fail(r.status());
    if (json) {
      std::cout << Json(*r) << std::endl;
      return 0;
    }
    std::printf("validation %s, ISP %s .. %s, %s%s\n", r->validation_id().c_str(), Time(r->isp_start()).c_str(),
                Time(r->isp_end()).c_str(), v1::Direction_Name(r->direction()).substr(10).c_str(),
                r->replayed() ? " (stored answer to an earlier identical list)" : "");
    std::printf("%4s %-12s %-8s %-8s %-9s %9s %9s  %s\n", "pos", "bid", "bsp", "pcc", "outcome", "asked MW", "safe MW",
                "reason");
    for (const auto& b : r->results()) {
      std::printf(
          "%4d %-12s %-8s %-8s %-9s %9.2f %9.2f  %s\n", b.merit_order_position(), b.bid_id().c_str(),
          b.bsp_party_id().c_str(), b.pcc_id().c_str(), v1::BidOutcome_Name(b.outcome()).substr(12).c_str(),
          b.requested_mw(), b.accepted_mw(),
          b.reason() == v1::LIMIT_REASON_UNSPECIFIED ? "" : v1::LimitReason_Name(b.reason()).substr(13).c_str());
    }
    for (const auto& l : r->traffic_lights()) {
      std::printf("traffic light %s: %s\n", l.pcc_id().c_str(), LightText(l).c_str());
    }
    return 0;
  }
  if (lights->parsed()) {
    v1::GetTrafficLightsRequest req;
    req.set_pcc_id(light_pcc);
    google::protobuf::Timestamp from = NextIsp();
    from.set_seconds(from.seconds() - 900);
    if (!light_from.empty() && !ParseTime(light_from, &from)) {
      return Fail(absl::InvalidArgumentError("--from: '" + light_from + "' is not an RFC 3339 time"));
    }
    google::protobuf::Timestamp to = from;
    to.set_seconds(from.seconds() + 24 * 3600);
    if (!light_to.empty() && !ParseTime(light_to, &to)) {
      return Fail(absl::InvalidArgumentError("--to: '" + light_to + "' is not an RFC 3339 time"));
    }
    *req.mutable_from() = from;
    *req.mutable_to() = to;
    auto r = (*client)->GetTrafficLights(req);
    if (!r.ok()) return Fail(r.status());
    for (const auto& l : r->lights()) {
      if (json) {
        std::cout << Json(l) << std::endl;
        continue;
      }
      std::printf("%s %s .. %s %s\n", l.pcc_id().c_str(), Time(l.start()).c_str(), Time(l.end()).c_str(),
                  LightText(l).c_str());
    }
    return 0;
  }
  if (intervene->parsed()) {
    v1::DeclareInterventionRequest req;
    req.set_pcc_id(int_pcc);
    if (!ParseTime(int_from, req.mutable_from())) {
      return Fail(absl::InvalidArgumentError("--from: '" + int_from + "' is not an RFC 3339 time"));
    }
    if (!ParseTime(int_to, req.mutable_to())) {
      return Fail(absl::InvalidArgumentError("--to: '" + int_to + "' is not an RFC 3339 time"));
    }
    req.set_idempotency_key(int_key.empty() ? NewKey() : int_key);
    req.set_lift(int_lift);
    auto r = (*client)->DeclareIntervention(req);
    if (!r.ok()) return Fail(r.status());
    if (json) {
      std::cout << Json(*r) << std::endl;
    } else {
      std::cout << "intervention " << (int_lift ? "lifted" : "declared") << " at " << int_pcc << ": "
                << r->event_seqs_size() << " traffic-light change(s)";
      for (auto s : r->event_seqs()) std::cout << " #" << s;
      if (r->replayed()) std::cout << " (answer to an earlier identical request)";
      std::cout << std::endl;
    }
    return 0;
  }
  if (publish->parsed()) {
    v1::PublishNoticeRequest req;
    v1::Severity sev;
    if (!v1::Severity_Parse("SEVERITY_" + severity, &sev)) {
      return Fail(absl::InvalidArgumentError("--severity: '" + severity + "' is not INFO, WARNING or CRITICAL"));
    }
    req.set_severity(sev);
    req.set_text(text);
    for (const auto& p : notice_pccs) req.add_pcc_ids(p);
    if (!valid_from.empty() && !google::protobuf::util::TimeUtil::FromString(valid_from, req.mutable_valid_from())) {
      return Fail(absl::InvalidArgumentError("--valid-from: '" + valid_from + "' is not an RFC 3339 time"));
    }
    if (!valid_to.empty() && !google::protobuf::util::TimeUtil::FromString(valid_to, req.mutable_valid_to())) {
      return Fail(absl::InvalidArgumentError("--valid-to: '" + valid_to + "' is not an RFC 3339 time"));
    }
    req.set_idempotency_key(key.empty() ? NewKey() : key);
    auto r = RetryWhileUnavailable([&] { return (*client)->PublishNotice(req); });
    if (!r.ok()) return Fail(r.status());
    if (json) {
      std::cout << Json(*r) << std::endl;
    } else {
      std::cout << "notice " << r->notice_id() << " published as events";
      for (auto s : r->event_seqs()) std::cout << " #" << s;
      if (r->replayed()) std::cout << " (answer to an earlier identical request)";
      std::cout << std::endl;
    }
    return 0;
  }
  if (subscribe->parsed()) {
    v1::SubscribeRequest req;
    for (const auto& t : topics) {
      v1::Topic topic;
      if (!v1::Topic_Parse("TOPIC_" + t, &topic) || topic == v1::TOPIC_UNSPECIFIED) {
        return Fail(absl::InvalidArgumentError("--topic: unknown topic '" + t + "'"));
      }
      req.add_topics(topic);
    }
    for (const auto& p : sub_pccs) req.add_pcc_ids(p);
    int64_t last = resume_after >= 0 ? resume_after : (state_file.empty() ? 0 : ReadState(state_file));
    signal(SIGINT, OnSignal);
    signal(SIGTERM, OnSignal);
    std::atomic<bool> done{false};
    std::thread watcher([&] {
      while (!done) {
        if (g_stop) {
          (*client)->Cancel();
          return;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
    });
    struct JoinOnExit {
      std::atomic<bool>& done;
      std::thread& t;
      ~JoinOnExit() {
        done = true;
        t.join();
      }
    } join_on_exit{done, watcher};
    int64_t received = 0;
    int backoff_ms = 200;
    while (true) {
      req.set_resume_after_seq(last);
      bool reached_max = false;
      absl::Status st = (*client)->Subscribe(req, [&](const v1::Event& e) {
        if (e.has_heartbeat() && !show_heartbeats) return true;
        std::cout << (json ? Json(e) : Human(e)) << std::endl;
        if (e.seq() > 0) {
          last = e.seq();
          backoff_ms = 200;
          if (!state_file.empty() && !WriteState(state_file, last)) {
            std::fprintf(stderr, "tsodso: cannot write state file %s\n", state_file.c_str());
          }
          if (max_events > 0 && ++received >= max_events) {
            reached_max = true;
            return false;
          }
        }
        return true;
      });
      if (st.ok() || reached_max || g_stop) return 0;
      const bool resumable =
          st.code() == absl::StatusCode::kUnavailable || st.code() == absl::StatusCode::kResourceExhausted;
      if (!reconnect || !resumable) return Fail(st);
      std::fprintf(stderr, "tsodso: %s: %s; resuming after seq %lld\n", absl::StatusCodeToString(st.code()).c_str(),
                   std::string(st.message()).c_str(), static_cast<long long>(last));
      std::this_thread::sleep_for(std::chrono::milliseconds(backoff_ms));
      backoff_ms = std::min(backoff_ms * 2, 5000);
    }
  }
  return 2;
}
