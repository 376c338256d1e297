// A bare gRPC fan-out server with the gateway's feed API, for the feed
// benchmark (tests/bench/feed_bench.cc) to measure the gateway against.
//
//   tsodso_bare_feed_server --certs DIR --ready-file PATH [--queue-capacity N]
//
// It serves FeedService.Subscribe and OperatorService.PublishNotice on a
// free port of 127.0.0.1, under the same mutual TLS as the gateway (the
// demo certificates in DIR). A published notice becomes the next event in
// seq order and is queued to every open stream at once; nothing is stored,
// nothing is replayed, no identity or access check runs. Each stream has a
// bounded queue and is ended with RESOURCE_EXHAUSTED when it overflows, as
// the gateway's are. It writes {"port": P, "pid": PID} to the ready file
// once it listens and runs until killed.
#include <grpcpp/grpcpp.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <deque>
#include <fstream>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_set>

#include "tsodso/v1/feed.grpc.pb.h"
#include "tsodso/v1/operator.grpc.pb.h"

namespace {

using tsodso::v1::Event;

class Stream;

// Every open stream and the seq counter; publishing holds the lock, so
// every stream sees the events in seq order.
class Fanout {
 public:
  explicit Fanout(size_t capacity) : capacity_(capacity) {}
  size_t capacity() const { return capacity_; }
  void Add(Stream* s) {
    std::lock_guard lock(mu_);
    streams_.insert(s);
  }
  void Remove(Stream* s) {
    std::lock_guard lock(mu_);
    streams_.erase(s);
  }
  int64_t Publish(const tsodso::v1::PublishNoticeRequest& request);

 private:
  std::mutex mu_;
  std::unordered_set<Stream*> streams_;
  int64_t seq_ = 0;
  const size_t capacity_;
};

class Stream final : public grpc::ServerWriteReactor<Event> {
 public:
  explicit Stream(Fanout& fanout) : fanout_(fanout) {
    fanout_.Add(this);
    StartSendInitialMetadata();
  }

  // Called with the fan-out's lock held.
  void Push(const std::shared_ptr<const Event>& event) {
    std::lock_guard lock(mu_);
    if (ended_) return;
    if (queue_.size() >= fanout_.capacity()) {
      ended_ = true;
      queue_.clear();
      if (!writing_) Finish(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, "subscriber fell behind"));
      return;
    }
    queue_.push_back(event);
    if (!writing_) WriteNextLocked();
  }

  void OnWriteDone(bool ok) override {
    std::lock_guard lock(mu_);
    writing_ = false;
    in_flight_.reset();
    if (!ok) {
      ended_ = true;
      queue_.clear();
      Finish(grpc::Status::CANCELLED);
      return;
    }
    if (ended_) {
      Finish(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, "subscriber fell behind"));
      return;
    }
    if (!queue_.empty()) WriteNextLocked();
  }

  void OnCancel() override {
    std::lock_guard lock(mu_);
    if (ended_) return;
    ended_ = true;
    queue_.clear();
    if (!writing_) Finish(grpc::Status::CANCELLED);
  }

  void OnDone() override {
    fanout_.Remove(this);
    delete this;
  }

 private:
  void WriteNextLocked() {
    in_flight_ = std::move(queue_.front());
    queue_.pop_front();
    writing_ = true;
    StartWrite(in_flight_.get());
  }

  Fanout& fanout_;
  std::mutex mu_;
  std::deque<std::shared_ptr<const Event>> queue_;
  std::shared_ptr<const Event> in_flight_;
  bool writing_ = false;
  bool ended_ = false;
};

int64_t Fanout::Publish(const tsodso::v1::PublishNoticeRequest& request) {
  auto event = std::make_shared<Event>();
  event->set_topic(tsodso::v1::TOPIC_NOTICE);
  auto now = std::chrono::system_clock::now().time_since_epoch();
  event->mutable_published_at()->set_seconds(std::chrono::duration_cast<std::chrono::seconds>(now).count());
  event->mutable_published_at()->set_nanos(static_cast<int>((now % std::chrono::seconds(1)).count() % 1000000000));
  tsodso::v1::Notice* notice = event->mutable_notice();
  notice->set_notice_id("00000000-0000-4000-8000-000000000000");
  notice->set_severity(request.severity());
  notice->set_text(request.text());
  *notice->mutable_valid_from() = event->published_at();
  *notice->mutable_valid_to() = event->published_at();
  notice->mutable_valid_to()->set_seconds(event->published_at().seconds() + 86400);
  notice->set_published_by("dso-operator");
  std::lock_guard lock(mu_);
  event->set_seq(++seq_);
  const std::shared_ptr<const Event> shared = std::move(event);
  for (Stream* s : streams_) s->Push(shared);
  return seq_;
}

class Feed final : public tsodso::v1::FeedService::CallbackService {
 public:
  explicit Feed(Fanout& fanout) : fanout_(fanout) {}
  grpc::ServerWriteReactor<Event>* Subscribe(grpc::CallbackServerContext*,
                                             const tsodso::v1::SubscribeRequest*) override {
    return new Stream(fanout_);
  }

 private:
  Fanout& fanout_;
};

class Operator final : public tsodso::v1::OperatorService::CallbackService {
 public:
  explicit Operator(Fanout& fanout) : fanout_(fanout) {}
  grpc::ServerUnaryReactor* PublishNotice(grpc::CallbackServerContext* call,
                                          const tsodso::v1::PublishNoticeRequest* request,
                                          tsodso::v1::PublishNoticeResponse* response) override {
    response->add_event_seqs(fanout_.Publish(*request));
    auto* reactor = call->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }

 private:
  Fanout& fanout_;
};

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

}  // namespace

int main(int argc, char** argv) {
  std::string certs;
  std::string ready;
  size_t capacity = 1024;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--certs") certs = argv[i + 1];
    if (flag == "--ready-file") ready = argv[i + 1];
    if (flag == "--queue-capacity") capacity = static_cast<size_t>(std::atoll(argv[i + 1]));
  }
  if (certs.empty() || ready.empty()) {
    std::fprintf(stderr, "usage: %s --certs DIR --ready-file PATH [--queue-capacity N]\n", argv[0]);
    return 2;
  }
  grpc::SslServerCredentialsOptions ssl(GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  ssl.pem_root_certs = ReadFile(certs + "/ca.crt");
  ssl.pem_key_cert_pairs.push_back({ReadFile(certs + "/server.key"), ReadFile(certs + "/server.crt")});

  Fanout fanout(capacity);
  Feed feed(fanout);
  Operator op(fanout);
  int port = 0;
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::SslServerCredentials(ssl), &port);
  builder.RegisterService(&feed);
  builder.RegisterService(&op);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (!server || port == 0) {
    std::fprintf(stderr, "cannot listen\n");
    return 1;
  }
  const std::string tmp = ready + ".tmp";
  std::ofstream(tmp) << "{\"port\": " << port << ", \"pid\": " << getpid() << "}\n";
  std::rename(tmp.c_str(), ready.c_str());
  server->Wait();
  return 0;
}
