// The verbs of the `tsodso` command line. Each lives in commands/<feature>.cc
// and keeps its options next to the code that uses them; main() declares
// every verb from the table AllCommands() returns and runs the one given.
#pragma once

#include <CLI/CLI.hpp>
#include <memory>
#include <vector>

#include "lib/client.h"

namespace tsodso::cli {

// Options that every verb takes, before or after the verb.
struct GlobalOptions {
  bool json = false;  // print one JSON object per line
};

class Command {
 public:
  virtual ~Command() = default;
  // Declare the verb, its options and its sub-verbs under `app`; return the
  // verb's own CLI::App, whose parsed() says whether it was given.
  virtual CLI::App* Setup(CLI::App& app) = 0;
  // Run the verb as parsed; return the process's exit code.
  virtual int Run(client::Client& client, const GlobalOptions& global) = 0;
};

// Every verb, in the order `tsodso --help` lists them.
std::vector<std::unique_ptr<Command>> AllCommands();

// One factory per verb.
std::unique_ptr<Command> NewWhoamiCommand();
std::unique_ptr<Command> NewPccsCommand();
std::unique_ptr<Command> NewHealthCommand();
std::unique_ptr<Command> NewSubscribeCommand();
std::unique_ptr<Command> NewFlexCommand();
std::unique_ptr<Command> NewForecastCommand();
std::unique_ptr<Command> NewNoticeCommand();
std::unique_ptr<Command> NewMolCommand();
std::unique_ptr<Command> NewTrafficLightCommand();
std::unique_ptr<Command> NewInterveneCommand();
std::unique_ptr<Command> NewScheduleCommand();
std::unique_ptr<Command> NewPrequalifyCommand();
std::unique_ptr<Command> NewCurtailCommand();
std::unique_ptr<Command> NewCurtailmentCommand();
std::unique_ptr<Command> NewAckCommand();

}  // namespace tsodso::cli
