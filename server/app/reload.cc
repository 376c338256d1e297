#include "app/reload.h"

#include <yaml-cpp/yaml.h>

#include <set>

#include "absl/strings/str_join.h"
#include "core/common/text_file.h"
#include "spdlog/spdlog.h"

namespace tsodso::app {
namespace {

// The keys a reload applies; every other top-level key needs a restart.
const std::set<std::string>& ReloadableKeys() {
  static const std::set<std::string> keys = {"log_level", "log_format", "pccs", "parties", "portfolios"};
  return keys;
}

}  // namespace

void RecheckCertificates(api::CertificateCheck& certificates, api::ServiceContext& ctx, feed::FeedHub& hub) {
  if (auto crls = certificates.Reload(); !crls.ok()) {
    // The CRLs in force stay in force.
    spdlog::error("reading the CRLs again: {}", std::string(crls.status().message()));
  }
  ctx.identities->ForgetCertificates();
  if (const size_t ended = hub.CloseUnentitled(); ended > 0) {
    spdlog::warn("ended {} subscription(s) no longer entitled to the feed", ended);
  }
}

ConfigReloader::ConfigReloader(const GatewayConfig& running, api::CertificateCheck& certificates,
                               api::ServiceContext& ctx, feed::FeedHub& hub)
    : path_(running.source), certificates_(certificates), ctx_(ctx), hub_(hub) {
  auto text = core::ReadTextFile(path_);
  if (text.ok()) running_yaml_ = *text;
}

std::vector<std::string> ConfigReloader::RestartOnlyChanges(const std::string& running_yaml,
                                                            const std::string& new_yaml) {
  std::vector<std::string> changed;
  try {
    const YAML::Node before = YAML::Load(running_yaml);
    const YAML::Node after = YAML::Load(new_yaml);
    std::set<std::string> keys;
    for (const YAML::Node* doc : {&before, &after}) {
      if (!doc->IsMap()) continue;
      for (const auto& kv : *doc) keys.insert(kv.first.as<std::string>());
    }
    for (const std::string& key : keys) {
      if (ReloadableKeys().count(key)) continue;
      const std::string a = before[key] ? YAML::Dump(before[key]) : "";
      const std::string b = after[key] ? YAML::Dump(after[key]) : "";
      if (a != b) changed.push_back(key);
    }
  } catch (const YAML::Exception&) {
    // LoadConfig has read the new text already; the running one was valid.
  }
  return changed;
}

absl::Status ConfigReloader::Reload() {
  spdlog::info("SIGHUP: reading {} again", path_);
  auto text = core::ReadTextFile(path_);
  auto config = LoadConfig(path_);
  if (!text.ok() || !config.ok()) {
    const absl::Status st = text.ok() ? config.status() : text.status();
    spdlog::error("reload refused, nothing changed: {}", std::string(st.message()));
    return st;
  }
  const std::vector<std::string> restart_only = RestartOnlyChanges(running_yaml_, *text);
  if (!restart_only.empty()) {
    spdlog::warn("reload: {} changed; left as it was until the next start", absl::StrJoin(restart_only, ", "));
  }
  spdlog::set_level(spdlog::level::from_str(config->log_level));
  runtime::log::SetFormat(config->log_format);
  ctx_.SetDirectory(
      std::make_shared<const service::Directory>(service::Directory{config->registry, config->portfolios}));
  ctx_.identities->ReplaceRegistry(config->registry);
  RecheckCertificates(certificates_, ctx_, hub_);
  spdlog::info("reload: {} parties, {} PCCs, {} portfolios, log level {}", config->registry->parties().size(),
               config->registry->pccs().size(), config->portfolios.size(), config->log_level);
  return absl::OkStatus();
}

}  // namespace tsodso::app
