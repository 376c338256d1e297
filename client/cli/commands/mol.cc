// tsodso mol validate: the DSO's check of a TSO's merit-order list, bid by
// bid, with the traffic lights it sets.
#include <cstdio>

#include "cli/call.h"
#include "cli/command.h"
#include "cli/csv_input.h"
#include "cli/format.h"
#include "cli/time_input.h"

namespace tsodso::cli {
namespace {

void PrintTable(const v1::MeritOrderValidation& r) {
  std::printf("validation %s, ISP %s .. %s, %s%s\n", r.validation_id().c_str(), Time(r.isp_start()).c_str(),
              Time(r.isp_end()).c_str(), EnumLabel(r.direction()).c_str(),
              r.replayed() ? " (stored answer to an earlier identical list)" : "");
  std::printf("%4s %-12s %-8s %-8s %-9s %9s %9s  %s\n", "pos", "bid", "bsp", "pcc", "outcome", "asked MW", "safe MW",
              "reason");
  for (const auto& b : r.results()) {
    std::printf("%4d %-12s %-8s %-8s %-9s %9.2f %9.2f  %s\n", b.merit_order_position(), b.bid_id().c_str(),
                b.bsp_party_id().c_str(), b.pcc_id().c_str(), EnumLabel(b.outcome()).c_str(), b.requested_mw(),
                b.accepted_mw(), b.reason() == v1::LIMIT_REASON_UNSPECIFIED ? "" : EnumLabel(b.reason()).c_str());
  }
  for (const auto& l : r.traffic_lights()) {
    std::printf("traffic light %s: %s\n", l.pcc_id().c_str(), LightText(l).c_str());
  }
}

class MolCommand : public Command {
 public:
  CLI::App* Setup(CLI::App& app) override {
    auto* mol = app.add_subcommand("mol", "merit-order-list validation (TSO)");
    mol->require_subcommand(1);
    auto* validate = mol->add_subcommand("validate", "have the DSO validate a MOL given as CSV");
    validate->add_option("file", file_, "CSV: bid_id,bsp,resources,pcc,quantity_mw,price_eur_per_mwh[,...]")
        ->required();
    validate->add_option("--direction", direction_, "up or down")->capture_default_str();
    validate->add_option("--isp", isp_, "RFC 3339 UTC start of the ISP; default the next one");
    validate->add_option("--validation-id", id_, "id of this validation; default a new random one");
    return mol;
  }

  int Run(client::Client& client, const GlobalOptions& global) override {
    v1::ValidateMeritOrderRequest req;
    google::protobuf::Timestamp isp = NextIsp();
    if (!isp_.empty()) {
      if (auto st = ParseTimeOption("--isp", isp_, &isp); !st.ok()) return Fail(st);
    }
    if (direction_ != "up" && direction_ != "down") {
      return Fail(absl::InvalidArgumentError("--direction: '" + direction_ + "' is not up or down"));
    }
    req.set_direction(direction_ == "up" ? v1::DIRECTION_UP : v1::DIRECTION_DOWN);
    req.set_validation_id(id_.empty() ? NewKey() : id_);
    if (auto st = ReadMolCsv(file_, isp, &req); !st.ok()) return Fail(st);
    auto r = RetryWhileUnavailable([&] { return client.ValidateMeritOrder(req); });
    if (!r.ok()) return Fail(r.status());
    if (global.json) {
      PrintJson(*r);
    } else {
      PrintTable(*r);
    }
    return 0;
  }

 private:
  std::string file_, direction_ = "up", isp_, id_;
};

}  // namespace

std::unique_ptr<Command> NewMolCommand() { return std::make_unique<MolCommand>(); }

}  // namespace tsodso::cli
