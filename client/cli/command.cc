#include "cli/command.h"

namespace tsodso::cli {

std::vector<std::unique_ptr<Command>> AllCommands() {
  std::vector<std::unique_ptr<Command>> all;
  for (auto* make :
       {NewWhoamiCommand, NewPccsCommand, NewHealthCommand, NewSubscribeCommand, NewFlexCommand, NewForecastCommand,
        NewNoticeCommand, NewMolCommand, NewTrafficLightCommand, NewInterveneCommand, NewScheduleCommand,
        NewPrequalifyCommand, NewCurtailCommand, NewCurtailmentCommand, NewAckCommand}) {
    all.push_back(make());
  }
  return all;
}

}  // namespace tsodso::cli
