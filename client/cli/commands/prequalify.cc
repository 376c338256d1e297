// tsodso prequalify: an aggregator asks the DSO to prequalify assets given
// as CSV; one line (or JSON object) per asset.
#include <cstdio>

#include "cli/call.h"
#include "cli/command.h"
#include "cli/csv_input.h"
#include "cli/format.h"

namespace tsodso::cli {
namespace {

class PrequalifyCommand : public Command {
 public:
  CLI::App* Setup(CLI::App& app) override {
    auto* prequalify = app.add_subcommand("prequalify", "ask the DSO to prequalify assets (aggregator)");
    prequalify->add_option("file", file_, "CSV: resource_id,type,pcc,sn_mva,p_min_mw,p_max_mw,q_min_mvar,q_max_mvar")
        ->required();
    prequalify->add_option("--idempotency-key", key_, "key that makes a retry safe; default: a new random key");
    return prequalify;
  }

  int Run(client::Client& client, const GlobalOptions& global) override {
    v1::PrequalificationRequest req;
    if (auto st = ReadAssetsCsv(file_, &req); !st.ok()) return Fail(st);
    req.set_idempotency_key(key_.empty() ? NewKey() : key_);
    auto r = RetryWhileUnavailable([&] { return client.RequestPrequalification(req); });
    if (!r.ok()) return Fail(r.status());
    for (const auto& a : r->results()) {
      if (global.json) {
        PrintJson(a);
      } else if (a.outcome() == v1::QUALIFICATION_OUTCOME_QUALIFIED) {
        std::printf("%-14s %-8s QUALIFIED      until %s, %.2f .. %.2f MW\n", a.resource_id().c_str(),
                    a.pcc_id().c_str(), Time(a.valid_until()).c_str(), a.p_min_mw(), a.p_max_mw());
      } else {
        std::printf("%-14s %-8s NOT_QUALIFIED  %s\n", a.resource_id().c_str(), a.pcc_id().c_str(),
                    EnumLabel(a.reason()).c_str());
      }
    }
    return 0;
  }

 private:
  std::string file_, key_;
};

}  // namespace

std::unique_ptr<Command> NewPrequalifyCommand() { return std::make_unique<PrequalifyCommand>(); }

}  // namespace tsodso::cli
