// Curtailment, the red phase: an operator orders portfolios below a PCC to
// cap or hold their exchange (tsodso curtail), aggregators acknowledge the
// notice (tsodso ack), and the operator sees who has (tsodso curtailment
// status).
#include <cstdio>
#include <iostream>

#include "absl/strings/numbers.h"
#include "cli/call.h"
#include "cli/command.h"
#include "cli/format.h"
#include "cli/time_input.h"

namespace tsodso::cli {
namespace {

class CurtailCommand : public Command {
 public:
  CLI::App* Setup(CLI::App& app) override {
    auto* curtail = app.add_subcommand("curtail", "order portfolios below a PCC to cap or hold (operator): red phase");
    curtail->add_option("--pcc", pcc_, "PCC id")->required();
    curtail->add_option("--from", from_, "RFC 3339 UTC start of the first ISP")->required();
    curtail->add_option("--to", to_, "RFC 3339 UTC end of the last ISP")->required();
    curtail->add_option("--cap", caps_, "PORTFOLIO=MW: cap the portfolio's injection; repeatable");
    curtail->add_option("--setpoint", setpoints_, "PORTFOLIO=MW: hold this exchange (consumption +); repeatable");
    curtail->add_option("--text", text_, "why, for the aggregators");
    curtail->add_option("--idempotency-key", key_, "key that makes a retry safe; default: a new random key");
    return curtail;
  }

  int Run(client::Client& client, const GlobalOptions& global) override {
    v1::IssueCurtailmentRequest req;
    req.set_pcc_id(pcc_);
    req.set_text(text_);
    if (auto st = ParseTimeOption("--from", from_, req.mutable_from()); !st.ok()) return Fail(st);
    if (auto st = ParseTimeOption("--to", to_, req.mutable_to()); !st.ok()) return Fail(st);
    for (auto [list, cap] : {std::pair{&caps_, true}, std::pair{&setpoints_, false}}) {
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
    req.set_idempotency_key(key_.empty() ? NewKey() : key_);
    auto r = RetryWhileUnavailable([&] { return client.IssueCurtailment(req); });
    if (!r.ok()) return Fail(r.status());
    if (global.json) {
      PrintJson(*r);
      return 0;
    }
    std::cout << "curtailment " << r->curtailment_id() << " issued as events";
    for (auto seq : r->event_seqs()) std::cout << " #" << seq;
    if (r->replayed()) std::cout << " (answer to an earlier identical request)";
    std::cout << std::endl;
    return 0;
  }

 private:
  std::string pcc_, from_, to_, text_, key_;
  std::vector<std::string> caps_, setpoints_;
};

class CurtailmentCommand : public Command {
 public:
  CLI::App* Setup(CLI::App& app) override {
    auto* curtailment = app.add_subcommand("curtailment", "curtailment acknowledgements (operator)");
    curtailment->require_subcommand(1);
    auto* status = curtailment->add_subcommand("status", "who has acknowledged a curtailment, and when");
    status->add_option("id", id_, "curtailment id")->required();
    return curtailment;
  }

  int Run(client::Client& client, const GlobalOptions& global) override {
    v1::GetCurtailmentStatusRequest req;
    req.set_curtailment_id(id_);
    auto r = client.GetCurtailmentStatus(req);
    if (!r.ok()) return Fail(r.status());
    if (global.json) {
      PrintJson(*r);
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

 private:
  std::string id_;
};

class AckCommand : public Command {
 public:
  CLI::App* Setup(CLI::App& app) override {
    auto* ack = app.add_subcommand("ack", "acknowledge a curtailment notice (aggregator)");
    ack->add_option("notice_id", id_, "the notice's id (its curtailment id)")->required();
    return ack;
  }

  int Run(client::Client& client, const GlobalOptions& global) override {
    v1::AcknowledgeNoticeRequest req;
    req.set_notice_id(id_);
    auto r = RetryWhileUnavailable([&] { return client.AcknowledgeNotice(req); });
    if (!r.ok()) return Fail(r.status());
    if (global.json) {
      PrintJson(*r);
      return 0;
    }
    std::printf("notice %s acknowledged at %s%s\n", r->notice_id().c_str(), Time(r->acknowledged_at()).c_str(),
                r->already_acknowledged() ? " (earlier)" : "");
    return 0;
  }

 private:
  std::string id_;
};

}  // namespace

std::unique_ptr<Command> NewCurtailCommand() { return std::make_unique<CurtailCommand>(); }
std::unique_ptr<Command> NewCurtailmentCommand() { return std::make_unique<CurtailmentCommand>(); }
std::unique_ptr<Command> NewAckCommand() { return std::make_unique<AckCommand>(); }

}  // namespace tsodso::cli
