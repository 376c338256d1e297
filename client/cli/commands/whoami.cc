// tsodso whoami: the party and role the gateway sees in your certificate.
#include <iostream>

#include "cli/call.h"
#include "cli/command.h"
#include "cli/format.h"

namespace tsodso::cli {
namespace {

class WhoamiCommand : public Command {
 public:
  CLI::App* Setup(CLI::App& app) override {
    return app.add_subcommand("whoami", "show the party and role the gateway derives from your certificate");
  }

  int Run(client::Client& client, const GlobalOptions& global) override {
    auto r = client.WhoAmI();
    if (!r.ok()) return Fail(r.status());
    if (global.json) {
      PrintJson(*r);
      return 0;
    }
    std::cout << "party " << r->party_id() << " role " << EnumLabel(r->role()) << " identity "
              << r->certificate_identity() << " pccs";
    for (const auto& p : r->pcc_ids()) std::cout << " " << p;
    std::cout << std::endl;
    return 0;
  }
};

}  // namespace

std::unique_ptr<Command> NewWhoamiCommand() { return std::make_unique<WhoamiCommand>(); }

}  // namespace tsodso::cli
