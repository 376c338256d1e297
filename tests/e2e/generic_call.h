// Calls made with grpc::GenericStub: any RPC by its path, with any bytes as
// the request, so that a test can send what a typed client would not.
#pragma once

#include <google/protobuf/descriptor.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <sstream>
#include <string>
#include <vector>

#include "e2e/e2e_util.h"

namespace tsodso::testing {

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << path;
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// A mutual-TLS channel with the demo certificate `who`, as client::Client
// opens it.
inline std::shared_ptr<grpc::Channel> ChannelAs(const GatewayProcess& gw, const std::string& who) {
  const DemoCerts& certs = DemoCerts::Get();
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = ReadFile(certs.File("ca.crt"));
  ssl.pem_private_key = ReadFile(certs.File(who + ".key"));
  ssl.pem_cert_chain = ReadFile(certs.File(who + ".crt"));
  return grpc::CreateChannel(gw.address(), grpc::SslCredentials(ssl));
}

// `bytes` as a request on the wire; "" is an empty message.
inline grpc::ByteBuffer RawRequest(const std::string& bytes = "") {
  grpc::Slice slice(bytes);
  return grpc::ByteBuffer(&slice, 1);
}

// Call the unary RPC `path` with `request` and return its status.
inline grpc::Status CallUnary(grpc::GenericStub& stub, const std::string& path,
                              const grpc::ByteBuffer& request = RawRequest()) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  grpc::ByteBuffer response;
  std::promise<grpc::Status> done;
  stub.UnaryCall(&ctx, path, grpc::StubOptions(), &request, &response,
                 [&done](grpc::Status st) { done.set_value(std::move(st)); });
  return done.get_future().get();
}

// Open the server-streaming RPC `path` with `request` and read its first
// message: OK when one arrived (the stream is then cancelled), else the
// status the stream ended with. A short deadline bounds a stream that sends
// nothing.
class FirstMessage : public grpc::ClientBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer> {
 public:
  FirstMessage(grpc::GenericStub& stub, const std::string& path, grpc::ByteBuffer request = RawRequest())
      : request_(std::move(request)) {
    ctx_.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(3));
    stub.PrepareBidiStreamingCall(&ctx_, path, grpc::StubOptions(), this);
    StartWriteLast(&request_, grpc::WriteOptions());
    StartRead(&response_);
    StartCall();
  }

  grpc::Status Wait() { return done_.get_future().get(); }

  void OnReadDone(bool ok) override {
    got_message_ = ok;
    if (ok) ctx_.TryCancel();
  }
  void OnDone(const grpc::Status& status) override { done_.set_value(got_message_ ? grpc::Status::OK : status); }

 private:
  grpc::ClientContext ctx_;
  grpc::ByteBuffer request_;
  grpc::ByteBuffer response_;
  bool got_message_ = false;
  std::promise<grpc::Status> done_;
};

// Every method of every service in proto/tsodso/v1.
inline std::vector<const google::protobuf::MethodDescriptor*> MethodsInProto() {
  std::vector<const google::protobuf::MethodDescriptor*> methods;
  const auto* pool = google::protobuf::DescriptorPool::generated_pool();
  std::vector<std::string> files;
  for (const auto& entry :
       std::filesystem::directory_iterator(std::filesystem::path(TSODSO_SOURCE_DIR) / "proto/tsodso/v1")) {
    if (entry.path().extension() == ".proto") files.push_back("tsodso/v1/" + entry.path().filename().string());
  }
  std::sort(files.begin(), files.end());
  for (const std::string& file : files) {
    const google::protobuf::FileDescriptor* fd = pool->FindFileByName(file);
    EXPECT_NE(fd, nullptr) << file << " is not linked into this binary";
    if (fd == nullptr) continue;
    for (int s = 0; s < fd->service_count(); ++s) {
      for (int m = 0; m < fd->service(s)->method_count(); ++m) methods.push_back(fd->service(s)->method(m));
    }
  }
  return methods;
}

}  // namespace tsodso::testing
