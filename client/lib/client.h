// A client of the tsodso.v1 services over mutual TLS: what the `tsodso`
// command line, the demo simulators and the end-to-end tests use.
#pragma once

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "tsodso/v1/feed.grpc.pb.h"
#include "tsodso/v1/flexibility.grpc.pb.h"
#include "tsodso/v1/forecast.grpc.pb.h"
#include "tsodso/v1/operator.grpc.pb.h"
#include "tsodso/v1/prequalification.grpc.pb.h"
#include "tsodso/v1/registry.grpc.pb.h"
#include "tsodso/v1/schedule.grpc.pb.h"
#include "tsodso/v1/validation.grpc.pb.h"

namespace tsodso::client {

struct ConnectionOptions {
  std::string server = "localhost:50051";  // host:port
  std::string cert_file;                   // this party's certificate (PEM)
  std::string key_file;                    // its private key (PEM)
  std::string ca_file;                     // CA that signed the gateway's certificate (PEM)
  // Name to expect in the gateway's certificate when it differs from the
  // host in `server` (e.g. connecting by a load balancer address).
  std::string server_name;
  int timeout_ms = 10000;  // per unary call
  // Cap on the HTTP/2 receive window in bytes, for a client that must not
  // buffer much; 0 lets gRPC size it to the link.
  int receive_window_bytes = 0;
};

// Map a gRPC status to absl::Status, keeping code, message and each detail
// of its error details (google.rpc.Status) as a payload under its type URL.
absl::Status FromGrpc(const grpc::Status& status);

// Read the detail of type M (e.g. a rejected v1::ScheduleReceipt) from a
// status that FromGrpc made; false when it has none.
template <typename M>
bool StatusDetail(const absl::Status& status, M* out) {
  const auto payload = status.GetPayload("type.googleapis.com/" + std::string(M::descriptor()->full_name()));
  return payload.has_value() && out->ParseFromString(std::string(*payload));
}

class Client {
 public:
  // Read the PEM files and open a channel (connection is lazy).
  static absl::StatusOr<std::unique_ptr<Client>> Connect(const ConnectionOptions& options);

  absl::StatusOr<v1::WhoAmIResponse> WhoAmI();
  absl::StatusOr<v1::ListPccsResponse> ListPccs();
  absl::StatusOr<v1::PublishNoticeResponse> PublishNotice(const v1::PublishNoticeRequest& request);
  absl::StatusOr<v1::DeclareInterventionResponse> DeclareIntervention(const v1::DeclareInterventionRequest& request);
  absl::StatusOr<v1::GetFlexibilityResponse> GetFlexibility(const v1::GetFlexibilityRequest& request);
  absl::StatusOr<v1::Forecast> GetForecast(const v1::GetForecastRequest& request);
  absl::StatusOr<v1::MeritOrderValidation> ValidateMeritOrder(const v1::ValidateMeritOrderRequest& request);
  absl::StatusOr<v1::GetTrafficLightsResponse> GetTrafficLights(const v1::GetTrafficLightsRequest& request);
  absl::StatusOr<v1::ScheduleReceipt> SubmitSchedule(const v1::SubmitScheduleRequest& request);
  absl::StatusOr<v1::GetScheduleResponse> GetSchedule(const v1::GetScheduleRequest& request);
  absl::StatusOr<v1::PrequalificationResponse> RequestPrequalification(const v1::PrequalificationRequest& request);
  absl::StatusOr<v1::IssueCurtailmentResponse> IssueCurtailment(const v1::IssueCurtailmentRequest& request);
  absl::StatusOr<v1::CurtailmentStatus> GetCurtailmentStatus(const v1::GetCurtailmentStatusRequest& request);
  absl::StatusOr<v1::AcknowledgeNoticeResponse> AcknowledgeNotice(const v1::AcknowledgeNoticeRequest& request);
  // Ask the standard gRPC health service; OK when the gateway is serving.
  absl::Status Health();

  // Stream events to `on_event` until it returns false (the stream is then
  // cancelled and OK returned), Cancel() is called, or the gateway ends the
  // stream (its status is returned). Heartbeats are passed on too.
  absl::Status Subscribe(const v1::SubscribeRequest& request, const std::function<bool(const v1::Event&)>& on_event);
  // Cancel a Subscribe running in another thread.
  void Cancel();

 private:
  // How far a unary call's connection got before the call was sent.
  struct Connecting {
    bool ready = false;                 // the channel was READY
    std::chrono::milliseconds took{0};  // from the call's start until then
  };

  Client(std::shared_ptr<grpc::Channel> channel, std::string server, int timeout_ms);
  std::unique_ptr<grpc::ClientContext> NewContext(int timeout_ms = 0) const;
  // Wait, until `ctx`'s deadline, for the channel to become READY or to fail
  // to connect (TRANSIENT_FAILURE: a call then fails at once with gRPC's
  // reason), starting a connection if there is none.
  Connecting AwaitConnection(const grpc::ClientContext& ctx);
  // `status` as a call ended; an UNAVAILABLE or DEADLINE_EXCEEDED one says
  // whether the connection to the gateway was ever established, and the
  // channel's state now, so that a call that never reached the gateway is
  // told apart from one it did not answer.
  absl::Status Explain(absl::Status status, const Connecting& connecting, int timeout_ms) const;
  // One unary call on a generated stub with `timeout_ms` (0: the client's).
  template <typename Stub, typename Request, typename Response>
  absl::StatusOr<Response> Unary(Stub& stub,
                                 grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&, Response*),
                                 const Request& request, int timeout_ms = 0);

  std::shared_ptr<grpc::Channel> channel_;
  std::string server_;
  int timeout_ms_;
  std::atomic<bool> ever_ready_{false};
  std::unique_ptr<v1::RegistryService::Stub> registry_;
  std::unique_ptr<v1::OperatorService::Stub> operator_;
  std::unique_ptr<v1::FeedService::Stub> feed_;
  std::unique_ptr<v1::FlexibilityService::Stub> flexibility_;
  std::unique_ptr<v1::ForecastService::Stub> forecasts_;
  std::unique_ptr<v1::BidValidationService::Stub> validation_;
  std::unique_ptr<v1::ScheduleService::Stub> schedules_;
  std::unique_ptr<v1::PrequalificationService::Stub> prequalification_;
  std::unique_ptr<v1::CurtailmentService::Stub> curtailment_;
  std::mutex mu_;
  grpc::ClientContext* stream_context_ = nullptr;
  bool cancelled_ = false;
};

}  // namespace tsodso::client
