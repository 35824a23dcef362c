# One way to make every Spate target: same standard, same warnings (as errors) on our code.
set(SPATE_WARNINGS -Wall -Wextra -Werror -Wno-unused-parameter)
# GCC 12 reports false maybe-uninitialized (std::variant in Result<T>) and restrict warnings
# (-O3, std::string concatenation); clang (the fuzz build) knows neither option.
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  list(APPEND SPATE_WARNINGS -Wno-maybe-uninitialized -Wno-restrict)
endif()

# spate_add_library(NAME SOURCES ... DEPS ...): defines spate_NAME and alias spate::NAME.
function(spate_add_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_library(spate_${name} STATIC ${ARG_SOURCES})
  add_library(spate::${name} ALIAS spate_${name})
  target_include_directories(spate_${name} PUBLIC ${PROJECT_SOURCE_DIR})
  target_compile_options(spate_${name} PRIVATE ${SPATE_WARNINGS})
  target_link_libraries(spate_${name} PUBLIC ${ARG_DEPS})
endfunction()

# spate_add_binary(NAME SOURCES ... DEPS ...): a thin main over libraries, into build/bin.
function(spate_add_binary name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_compile_options(${name} PRIVATE ${SPATE_WARNINGS})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS})
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/bin)
endfunction()

# spate_add_test(NAME SOURCES ... DEPS ...): a Catch2 test binary registered with ctest.
# Each binary is one ctest entry; tags ([unit], [integration], [fault]) become ctest labels.
function(spate_add_test name)
  cmake_parse_arguments(ARG "" "LABEL;TIMEOUT" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_compile_options(${name} PRIVATE ${SPATE_WARNINGS})
  target_link_libraries(${name} PRIVATE spate_test_main ${ARG_DEPS})
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
  if(NOT ARG_LABEL)
    set(ARG_LABEL unit)
  endif()
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 300)
  endif()
  add_test(NAME ${name} COMMAND ${name} --durations yes)
  set_tests_properties(${name} PROPERTIES LABELS ${ARG_LABEL} TIMEOUT ${ARG_TIMEOUT}
    ENVIRONMENT "SPATE_BIN_DIR=${CMAKE_BINARY_DIR}/bin;SPATE_SOURCE_DIR=${PROJECT_SOURCE_DIR}")
endfunction()
