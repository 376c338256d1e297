#include "lib/client.h"

#include <grpcpp/generic/generic_stub.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/common/text_file.h"

namespace tsodso::client {
namespace {

absl::StatusOr<std::string> ReadPemFile(const std::string& path, const char* option) {
  if (path.empty()) return absl::InvalidArgumentError(absl::StrCat(option, ": no file given"));
  return core::ReadTextFile(path, option);
}

// Raw health-check call: the generated health stubs are not shipped by
// Debian's gRPC, and the messages are two tiny ones.
absl::Status CallHealth(grpc::Channel& channel, grpc::ClientContext* ctx) {
  // grpc.health.v1.HealthCheckRequest{service=""} is empty on the wire;
  // the response is HealthCheckResponse{status=1 (SERVING)} = 08 01.
  grpc::Slice empty("", 0);
  grpc::ByteBuffer request(&empty, 1);
  grpc::ByteBuffer response;
  grpc::GenericStub stub(channel.shared_from_this());
  // On a completion queue of this thread's own: the answer is read where
  // the call was made, with no hand-over between threads.
  grpc::CompletionQueue cq;
  grpc::Status status;
  auto call = stub.PrepareUnaryCall(ctx, "/grpc.health.v1.Health/Check", request, &cq);
  call->StartCall();
  call->Finish(&response, &status, &cq);
  void* tag = nullptr;
  bool ok = false;
  if (!cq.Next(&tag, &ok) || !ok) status = grpc::Status(grpc::StatusCode::UNAVAILABLE, "health check did not complete");
  cq.Shutdown();
  while (cq.Next(&tag, &ok)) {
  }
  if (!status.ok()) return FromGrpc(status);
  std::vector<grpc::Slice> slices;
  (void)response.Dump(&slices);
  std::string bytes;
  for (const auto& s : slices) bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
  if (bytes == std::string("\x08\x01", 2)) return absl::OkStatus();
  return absl::UnavailableError("gateway reports NOT_SERVING");
}

const char* StateName(grpc_connectivity_state state) {
  switch (state) {
    case GRPC_CHANNEL_IDLE:
      return "IDLE";
    case GRPC_CHANNEL_CONNECTING:
      return "CONNECTING";
    case GRPC_CHANNEL_READY:
      return "READY";
    case GRPC_CHANNEL_TRANSIENT_FAILURE:
      return "TRANSIENT_FAILURE";
    case GRPC_CHANNEL_SHUTDOWN:
      return "SHUTDOWN";
  }
  return "?";
}

std::chrono::milliseconds Since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
}

}  // namespace

absl::Status FromGrpc(const grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();
  absl::Status out(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
  v1::RpcStatus details;
  if (!status.error_details().empty() && details.ParseFromString(status.error_details())) {
    for (const google::protobuf::Any& any : details.details()) out.SetPayload(any.type_url(), absl::Cord(any.value()));
  }
  return out;
}

absl::StatusOr<std::unique_ptr<Client>> Client::Connect(const ConnectionOptions& options) {
  auto cert = ReadPemFile(options.cert_file, "--cert");
  if (!cert.ok()) return cert.status();
  auto key = ReadPemFile(options.key_file, "--key");
  if (!key.ok()) return key.status();
  auto ca = ReadPemFile(options.ca_file, "--ca");
  if (!ca.ok()) return ca.status();
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = *ca;
  ssl.pem_private_key = *key;
  ssl.pem_cert_chain = *cert;
  grpc::ChannelArguments args;
  // Keep a long-lived subscription's connection checked: a dead link is
  // noticed within ~30 s even when the feed is quiet.
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 20000);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 10000);
  args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  args.SetMaxReceiveMessageSize(64 * 1024 * 1024);  // a year of flexibility
  if (options.receive_window_bytes > 0) {
    args.SetInt(GRPC_ARG_HTTP2_BDP_PROBE, 0);
    args.SetInt(GRPC_ARG_HTTP2_STREAM_LOOKAHEAD_BYTES, options.receive_window_bytes);
  }
  if (!options.server_name.empty()) args.SetSslTargetNameOverride(options.server_name);
  auto channel = grpc::CreateCustomChannel(options.server, grpc::SslCredentials(ssl), args);
  return std::unique_ptr<Client>(new Client(std::move(channel), options.server, options.timeout_ms));
}

Client::Client(std::shared_ptr<grpc::Channel> channel, std::string server, int timeout_ms)
    : channel_(std::move(channel)),
      server_(std::move(server)),
      timeout_ms_(timeout_ms),
      registry_(v1::RegistryService::NewStub(channel_)),
      operator_(v1::OperatorService::NewStub(channel_)),
      feed_(v1::FeedService::NewStub(channel_)),
      flexibility_(v1::FlexibilityService::NewStub(channel_)),
      forecasts_(v1::ForecastService::NewStub(channel_)),
      validation_(v1::BidValidationService::NewStub(channel_)),
      schedules_(v1::ScheduleService::NewStub(channel_)),
      prequalification_(v1::PrequalificationService::NewStub(channel_)),
      curtailment_(v1::CurtailmentService::NewStub(channel_)) {}

std::unique_ptr<grpc::ClientContext> Client::NewContext(int timeout_ms) const {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() +
                    std::chrono::milliseconds(timeout_ms > 0 ? timeout_ms : timeout_ms_));
  return ctx;
}

Client::Connecting Client::AwaitConnection(const grpc::ClientContext& ctx) {
  const auto start = std::chrono::steady_clock::now();
  grpc_connectivity_state state = channel_->GetState(/*try_to_connect=*/true);
  while (state == GRPC_CHANNEL_IDLE || state == GRPC_CHANNEL_CONNECTING) {
    if (!channel_->WaitForStateChange(state, ctx.deadline())) break;  // the deadline passed
    state = channel_->GetState(/*try_to_connect=*/true);
  }
  Connecting out;
  out.ready = state == GRPC_CHANNEL_READY;
  out.took = Since(start);
  if (out.ready) ever_ready_ = true;
  return out;
}

absl::Status Client::Explain(absl::Status status, const Connecting& connecting, int timeout_ms) const {
  if (status.code() != absl::StatusCode::kDeadlineExceeded && status.code() != absl::StatusCode::kUnavailable) {
    return status;
  }
  const grpc_connectivity_state now = channel_->GetState(/*try_to_connect=*/false);
  std::string why(status.message());
  if (status.code() == absl::StatusCode::kDeadlineExceeded) {
    absl::StrAppendFormat(&why, " after %d ms", timeout_ms > 0 ? timeout_ms : timeout_ms_);
  }
  if (connecting.ready) {
    absl::StrAppendFormat(&why, "; connected to %s in %d ms, %s (state now %s)", server_, connecting.took.count(),
                          status.code() == absl::StatusCode::kDeadlineExceeded ? "no answer" : "then the call failed",
                          StateName(now));
  } else if (now == GRPC_CHANNEL_READY) {
    // Connected while the call was being made: it may have been sent.
    absl::StrAppendFormat(&why, "; the connection to %s was not up when the call started (state now READY)", server_);
  } else if (ever_ready_) {
    absl::StrAppendFormat(&why, "; the connection to %s, up for an earlier call, was not re-established (state %s)",
                          server_, StateName(now));
  } else {
    // The LB policy is chosen once the resolver has answered: no name means
    // the address was still being looked up.
    const bool resolved = !channel_->GetLoadBalancingPolicyName().empty();
    absl::StrAppendFormat(&why, "; the connection to %s was never established (state %s%s)", server_, StateName(now),
                          resolved ? "" : ", name not resolved yet");
  }
  absl::Status out(status.code(), why);
  status.ForEachPayload(
      [&](absl::string_view type_url, const absl::Cord& payload) { out.SetPayload(type_url, payload); });
  return out;
}

template <typename Stub, typename Request, typename Response>
absl::StatusOr<Response> Client::Unary(Stub& stub,
                                       grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&, Response*),
                                       const Request& request, int timeout_ms) {
  auto ctx = NewContext(timeout_ms);
  const Connecting connecting = AwaitConnection(*ctx);
  Response out;
  if (auto st = FromGrpc((stub.*method)(ctx.get(), request, &out)); !st.ok()) {
    return Explain(std::move(st), connecting, timeout_ms);
  }
  return out;
}

absl::StatusOr<v1::WhoAmIResponse> Client::WhoAmI() {
  return Unary(*registry_, &v1::RegistryService::Stub::WhoAmI, v1::WhoAmIRequest());
}

absl::StatusOr<v1::ListPccsResponse> Client::ListPccs() {
  return Unary(*registry_, &v1::RegistryService::Stub::ListPccs, v1::ListPccsRequest());
}

absl::StatusOr<v1::PublishNoticeResponse> Client::PublishNotice(const v1::PublishNoticeRequest& request) {
  return Unary(*operator_, &v1::OperatorService::Stub::PublishNotice, request);
}

absl::StatusOr<v1::DeclareInterventionResponse> Client::DeclareIntervention(
    const v1::DeclareInterventionRequest& request) {
  return Unary(*operator_, &v1::OperatorService::Stub::DeclareIntervention, request);
}

absl::StatusOr<v1::MeritOrderValidation> Client::ValidateMeritOrder(const v1::ValidateMeritOrderRequest& request) {
  // A long list on a large network takes the gateway a moment.
  return Unary(*validation_, &v1::BidValidationService::Stub::ValidateMeritOrder, request,
               std::max(timeout_ms_, 60000));
}

absl::StatusOr<v1::GetTrafficLightsResponse> Client::GetTrafficLights(const v1::GetTrafficLightsRequest& request) {
  return Unary(*validation_, &v1::BidValidationService::Stub::GetTrafficLights, request);
}

absl::StatusOr<v1::ScheduleReceipt> Client::SubmitSchedule(const v1::SubmitScheduleRequest& request) {
  return Unary(*schedules_, &v1::ScheduleService::Stub::SubmitSchedule, request);
}

absl::StatusOr<v1::GetScheduleResponse> Client::GetSchedule(const v1::GetScheduleRequest& request) {
  return Unary(*schedules_, &v1::ScheduleService::Stub::GetSchedule, request);
}

absl::StatusOr<v1::PrequalificationResponse> Client::RequestPrequalification(
    const v1::PrequalificationRequest& request) {
  return Unary(*prequalification_, &v1::PrequalificationService::Stub::RequestPrequalification, request);
}

absl::StatusOr<v1::GetFlexibilityResponse> Client::GetFlexibility(const v1::GetFlexibilityRequest& request) {
  // A year of intervals takes the gateway a moment to compute and send.
  return Unary(*flexibility_, &v1::FlexibilityService::Stub::GetFlexibility, request, std::max(timeout_ms_, 60000));
}

absl::StatusOr<v1::Forecast> Client::GetForecast(const v1::GetForecastRequest& request) {
  return Unary(*forecasts_, &v1::ForecastService::Stub::GetForecast, request);
}

absl::StatusOr<v1::IssueCurtailmentResponse> Client::IssueCurtailment(const v1::IssueCurtailmentRequest& request) {
  return Unary(*operator_, &v1::OperatorService::Stub::IssueCurtailment, request);
}

absl::StatusOr<v1::CurtailmentStatus> Client::GetCurtailmentStatus(const v1::GetCurtailmentStatusRequest& request) {
  return Unary(*operator_, &v1::OperatorService::Stub::GetCurtailmentStatus, request);
}

absl::StatusOr<v1::AcknowledgeNoticeResponse> Client::AcknowledgeNotice(const v1::AcknowledgeNoticeRequest& request) {
  return Unary(*curtailment_, &v1::CurtailmentService::Stub::AcknowledgeNotice, request);
}

absl::Status Client::Health() {
  auto ctx = NewContext();
  const Connecting connecting = AwaitConnection(*ctx);
  return Explain(CallHealth(*channel_, ctx.get()), connecting, 0);
}

absl::Status Client::Subscribe(const v1::SubscribeRequest& request,
                               const std::function<bool(const v1::Event&)>& on_event) {
  grpc::ClientContext ctx;
  {
    std::lock_guard lock(mu_);
    if (cancelled_) return absl::CancelledError("cancelled");
    stream_context_ = &ctx;
  }
  auto reader = feed_->Subscribe(&ctx, request);
  v1::Event event;
  bool stopped = false;
  while (reader->Read(&event)) {
    if (!on_event(event)) {
      stopped = true;
      ctx.TryCancel();
      break;
    }
  }
  grpc::Status status = reader->Finish();
  {
    std::lock_guard lock(mu_);
    stream_context_ = nullptr;
    if (cancelled_) stopped = true;
  }
  if (stopped) return absl::OkStatus();
  return FromGrpc(status);
}

void Client::Cancel() {
  std::lock_guard lock(mu_);
  cancelled_ = true;
  if (stream_context_ != nullptr) stream_context_->TryCancel();
}

}  // namespace tsodso::client
