#include "lib/client.h"

#include <grpcpp/generic/generic_stub.h>

#include "absl/strings/str_cat.h"
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
  return std::unique_ptr<Client>(new Client(std::move(channel), options.timeout_ms));
}

Client::Client(std::shared_ptr<grpc::Channel> channel, int timeout_ms)
    : channel_(std::move(channel)),
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

std::unique_ptr<grpc::ClientContext> Client::NewContext() const {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(timeout_ms_));
  return ctx;
}

absl::StatusOr<v1::WhoAmIResponse> Client::WhoAmI() {
  auto ctx = NewContext();
  v1::WhoAmIResponse out;
  if (auto st = FromGrpc(registry_->WhoAmI(ctx.get(), v1::WhoAmIRequest(), &out)); !st.ok()) return st;
  return out;
}

absl::StatusOr<v1::ListPccsResponse> Client::ListPccs() {
  auto ctx = NewContext();
  v1::ListPccsResponse out;
  if (auto st = FromGrpc(registry_->ListPccs(ctx.get(), v1::ListPccsRequest(), &out)); !st.ok()) return st;
  return out;
}

namespace {

// One blocking unary call on a generated stub.
template <typename Stub, typename Request, typename Response>
absl::StatusOr<Response> Call(Stub& stub, grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&, Response*),
                              grpc::ClientContext* ctx, const Request& request) {
  Response out;
  if (auto st = FromGrpc((stub.*method)(ctx, request, &out)); !st.ok()) return st;
  return out;
}

}  // namespace

absl::StatusOr<v1::PublishNoticeResponse> Client::PublishNotice(const v1::PublishNoticeRequest& request) {
  return Call(*operator_, &v1::OperatorService::Stub::PublishNotice, NewContext().get(), request);
}

absl::StatusOr<v1::DeclareInterventionResponse> Client::DeclareIntervention(
    const v1::DeclareInterventionRequest& request) {
  return Call(*operator_, &v1::OperatorService::Stub::DeclareIntervention, NewContext().get(), request);
}

absl::StatusOr<v1::MeritOrderValidation> Client::ValidateMeritOrder(const v1::ValidateMeritOrderRequest& request) {
  auto ctx = NewContext();
  // A long list on a large network takes the gateway a moment.
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(std::max(timeout_ms_, 60000)));
  return Call(*validation_, &v1::BidValidationService::Stub::ValidateMeritOrder, ctx.get(), request);
}

absl::StatusOr<v1::GetTrafficLightsResponse> Client::GetTrafficLights(const v1::GetTrafficLightsRequest& request) {
  return Call(*validation_, &v1::BidValidationService::Stub::GetTrafficLights, NewContext().get(), request);
}

absl::StatusOr<v1::ScheduleReceipt> Client::SubmitSchedule(const v1::SubmitScheduleRequest& request) {
  return Call(*schedules_, &v1::ScheduleService::Stub::SubmitSchedule, NewContext().get(), request);
}

absl::StatusOr<v1::GetScheduleResponse> Client::GetSchedule(const v1::GetScheduleRequest& request) {
  return Call(*schedules_, &v1::ScheduleService::Stub::GetSchedule, NewContext().get(), request);
}

absl::StatusOr<v1::PrequalificationResponse> Client::RequestPrequalification(
    const v1::PrequalificationRequest& request) {
  return Call(*prequalification_, &v1::PrequalificationService::Stub::RequestPrequalification, NewContext().get(),
              request);
}

absl::StatusOr<v1::GetFlexibilityResponse> Client::GetFlexibility(const v1::GetFlexibilityRequest& request) {
  auto ctx = NewContext();
  // A year of intervals takes the gateway a moment to compute and send.
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(std::max(timeout_ms_, 60000)));
  v1::GetFlexibilityResponse out;
  if (auto st = FromGrpc(flexibility_->GetFlexibility(ctx.get(), request, &out)); !st.ok()) return st;
  return out;
}

absl::StatusOr<v1::Forecast> Client::GetForecast(const v1::GetForecastRequest& request) {
  return Call(*forecasts_, &v1::ForecastService::Stub::GetForecast, NewContext().get(), request);
}

absl::StatusOr<v1::IssueCurtailmentResponse> Client::IssueCurtailment(const v1::IssueCurtailmentRequest& request) {
  return Call(*operator_, &v1::OperatorService::Stub::IssueCurtailment, NewContext().get(), request);
}

absl::StatusOr<v1::CurtailmentStatus> Client::GetCurtailmentStatus(const v1::GetCurtailmentStatusRequest& request) {
  return Call(*operator_, &v1::OperatorService::Stub::GetCurtailmentStatus, NewContext().get(), request);
}

absl::StatusOr<v1::AcknowledgeNoticeResponse> Client::AcknowledgeNotice(const v1::AcknowledgeNoticeRequest& request) {
  return Call(*curtailment_, &v1::CurtailmentService::Stub::AcknowledgeNotice, NewContext().get(), request);
}

absl::Status Client::Health() {
  auto ctx = NewContext();
  return CallHealth(*channel_, ctx.get());
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
