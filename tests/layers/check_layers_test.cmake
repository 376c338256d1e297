# The layer check fails on a backward include, naming the file, the line
# and the include, and passes the same tree without it.
#
# Usage: cmake -DCHECK=<CheckLayers.cmake> -DWORK=<scratch dir> -P check_layers_test.cmake
cmake_minimum_required(VERSION 3.25)

file(REMOVE_RECURSE "${WORK}")
file(WRITE "${WORK}/server/core/grid/network.h" "#pragma once\n\n#include <vector>\n\n#include \"absl/status/status.h\"\n")
file(WRITE "${WORK}/server/core/pcc/catalog.h" "#pragma once\n#include \"core/grid/network.h\"\n")
file(WRITE "${WORK}/server/store/pg.cc" "#include <libpq-fe.h>\n#include \"core/pcc/catalog.h\"\n")

execute_process(COMMAND "${CMAKE_COMMAND}" -DROOT=${WORK} -P "${CHECK}" RESULT_VARIABLE rc ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "a tree that keeps the map was refused:\n${err}")
endif()

# grid is below pcc: grid including pcc runs backwards.
file(APPEND "${WORK}/server/core/grid/network.h" "#include \"core/pcc/catalog.h\"\n")
execute_process(COMMAND "${CMAKE_COMMAND}" -DROOT=${WORK} -P "${CHECK}" RESULT_VARIABLE rc ERROR_VARIABLE err)
if(rc EQUAL 0)
  message(FATAL_ERROR "a backward include (core/grid -> core/pcc) passed the layer check")
endif()
if(NOT err MATCHES "server/core/grid/network.h:6: #include \"core/pcc/catalog.h\"")
  message(FATAL_ERROR "the failure does not name the file, line and include:\n${err}")
endif()
file(REMOVE_RECURSE "${WORK}")
