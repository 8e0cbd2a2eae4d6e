# fz_module(NAME DIR LIBS...): a static library of every .c under DIR
# (recursively), so adding a source file needs no CMake edit.
function(fz_module name)
  cmake_parse_arguments(M "" "" "LIBS" ${ARGN})
  file(GLOB_RECURSE srcs CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.c)
  if(NOT srcs)
    set(stub ${CMAKE_CURRENT_BINARY_DIR}/${name}_empty.c)
    file(WRITE ${stub} "typedef int ${name}_empty;\n")
    set(srcs ${stub})
  endif()
  add_library(${name} STATIC ${srcs})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR})
  target_link_libraries(${name} PUBLIC ${M_LIBS} PRIVATE fz_warnings)
  target_compile_definitions(${name} PUBLIC _POSIX_C_SOURCE=200809L)
  if(FZ_TESTS)
    # Tests reach file-local functions through FZ_STATIC (empty in test
    # builds). Only builds with tests define it: the release preset sets
    # FZ_TESTS=OFF (tests/scripts/test_release_preset.sh checks).
    target_compile_definitions(${name} PUBLIC FZ_TESTING=1)
  endif()
endfunction()
