// tsodso notice publish: an operator's notice to the parties at some PCCs.
#include <iostream>

#include "cli/call.h"
#include "cli/command.h"
#include "cli/format.h"
#include "cli/time_input.h"

namespace tsodso::cli {
namespace {

class NoticeCommand : public Command {
 public:
  CLI::App* Setup(CLI::App& app) override {
    auto* notice = app.add_subcommand("notice", "operator notices");
    notice->require_subcommand(1);
    auto* publish = notice->add_subcommand("publish", "publish a notice (DSO operator only)");
    publish->add_option("--severity", severity_, "INFO, WARNING or CRITICAL")->capture_default_str();
    publish->add_option("--text", text_, "notice text")->required();
    publish->add_option("--pcc", pccs_, "PCC concerned; repeatable; default: all parties");
    publish->add_option("--valid-from", valid_from_, "RFC 3339 UTC start, default now");
    publish->add_option("--valid-to", valid_to_, "RFC 3339 UTC end, default start + 24 h");
    publish->add_option("--idempotency-key", key_, "key that makes a retry safe; default: a new random key");
    return notice;
  }

  int Run(client::Client& client, const GlobalOptions& global) override {
    v1::PublishNoticeRequest req;
    v1::Severity severity;
    if (!ParseEnumLabel(severity_, &severity)) {
      return Fail(absl::InvalidArgumentError("--severity: '" + severity_ + "' is not INFO, WARNING or CRITICAL"));
    }
    req.set_severity(severity);
    req.set_text(text_);
    for (const auto& p : pccs_) req.add_pcc_ids(p);
    if (!valid_from_.empty()) {
      if (auto st = ParseTimeOption("--valid-from", valid_from_, req.mutable_valid_from()); !st.ok()) return Fail(st);
    }
    if (!valid_to_.empty()) {
      if (auto st = ParseTimeOption("--valid-to", valid_to_, req.mutable_valid_to()); !st.ok()) return Fail(st);
    }
    req.set_idempotency_key(key_.empty() ? NewKey() : key_);
    auto r = RetryWhileUnavailable([&] { return client.PublishNotice(req); });
    if (!r.ok()) return Fail(r.status());
    if (global.json) {
      PrintJson(*r);
      return 0;
    }
    std::cout << "notice " << r->notice_id() << " published as events";
    for (auto s : r->event_seqs()) std::cout << " #" << s;
    if (r->replayed()) std::cout << " (answer to an earlier identical request)";
    std::cout << std::endl;
    return 0;
  }

 private:
  std::string severity_ = "INFO";
  std::string text_;
  std::vector<std::string> pccs_;
  std::string valid_from_, valid_to_, key_;
};

}  // namespace

std::unique_ptr<Command> NewNoticeCommand() { return std::make_unique<NoticeCommand>(); }

}  // namespace tsodso::cli
