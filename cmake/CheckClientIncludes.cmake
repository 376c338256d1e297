# Fail when a file of client/ includes a server header other than the two of
# tsodso_common (CSV and convex polygons): the client links no server
# library, and a stray include would compile against code it cannot link or
# should not depend on.
string(REPLACE " " ";" files "${SOURCES}")
set(allowed "core/common/csv.h" "core/capability/polygon.h")
set(bad "")
foreach(f ${files})
  file(STRINGS "${f}" lines REGEX "^[ \t]*#[ \t]*include[ \t]*\"(core|api|app|feed|store)/")
  foreach(l ${lines})
    string(REGEX REPLACE "^[^\"]*\"([^\"]*)\".*$" "\\1" header "${l}")
    list(FIND allowed "${header}" index)
    if(index EQUAL -1)
      string(APPEND bad "  ${f}: ${l}\n")
    endif()
  endforeach()
endforeach()
if(bad)
  list(JOIN allowed " and " allowed_text)
  message(FATAL_ERROR "client/ may include no server header but ${allowed_text}:\n${bad}")
endif()
file(TOUCH "${STAMP}")
