# libFuzzer target for exec's RowDecoder (and the operators over what it decodes).
# Included from fuzz/CMakeLists.txt, which compiles exec's and common's sources under test with
# the fuzzer's instrumentation (spate_fuzz_exec, spate_fuzz_record).
#   cmake --build build-fuzz --target record_decoder_fuzz
#   build-fuzz/bin/record_decoder_fuzz -max_len=4096 -max_total_time=300 <corpus dir>
spate_add_fuzzer(record_decoder_fuzz
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/record_decoder_fuzz.cc
  DEPS spate_fuzz_exec spate_fuzz_record)
