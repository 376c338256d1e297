// tsodso pccs: the PCCs the caller may see.
#include <iostream>

#include "cli/call.h"
#include "cli/command.h"
#include "cli/format.h"

namespace tsodso::cli {
namespace {

class PccsCommand : public Command {
 public:
  CLI::App* Setup(CLI::App& app) override { return app.add_subcommand("pccs", "list the PCCs you may see"); }

  int Run(client::Client& client, const GlobalOptions& global) override {
    auto r = client.ListPccs();
    if (!r.ok()) return Fail(r.status());
    for (const auto& p : r->pccs()) {
      if (global.json) {
        PrintJson(p);
        continue;
      }
      std::cout << p.pcc_id() << "\t" << p.display_name() << "\t";
      for (int i = 0; i < p.voltage_levels_kv_size(); ++i) std::cout << (i ? "/" : "") << p.voltage_levels_kv(i);
      std::cout << " kV" << std::endl;
    }
    return 0;
  }
};

}  // namespace

std::unique_ptr<Command> NewPccsCommand() { return std::make_unique<PccsCommand>(); }

}  // namespace tsodso::cli
