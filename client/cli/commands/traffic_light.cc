// tsodso traffic-light: a PCC's traffic lights per ISP over a window.
#include <cstdio>

#include "cli/call.h"
#include "cli/command.h"
#include "cli/format.h"
#include "cli/time_input.h"

namespace tsodso::cli {
namespace {

class TrafficLightCommand : public Command {
 public:
  CLI::App* Setup(CLI::App& app) override {
    auto* lights = app.add_subcommand("traffic-light", "traffic lights of a PCC per ISP");
    lights->add_option("--pcc", pcc_, "PCC id")->required();
    lights->add_option("--from", from_, "RFC 3339 UTC start (ISP-aligned); default the current ISP");
    lights->add_option("--to", to_, "RFC 3339 UTC end; default 24 hours after --from");
    return lights;
  }

  int Run(client::Client& client, const GlobalOptions& global) override {
    v1::GetTrafficLightsRequest req;
    req.set_pcc_id(pcc_);
    google::protobuf::Timestamp from = NextIsp();
    from.set_seconds(from.seconds() - 900);
    if (!from_.empty()) {
      if (auto st = ParseTimeOption("--from", from_, &from); !st.ok()) return Fail(st);
    }
    google::protobuf::Timestamp to = from;
    to.set_seconds(from.seconds() + 24 * 3600);
    if (!to_.empty()) {
      if (auto st = ParseTimeOption("--to", to_, &to); !st.ok()) return Fail(st);
    }
    *req.mutable_from() = from;
    *req.mutable_to() = to;
    auto r = client.GetTrafficLights(req);
    if (!r.ok()) return Fail(r.status());
    for (const auto& l : r->lights()) {
      if (global.json) {
        PrintJson(l);
        continue;
      }
      std::printf("%s %s .. %s %s\n", l.pcc_id().c_str(), Time(l.start()).c_str(), Time(l.end()).c_str(),
                  LightText(l).c_str());
    }
    return 0;
  }

 private:
  std::string pcc_, from_, to_;
};

}  // namespace

std::unique_ptr<Command> NewTrafficLightCommand() { return std::make_unique<TrafficLightCommand>(); }

}  // namespace tsodso::cli
