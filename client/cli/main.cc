// tsodso: command line for TSOs, aggregators and DSO operators.
//
// Exit codes, for scripts:
//   0 success                    4 UNAUTHENTICATED / PERMISSION_DENIED
//   1 other error                5 INVALID_ARGUMENT / OUT_OF_RANGE / FAILED_PRECONDITION
//   2 usage error                6 ALREADY_EXISTS (idempotency key reused)
//   3 UNAVAILABLE / DEADLINE     7 RESOURCE_EXHAUSTED (subscriber cut; resume)
//
// Each verb lives in commands/<feature>.cc; this file holds the options all
// verbs share, connects and runs the verb given.
#include <CLI/CLI.hpp>
#include <cstdlib>

#include "cli/call.h"
#include "cli/command.h"
#include "lib/client.h"

int main(int argc, char** argv) {
  using namespace tsodso;
  CLI::App app{"tsodso: talk to a tsodso gateway over mutual TLS"};
  app.require_subcommand(1);
  app.fallthrough();  // global options may follow the verb: `tsodso subscribe --json`
  app.set_config("--profile", "", "read options from a TOML/INI profile file (server = \"...\", cert = \"...\")");
  client::ConnectionOptions conn;
  if (const char* s = std::getenv("TSODSO_SERVER")) conn.server = s;
  cli::GlobalOptions global;
  app.add_option("--server", conn.server, "gateway address host:port (env TSODSO_SERVER)")->capture_default_str();
  app.add_option("--cert", conn.cert_file, "client certificate (PEM)");
  app.add_option("--key", conn.key_file, "client private key (PEM)");
  app.add_option("--ca", conn.ca_file, "CA certificate that signed the gateway (PEM)");
  app.add_option("--server-name", conn.server_name, "name expected in the gateway's certificate");
  app.add_option("--timeout-ms", conn.timeout_ms, "deadline of each unary call")->capture_default_str();
  app.add_flag("--json", global.json, "print one JSON object per line");

  const std::vector<std::unique_ptr<cli::Command>> commands = cli::AllCommands();
  std::vector<CLI::App*> verbs;
  for (const auto& command : commands) verbs.push_back(command->Setup(app));

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }

  auto connected = client::Client::Connect(conn);
  if (!connected.ok()) return cli::Fail(connected.status());
  for (size_t i = 0; i < commands.size(); ++i) {
    if (verbs[i]->parsed()) return commands[i]->Run(**connected, global);
  }
  return 2;
}
