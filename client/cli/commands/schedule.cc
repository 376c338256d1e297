// tsodso schedule submit / get: an aggregator's portfolio schedule, sent as
// a numbered revision from CSV and read back as CSV.
#include <cstdio>

#include "absl/strings/str_format.h"
#include "cli/call.h"
#include "cli/command.h"
#include "cli/csv_input.h"
#include "cli/format.h"
#include "cli/time_input.h"

namespace tsodso::cli {
namespace {

// Print every interval a refused schedule breaks, where the status
// message names 20.
void PrintRejected(const v1::ScheduleReceipt& rejected) {
  std::printf("schedule %s revision %lld at %s: REJECTED, %d of %d intervals refused, nothing stored\n",
              rejected.portfolio_id().c_str(), static_cast<long long>(rejected.revision()), rejected.pcc_id().c_str(),
              rejected.problems_size() + rejected.more_problems(), rejected.interval_count());
  for (const auto& p : rejected.problems()) {
    std::printf("  row %d %s %s: %s\n", p.index() + 2, Time(p.interval_start()).c_str(), p.field().c_str(),
                p.reason().c_str());
  }
  if (rejected.more_problems() > 0) std::printf("  and %d more\n", rejected.more_problems());
}

void PrintReceipt(const v1::ScheduleReceipt& r) {
  std::printf("schedule %s revision %lld at %s: %s, %d intervals %s .. %s%s\n", r.portfolio_id().c_str(),
              static_cast<long long>(r.revision()), r.pcc_id().c_str(), EnumLabel(r.status()).c_str(),
              r.interval_count(), Time(r.start()).c_str(), Time(r.end()).c_str(),
              r.replayed() ? " (answer to an earlier identical request)" : "");
  for (const auto& w : r.warnings()) {
    std::printf("  warning %s: %s\n", Time(w.interval_start()).c_str(), EnumLabel(w.reason()).c_str());
  }
}

void PrintSchedule(const v1::GetScheduleResponse& r, bool csv_only) {
  if (!csv_only) {
    std::printf("# portfolio %s at %s, revision %lld of %lld, %d-minute intervals, received %s from %s\n",
                r.portfolio_id().c_str(), r.pcc_id().c_str(), static_cast<long long>(r.revision()),
                static_cast<long long>(r.latest_revision()), r.resolution_minutes(), Time(r.received_at()).c_str(),
                r.submitted_by().c_str());
  }
  std::printf("start,p_mw,q_mvar\n");
  for (const auto& v : r.intervals()) {
    std::printf("%s,%.17g,%s\n", Time(v.start()).c_str(), v.p_mw(),
                v.has_q_mvar() ? absl::StrFormat("%.17g", v.q_mvar()).c_str() : "");
  }
}

class ScheduleCommand : public Command {
 public:
  CLI::App* Setup(CLI::App& app) override {
    auto* schedule = app.add_subcommand("schedule", "portfolio schedules (aggregators)");
    schedule->require_subcommand(1);
    submit_ = schedule->add_subcommand("submit", "submit a revision of a portfolio's schedule from CSV");
    submit_->add_option("file", file_, "CSV: start,p_mw[,q_mvar]")->required();
    submit_->add_option("--portfolio", portfolio_, "portfolio id")->required();
    submit_->add_option("--pcc", pcc_, "PCC the portfolio is registered at")->required();
    submit_->add_option("--revision", revision_, "revision number; default the latest + 1");
    submit_->add_option("--resolution", resolution_, "interval length, minutes")->capture_default_str();
    submit_->add_option("--idempotency-key", key_, "key that makes a retry safe; default: a new random key");
    get_ = schedule->add_subcommand("get", "read a portfolio's schedule");
    get_->add_option("--portfolio", portfolio_, "portfolio id")->required();
    get_->add_option("--revision", revision_, "revision; default the latest");
    get_->add_option("--as-of", as_of_, "the latest revision known at this RFC 3339 time");
    get_->add_flag("--csv", csv_, "print CSV (the format submit reads)");
    return schedule;
  }

  int Run(client::Client& client, const GlobalOptions& global) override {
    if (submit_->parsed()) return Submit(client, global);
    if (get_->parsed()) return Get(client, global);
    return 2;
  }

 private:
  int Submit(client::Client& client, const GlobalOptions& global) {
    v1::SubmitScheduleRequest req;
    req.set_portfolio_id(portfolio_);
    req.set_pcc_id(pcc_);
    req.set_resolution_minutes(resolution_);
    if (auto st = ReadScheduleCsv(file_, &req); !st.ok()) return Fail(st);
    if (revision_ == 0 && !key_.empty()) {
      // A retry must repeat the first request exactly: "the latest + 1"
      // would have moved on if the first one was stored.
      return Fail(absl::InvalidArgumentError("--revision: give it together with --idempotency-key"));
    }
    if (revision_ == 0) {
      v1::GetScheduleRequest latest;
      latest.set_portfolio_id(portfolio_);
      auto known = client.GetSchedule(latest);
      if (!known.ok() && known.status().code() != absl::StatusCode::kNotFound) return Fail(known.status());
      revision_ = known.ok() ? known->latest_revision() + 1 : 1;
    }
    req.set_revision(revision_);
    req.set_idempotency_key(key_.empty() ? NewKey() : key_);
    auto r = RetryWhileUnavailable([&] { return client.SubmitSchedule(req); });
    if (!r.ok()) {
      if (v1::ScheduleReceipt rejected; client::StatusDetail(r.status(), &rejected)) {
        if (global.json) {
          PrintJson(rejected);
        } else {
          PrintRejected(rejected);
        }
      }
      return Fail(r.status());
    }
    if (global.json) {
      PrintJson(*r);
    } else {
      PrintReceipt(*r);
    }
    return 0;
  }

  int Get(client::Client& client, const GlobalOptions& global) {
    v1::GetScheduleRequest req;
    req.set_portfolio_id(portfolio_);
    req.set_revision(revision_);
    if (!as_of_.empty()) {
      if (auto st = ParseTimeOption("--as-of", as_of_, req.mutable_as_of()); !st.ok()) return Fail(st);
    }
    auto r = client.GetSchedule(req);
    if (!r.ok()) return Fail(r.status());
    if (global.json) {
      PrintJson(*r);
    } else {
      PrintSchedule(*r, csv_);
    }
    return 0;
  }

  CLI::App* submit_ = nullptr;
  CLI::App* get_ = nullptr;
  std::string file_, portfolio_, pcc_, key_, as_of_;
  int64_t revision_ = 0;
  int resolution_ = 15;
  bool csv_ = false;
};

}  // namespace

std::unique_ptr<Command> NewScheduleCommand() { return std::make_unique<ScheduleCommand>(); }

}  // namespace tsodso::cli
