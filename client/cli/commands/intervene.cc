// tsodso intervene: an operator declares (or lifts) direct intervention
// below a PCC, which turns its traffic lights red for those ISPs.
#include <iostream>

#include "cli/call.h"
#include "cli/command.h"
#include "cli/format.h"
#include "cli/time_input.h"

namespace tsodso::cli {
namespace {

class InterveneCommand : public Command {
 public:
  CLI::App* Setup(CLI::App& app) override {
    auto* intervene = app.add_subcommand("intervene", "declare direct intervention below a PCC (operator): red light");
    intervene->add_option("--pcc", pcc_, "PCC id")->required();
    intervene->add_option("--from", from_, "RFC 3339 UTC start of the first ISP")->required();
    intervene->add_option("--to", to_, "RFC 3339 UTC end of the last ISP")->required();
    intervene->add_option("--idempotency-key", key_, "key that makes a retry safe; default: a new random key");
    intervene->add_flag("--lift", lift_, "end the intervention for those ISPs instead");
    return intervene;
  }

  int Run(client::Client& client, const GlobalOptions& global) override {
    v1::DeclareInterventionRequest req;
    req.set_pcc_id(pcc_);
    if (auto st = ParseTimeOption("--from", from_, req.mutable_from()); !st.ok()) return Fail(st);
    if (auto st = ParseTimeOption("--to", to_, req.mutable_to()); !st.ok()) return Fail(st);
    req.set_idempotency_key(key_.empty() ? NewKey() : key_);
    req.set_lift(lift_);
    auto r = client.DeclareIntervention(req);
    if (!r.ok()) return Fail(r.status());
    if (global.json) {
      PrintJson(*r);
      return 0;
    }
    std::cout << "intervention " << (lift_ ? "lifted" : "declared") << " at " << pcc_ << ": " << r->event_seqs_size()
              << " traffic-light change(s)";
    for (auto s : r->event_seqs()) std::cout << " #" << s;
    if (r->replayed()) std::cout << " (answer to an earlier identical request)";
    std::cout << std::endl;
    return 0;
  }

 private:
  std::string pcc_, from_, to_, key_;
  bool lift_ = false;
};

}  // namespace

std::unique_ptr<Command> NewInterveneCommand() { return std::make_unique<InterveneCommand>(); }

}  // namespace tsodso::cli
