// The tsodso.v1 gRPC services, one file each (api/<name>_service.cc): every
// handler converts the request, calls its use case (service/) through the
// dispatcher (api/dispatch.h), and converts the answer back.
#pragma once

#include "api/service_context.h"
#include "tsodso/v1/feed.grpc.pb.h"
#include "tsodso/v1/flexibility.grpc.pb.h"
#include "tsodso/v1/forecast.grpc.pb.h"
#include "tsodso/v1/operator.grpc.pb.h"
#include "tsodso/v1/prequalification.grpc.pb.h"
#include "tsodso/v1/registry.grpc.pb.h"
#include "tsodso/v1/schedule.grpc.pb.h"
#include "tsodso/v1/validation.grpc.pb.h"

namespace tsodso::api {

class RegistryServiceImpl final : public v1::RegistryService::CallbackService {
 public:
  explicit RegistryServiceImpl(ServiceContext& ctx) : ctx_(ctx) {}
  grpc::ServerUnaryReactor* WhoAmI(grpc::CallbackServerContext* call, const v1::WhoAmIRequest* request,
                                   v1::WhoAmIResponse* response) override;
  grpc::ServerUnaryReactor* ListPccs(grpc::CallbackServerContext* call, const v1::ListPccsRequest* request,
                                     v1::ListPccsResponse* response) override;

 private:
  ServiceContext& ctx_;
};

class OperatorServiceImpl final : public v1::OperatorService::CallbackService {
 public:
  explicit OperatorServiceImpl(ServiceContext& ctx) : ctx_(ctx) {}
  grpc::ServerUnaryReactor* PublishNotice(grpc::CallbackServerContext* call, const v1::PublishNoticeRequest* request,
                                          v1::PublishNoticeResponse* response) override;
  grpc::ServerUnaryReactor* DeclareIntervention(grpc::CallbackServerContext* call,
                                                const v1::DeclareInterventionRequest* request,
                                                v1::DeclareInterventionResponse* response) override;
  grpc::ServerUnaryReactor* IssueCurtailment(grpc::CallbackServerContext* call,
                                             const v1::IssueCurtailmentRequest* request,
                                             v1::IssueCurtailmentResponse* response) override;
  grpc::ServerUnaryReactor* GetCurtailmentStatus(grpc::CallbackServerContext* call,
                                                 const v1::GetCurtailmentStatusRequest* request,
                                                 v1::CurtailmentStatus* response) override;

 private:
  ServiceContext& ctx_;
};

class FlexibilityServiceImpl final : public v1::FlexibilityService::CallbackService {
 public:
  explicit FlexibilityServiceImpl(ServiceContext& ctx) : ctx_(ctx) {}
  grpc::ServerUnaryReactor* GetFlexibility(grpc::CallbackServerContext* call, const v1::GetFlexibilityRequest* request,
                                           v1::GetFlexibilityResponse* response) override;

 private:
  ServiceContext& ctx_;
};

class ForecastServiceImpl final : public v1::ForecastService::CallbackService {
 public:
  explicit ForecastServiceImpl(ServiceContext& ctx) : ctx_(ctx) {}
  grpc::ServerUnaryReactor* GetForecast(grpc::CallbackServerContext* call, const v1::GetForecastRequest* request,
                                        v1::Forecast* response) override;

 private:
  ServiceContext& ctx_;
};

class BidValidationServiceImpl final : public v1::BidValidationService::CallbackService {
 public:
  explicit BidValidationServiceImpl(ServiceContext& ctx) : ctx_(ctx) {}
  grpc::ServerUnaryReactor* ValidateMeritOrder(grpc::CallbackServerContext* call,
                                               const v1::ValidateMeritOrderRequest* request,
                                               v1::MeritOrderValidation* response) override;
  grpc::ServerUnaryReactor* GetTrafficLights(grpc::CallbackServerContext* call,
                                             const v1::GetTrafficLightsRequest* request,
                                             v1::GetTrafficLightsResponse* response) override;

 private:
  ServiceContext& ctx_;
};

class ScheduleServiceImpl final : public v1::ScheduleService::CallbackService {
 public:
  explicit ScheduleServiceImpl(ServiceContext& ctx) : ctx_(ctx) {}
  grpc::ServerUnaryReactor* SubmitSchedule(grpc::CallbackServerContext* call, const v1::SubmitScheduleRequest* request,
                                           v1::ScheduleReceipt* response) override;
  grpc::ServerUnaryReactor* GetSchedule(grpc::CallbackServerContext* call, const v1::GetScheduleRequest* request,
                                        v1::GetScheduleResponse* response) override;

 private:
  ServiceContext& ctx_;
};

class PrequalificationServiceImpl final : public v1::PrequalificationService::CallbackService {
 public:
  explicit PrequalificationServiceImpl(ServiceContext& ctx) : ctx_(ctx) {}
  grpc::ServerUnaryReactor* RequestPrequalification(grpc::CallbackServerContext* call,
                                                    const v1::PrequalificationRequest* request,
                                                    v1::PrequalificationResponse* response) override;

 private:
  ServiceContext& ctx_;
};

class CurtailmentServiceImpl final : public v1::CurtailmentService::CallbackService {
 public:
  explicit CurtailmentServiceImpl(ServiceContext& ctx) : ctx_(ctx) {}
  grpc::ServerUnaryReactor* AcknowledgeNotice(grpc::CallbackServerContext* call,
                                              const v1::AcknowledgeNoticeRequest* request,
                                              v1::AcknowledgeNoticeResponse* response) override;

 private:
  ServiceContext& ctx_;
};

// Raw, so that the stream writes each event's bytes as encoded once from
// the log (service::EncodeWireEvent) instead of parsing and serializing a
// message per event per stream; the request is parsed as the guard would.
class FeedServiceImpl final : public v1::FeedService::WithRawCallbackMethod_Subscribe<v1::FeedService::Service> {
 public:
  explicit FeedServiceImpl(ServiceContext& ctx) : ctx_(ctx) {}
  grpc::ServerWriteReactor<grpc::ByteBuffer>* Subscribe(grpc::CallbackServerContext* call,
                                                        const grpc::ByteBuffer* request) override;

 private:
  ServiceContext& ctx_;
};

}  // namespace tsodso::api
