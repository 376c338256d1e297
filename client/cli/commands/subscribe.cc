// tsodso subscribe: the event feed, replayed from a seq and then live, with
// resumption from a state file and reconnection after an outage.
#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <thread>

#include "cli/call.h"
#include "cli/command.h"
#include "cli/format.h"

namespace tsodso::cli {
namespace {

// The state file holds the seq of the last event printed, so that a
// restarted `tsodso subscribe --state-file F` resumes by itself.
int64_t ReadState(const std::string& path) {
  std::ifstream in(path);
  int64_t seq = 0;
  if (in >> seq) return seq;
  return 0;
}

bool WriteState(const std::string& path, int64_t seq) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << seq << "\n";
    if (!out.flush()) return false;
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  return !ec;
}

// Where to resubscribe after the stream ended with `st`, as the feed's
// contract says (feed.proto): RESOURCE_EXHAUSTED (fell behind, or too many
// streams open) and UNAVAILABLE (the gateway stopped, lost its database, or
// closed an old connection) resume after the last seq received;
// OUT_OF_RANGE (the log was reset) starts again from 0. Nothing when the
// status is not one to retry.
std::optional<int64_t> ResumePoint(const absl::Status& st, int64_t last) {
  switch (st.code()) {
    case absl::StatusCode::kResourceExhausted:
    case absl::StatusCode::kUnavailable:
      return last;
    case absl::StatusCode::kOutOfRange:
      return 0;
    default:
      return std::nullopt;
  }
}

// The handler only sets a flag (async-signal-safe); a watcher thread turns
// it into a cancellation of the stream.
volatile std::sig_atomic_t g_stop = 0;
void OnSignal(int) { g_stop = 1; }

class SubscribeCommand : public Command {
 public:
  CLI::App* Setup(CLI::App& app) override {
    auto* subscribe = app.add_subcommand("subscribe", "stream events: replay what you missed, then live");
    subscribe->add_option("--topic", topics_, "topic to receive (NOTICE); repeatable; default all");
    subscribe->add_option("--pcc", pccs_, "PCC to receive; repeatable; default all you may see");
    subscribe->add_option("--resume-after", resume_after_, "replay events with seq greater than this");
    subscribe->add_option("--state-file", state_file_, "keep the last seq here and resume from it on restart");
    subscribe->add_option("--max-events", max_events_, "exit 0 after this many events (heartbeats not counted)");
    subscribe->add_flag("--reconnect", reconnect_,
                        "on UNAVAILABLE or RESOURCE_EXHAUSTED, resubscribe after the last seq; on OUT_OF_RANGE (the "
                        "log was reset), from 0");
    subscribe->add_flag("--show-heartbeats", show_heartbeats_, "print heartbeats too");
    return subscribe;
  }

  int Run(client::Client& client, const GlobalOptions& global) override {
    v1::SubscribeRequest req;
    for (const auto& t : topics_) {
      v1::Topic topic;
      if (!ParseEnumLabel(t, &topic) || topic == v1::TOPIC_UNSPECIFIED) {
        return Fail(absl::InvalidArgumentError("--topic: unknown topic '" + t + "'"));
      }
      req.add_topics(topic);
    }
    for (const auto& p : pccs_) req.add_pcc_ids(p);
    int64_t last = resume_after_ >= 0 ? resume_after_ : (state_file_.empty() ? 0 : ReadState(state_file_));
    std::signal(SIGINT, OnSignal);
    std::signal(SIGTERM, OnSignal);
    std::atomic<bool> done{false};
    std::thread watcher([&] {
      while (!done) {
        if (g_stop) {
          client.Cancel();
          return;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
    });
    struct JoinOnExit {
      std::atomic<bool>& done;
      std::thread& t;
      ~JoinOnExit() {
        done = true;
        t.join();
      }
    } join_on_exit{done, watcher};
    int64_t received = 0;
    int backoff_ms = 200;
    while (true) {
      req.set_resume_after_seq(last);
      bool reached_max = false;
      absl::Status st = client.Subscribe(req, [&](const v1::Event& e) {
        if (e.has_heartbeat() && !show_heartbeats_) return true;
        std::cout << (global.json ? Json(e) : Human(e)) << std::endl;
        if (e.seq() > 0) {
          last = e.seq();
          backoff_ms = 200;
          if (!state_file_.empty() && !WriteState(state_file_, last)) {
            std::fprintf(stderr, "tsodso: cannot write state file %s\n", state_file_.c_str());
          }
          if (max_events_ > 0 && ++received >= max_events_) {
            reached_max = true;
            return false;
          }
        }
        return true;
      });
      if (st.ok() || reached_max || g_stop) return 0;
      const std::optional<int64_t> resume = ResumePoint(st, last);
      if (!reconnect_ || !resume) return Fail(st);
      last = *resume;
      std::fprintf(stderr, "tsodso: %s: %s; resuming after seq %lld\n", absl::StatusCodeToString(st.code()).c_str(),
                   std::string(st.message()).c_str(), static_cast<long long>(last));
      std::this_thread::sleep_for(std::chrono::milliseconds(backoff_ms));
      backoff_ms = std::min(backoff_ms * 2, 5000);
    }
  }

 private:
  std::vector<std::string> topics_;
  std::vector<std::string> pccs_;
  int64_t resume_after_ = -1;
  std::string state_file_;
  int64_t max_events_ = 0;
  bool reconnect_ = false;
  bool show_heartbeats_ = false;
};

}  // namespace

std::unique_ptr<Command> NewSubscribeCommand() { return std::make_unique<SubscribeCommand>(); }

}  // namespace tsodso::cli
