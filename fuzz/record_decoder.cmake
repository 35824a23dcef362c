# libFuzzer target for exec's RowDecoder (and the operators over what it decodes); clang only.
# Included from fuzz/CMakeLists.txt. exec's sources are compiled into the target itself, so
# they carry the fuzzer's coverage instrumentation whatever flags the rest of the build has.
#   cmake --build <clang build> --target record_decoder_fuzz
#   <clang build>/bin/record_decoder_fuzz -max_len=4096 -max_total_time=300 <corpus dir>
if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  set(SPATE_RECORD_DECODER_FUZZ_FLAGS -fsanitize=fuzzer,address,undefined -fno-omit-frame-pointer)
  add_executable(record_decoder_fuzz
    ${CMAKE_CURRENT_LIST_DIR}/record_decoder_fuzz.cc
    ${PROJECT_SOURCE_DIR}/exec/value.cc
    ${PROJECT_SOURCE_DIR}/exec/decoder.cc
    ${PROJECT_SOURCE_DIR}/exec/expr.cc
    ${PROJECT_SOURCE_DIR}/exec/aggregate.cc
    ${PROJECT_SOURCE_DIR}/exec/row_codec.cc)
  target_include_directories(record_decoder_fuzz PRIVATE ${PROJECT_SOURCE_DIR})
  target_compile_options(record_decoder_fuzz PRIVATE ${SPATE_WARNINGS}
    ${SPATE_RECORD_DECODER_FUZZ_FLAGS})
  target_link_options(record_decoder_fuzz PRIVATE ${SPATE_RECORD_DECODER_FUZZ_FLAGS})
  target_link_libraries(record_decoder_fuzz PRIVATE spate::common spate::proto
    simdjson::simdjson PkgConfig::RE2 PkgConfig::XXHASH)
  set_target_properties(record_decoder_fuzz PROPERTIES
    RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/bin)
endif()
