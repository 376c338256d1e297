// What SIGHUP changes in a running gateway: the party registry and its PCCs,
// the aggregators' portfolios, the log level, and the certificates and CRLs
// (which are also read again every tls.refresh_interval_s). Every other key
// takes effect at the next start: a change to one is named in the log and
// left as it was. A file that does not load changes nothing.
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "api/certificate_check.h"
#include "api/service_context.h"
#include "app/config.h"
#include "feed/hub.h"

namespace tsodso::app {

// Read the certificates' CRLs again, check every certificate afresh, and
// end the streams no longer entitled to the feed (revoked, expired, removed
// from the registry or changed role).
void RecheckCertificates(api::CertificateCheck& certificates, api::ServiceContext& ctx, feed::FeedHub& hub);

class ConfigReloader {
 public:
  ConfigReloader(const GatewayConfig& running, api::CertificateCheck& certificates, api::ServiceContext& ctx,
                 feed::FeedHub& hub);

  // Read the configuration file again and apply what can change at run time.
  absl::Status Reload();

  // Return the top-level keys whose change needs a restart that differ
  // between two configuration texts.
  static std::vector<std::string> RestartOnlyChanges(const std::string& running_yaml, const std::string& new_yaml);

 private:
  const std::string path_;
  std::string running_yaml_;
  api::CertificateCheck& certificates_;
  api::ServiceContext& ctx_;
  feed::FeedHub& hub_;
};

}  // namespace tsodso::app
