#include "api/parse_guard.h"

#include <grpc/byte_buffer.h>
#include <grpc/byte_buffer_reader.h>
#include <grpcpp/support/message_allocator.h>

#include "absl/strings/str_cat.h"
#include "service/wire_checks.h"

namespace tsodso::api {
namespace {

using grpc::internal::MethodHandler;
using grpc::internal::RpcMethod;

// The handler gRPC's generated code gave `service`'s method `index`.
struct HandlerOf : grpc::Service {
  static MethodHandler* Get(grpc::Service& service, int index) { return (service.*&HandlerOf::GetHandler)(index); }
};

std::string ReadAll(grpc_byte_buffer* buffer) {
  grpc_byte_buffer_reader reader;
  if (grpc_byte_buffer_reader_init(&reader, buffer) == 0) return "";  // cannot be decompressed
  grpc_slice all = grpc_byte_buffer_reader_readall(&reader);
  grpc_byte_buffer_reader_destroy(&reader);
  std::string bytes(reinterpret_cast<const char*>(GRPC_SLICE_START_PTR(all)), GRPC_SLICE_LENGTH(all));
  grpc_slice_unref(all);
  return bytes;
}

// The encoding of the request that stands in for `bytes`, which do not
// parse as an `input` message.
std::string StandIn(const google::protobuf::Descriptor& input, const std::string& bytes) {
  return service::EncodeRefusal(service::DiagnoseUnparsable(input, bytes));
}

class ParseGuard final : public MethodHandler {
 public:
  ParseGuard(MethodHandler* typed, const google::protobuf::Descriptor& input, RpcMethod::RpcType type)
      : typed_(typed), input_(input), unary_(type == RpcMethod::NORMAL_RPC) {}

  void RunHandler(const HandlerParameter& param) override { typed_->RunHandler(param); }

  // gRPC's deserialization destroys the buffer it reads, parsed or not; a
  // copy shares its slices, so that the bytes can be read again when it
  // fails.
  void* Deserialize(grpc_call* call, grpc_byte_buffer* request, grpc::Status* status, void** handler_data) override {
    grpc_byte_buffer* copy = request == nullptr ? nullptr : grpc_byte_buffer_copy(request);
    void* parsed = typed_->Deserialize(call, request, status, handler_data);
    if (status->ok()) {
      if (copy != nullptr) grpc_byte_buffer_destroy(copy);
      return parsed;
    }
    const std::string bytes = copy == nullptr ? "" : ReadAll(copy);
    if (copy != nullptr) grpc_byte_buffer_destroy(copy);
    // A unary handler keeps the failed request in the call's arena, in a
    // holder nobody else will end: end it, so that what the parse left in
    // the request is freed.
    if (unary_ && *handler_data != nullptr) {
      static_cast<grpc::RpcAllocatorState*>(*handler_data)->~RpcAllocatorState();
      *handler_data = nullptr;
    }
    const std::string refusal = StandIn(input_, bytes);
    grpc_slice slice = grpc_slice_from_copied_buffer(refusal.data(), refusal.size());
    grpc_byte_buffer* stand_in = grpc_raw_byte_buffer_create(&slice, 1);
    grpc_slice_unref(slice);
    *status = grpc::Status::OK;
    return typed_->Deserialize(call, stand_in, status, handler_data);
  }

 private:
  MethodHandler* typed_;
  const google::protobuf::Descriptor& input_;
  const bool unary_;
};

RpcMethod::RpcType TypeOf(const google::protobuf::MethodDescriptor& m) {
  if (m.client_streaming()) return m.server_streaming() ? RpcMethod::BIDI_STREAMING : RpcMethod::CLIENT_STREAMING;
  return m.server_streaming() ? RpcMethod::SERVER_STREAMING : RpcMethod::NORMAL_RPC;
}

}  // namespace

void ParseGuarded(const grpc::ByteBuffer& bytes, google::protobuf::Message& request) {
  std::vector<grpc::Slice> slices;
  std::string all;
  if (bytes.Dump(&slices).ok()) {
    for (const grpc::Slice& s : slices) all.append(reinterpret_cast<const char*>(s.begin()), s.size());
  }
  if (!request.ParseFromString(all)) request.ParseFromString(StandIn(*request.GetDescriptor(), all));
}

ParseGuardedService::ParseGuardedService(grpc::Service& typed, const google::protobuf::ServiceDescriptor& descriptor) {
  // The generated service adds its methods in the order of the descriptor.
  for (int i = 0; i < descriptor.method_count(); ++i) {
    const google::protobuf::MethodDescriptor& m = *descriptor.method(i);
    const std::string& path = paths_.emplace_back(absl::StrCat("/", descriptor.full_name(), "/", m.name()));
    AddMethod(new grpc::internal::RpcServiceMethod(path.c_str(), TypeOf(m), nullptr));
    MarkMethodCallback(i, new ParseGuard(HandlerOf::Get(typed, i), *m.input_type(), TypeOf(m)));
  }
}

}  // namespace tsodso::api
