// tsodso health: whether the gateway is serving, for probes and scripts.
#include <iostream>

#include "cli/call.h"
#include "cli/command.h"

namespace tsodso::cli {
namespace {

class HealthCommand : public Command {
 public:
  CLI::App* Setup(CLI::App& app) override {
    return app.add_subcommand("health", "check that the gateway is serving (gRPC health service)");
  }

  int Run(client::Client& client, const GlobalOptions&) override {
    if (auto st = client.Health(); !st.ok()) return Fail(st);
    std::cout << "SERVING" << std::endl;
    return 0;
  }
};

}  // namespace

std::unique_ptr<Command> NewHealthCommand() { return std::make_unique<HealthCommand>(); }

}  // namespace tsodso::cli
