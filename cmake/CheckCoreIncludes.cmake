# Fail when a file of server/core includes a header of gRPC, protobuf, libpq,
# spdlog or yaml-cpp: the domain must stay free of transport, storage and
# logging libraries.
string(REPLACE " " ";" files "${SOURCES}")
set(bad "")
foreach(f ${files})
  file(STRINGS "${f}" lines REGEX "^[ \t]*#[ \t]*include[ \t]*[<\"](grpc|grpcpp|google/protobuf|libpq|postgres|spdlog|yaml-cpp|tsodso/v1)")
  foreach(l ${lines})
    string(APPEND bad "  ${f}: ${l}\n")
  endforeach()
endforeach()
if(bad)
  message(FATAL_ERROR "server/core must not include transport, storage or logging headers:\n${bad}")
endif()
file(TOUCH "${STAMP}")
