#include "api/server.h"

#include <google/protobuf/stubs/logging.h>
#include <grpc/support/log.h>
#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/security/tls_certificate_provider.h>
#include <grpcpp/security/tls_credentials_options.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "api/dispatch.h"
#include "api/parse_guard.h"
#include "core/common/status_macros.h"
#include "spdlog/spdlog.h"

namespace tsodso::api {
namespace {

absl::Status Readable(const std::string& path, const char* what) {
  std::ifstream in(path);
  std::string first;
  if (!in || !std::getline(in, first)) {
    return absl::FailedPreconditionError(absl::StrCat(what, " '", path, "' cannot be read"));
  }
  if (first.rfind("-----BEGIN", 0) != 0) {
    return absl::FailedPreconditionError(absl::StrCat(what, " '", path, "' is not a PEM file"));
  }
  return absl::OkStatus();
}

// protobuf's log lines go to the gateway's log. A request whose string is
// not UTF-8 makes protobuf log an error each time; the gateway answers and
// audits that request itself (api/parse_guard.h), so a caller cannot fill
// the log with it: those lines are debug.
void ProtobufLog(google::protobuf::LogLevel level, const char* file, int line, const std::string& message) {
  const bool bad_request = message.find("invalid UTF-8 data when parsing") != std::string::npos;
  spdlog::level::level_enum to = spdlog::level::info;
  if (level >= google::protobuf::LOGLEVEL_ERROR) to = bad_request ? spdlog::level::debug : spdlog::level::err;
  if (level == google::protobuf::LOGLEVEL_WARNING) to = spdlog::level::warn;
  spdlog::log(to, "protobuf {}:{}: {}", file, line, message);
}

// gRPC's own log lines (handshake failures, transport errors) go to the
// gateway's log too, in its format, instead of straight to stderr.
void GrpcLog(gpr_log_func_args* args) {
  spdlog::level::level_enum to = spdlog::level::debug;
  if (args->severity == GPR_LOG_SEVERITY_ERROR) to = spdlog::level::err;
  if (args->severity == GPR_LOG_SEVERITY_INFO) to = spdlog::level::info;
  spdlog::log(to, "grpc {}:{}: {}", args->file, args->line, args->message);
}

}  // namespace

GatewayServer::GatewayServer(ServiceContext& ctx)
    : registry_(ctx),
      operator_(ctx),
      flexibility_(ctx),
      validation_(ctx),
      schedules_(ctx),
      prequalification_(ctx),
      curtailment_(ctx),
      forecasts_(ctx),
      feed_(ctx) {}

absl::StatusOr<std::unique_ptr<GatewayServer>> GatewayServer::Start(const ServerOptions& options, ServiceContext& ctx) {
  const TlsOptions& tls = options.tls;
  for (auto [path, what] : {std::pair{tls.cert_file, "tls.cert"}, std::pair{tls.key_file, "tls.key"},
                            std::pair{tls.client_ca_file, "tls.client_ca"}}) {
    TSODSO_RETURN_IF_ERROR(Readable(path, what));
  }
  auto provider = std::make_shared<grpc::experimental::FileWatcherCertificateProvider>(
      tls.key_file, tls.cert_file, tls.client_ca_file, tls.refresh_interval_s);
  grpc::experimental::TlsServerCredentialsOptions creds_options(provider);
  creds_options.watch_root_certs();
  creds_options.watch_identity_key_cert_pairs();
  // gRPC's TLS stack negotiates TLS 1.3 when the client offers it and
  // refuses anything older than TLS 1.2.
  creds_options.set_cert_request_type(GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  if (!tls.crl_dir.empty()) creds_options.set_crl_directory(tls.crl_dir);
  // gRPC reads the CRLs once; this check reads them again every refresh
  // interval, so that a revocation holds at the next handshake.
  if (ctx.certificates != nullptr) {
    creds_options.set_certificate_verifier(
        grpc::experimental::ExternalCertificateVerifier::Create<CertificateCheckVerifier>(ctx.certificates));
  }
  auto creds = grpc::experimental::TlsServerCredentials(creds_options);
  store::GroupCommit* groups = ctx.groups;
  creds->SetAuthMetadataProcessor(std::make_shared<PartyAuthProcessor>(
      ctx.identities, [groups](const std::string& who, const std::string& method, const std::string& outcome) {
        AuditLater(*groups, {who, method, outcome, "", ""});
      }));

  [[maybe_unused]] static const bool routed =
      (google::protobuf::SetLogHandler(&ProtobufLog), gpr_set_log_function(&GrpcLog), true);
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();

  std::unique_ptr<GatewayServer> server(new GatewayServer(ctx));
  grpc::ServerBuilder builder;
  builder.AddListeningPort(options.listen_address, creds, &server->port_);
  // Each service behind the guard that answers a request protobuf cannot
  // parse (api/parse_guard.h).
  auto guarded = [&](grpc::Service& typed, const char* name) {
    const auto* descriptor = google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(name);
    builder.RegisterService(
        server->guarded_.emplace_back(std::make_unique<ParseGuardedService>(typed, *descriptor)).get());
  };
  guarded(server->registry_, v1::RegistryService::service_full_name());
  guarded(server->operator_, v1::OperatorService::service_full_name());
  guarded(server->flexibility_, v1::FlexibilityService::service_full_name());
  guarded(server->validation_, v1::BidValidationService::service_full_name());
  guarded(server->schedules_, v1::ScheduleService::service_full_name());
  guarded(server->prequalification_, v1::PrequalificationService::service_full_name());
  guarded(server->curtailment_, v1::CurtailmentService::service_full_name());
  guarded(server->forecasts_, v1::ForecastService::service_full_name());
  guarded(server->feed_, v1::FeedService::service_full_name());
  // A year of 15-minute flexibility without vertices is ~7 MB.
  builder.SetMaxSendMessageSize(64 * 1024 * 1024);
  const KeepaliveOptions& ka = options.keepalive;
  // A second daemon started by mistake on the same port must fail, not
  // share the port and split the clients between two processes.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS, ka.time_ms);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, ka.timeout_ms);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, ka.min_client_ping_interval_ms);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);
  // A client that pings more often than min_client_ping_interval_ms gets
  // GOAWAY ENHANCE_YOUR_CALM ("too_many_pings") at the third such ping,
  // not a silent drop (gRPC's default of two strikes, made explicit).
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MAX_PING_STRIKES, 2);
  if (ka.max_connection_age_ms > 0) {
    builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_AGE_MS, ka.max_connection_age_ms);
    builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_AGE_GRACE_MS, ka.max_connection_age_grace_ms);
  }
  server->server_ = builder.BuildAndStart();
  if (!server->server_ || server->port_ == 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", options.listen_address, " (address in use or not local?)"));
  }
  server->SetServing(true);
  return server;
}

void GatewayServer::SetServing(bool serving) {
  if (auto* health = server_->GetHealthCheckService()) health->SetServingStatus(serving);
}

void GatewayServer::Shutdown(absl::Duration grace) {
  SetServing(false);
  server_->Shutdown(std::chrono::system_clock::now() + absl::ToChronoMilliseconds(grace));
  server_->Wait();
}

}  // namespace tsodso::api
