// libFuzzer target: feeds arbitrary bytes to the msgpack and JSON value decoders (see
// decode_fuzz_entry.h for the invariants checked). Built only with -DTPD_FUZZ=ON and clang.
#include <cstddef>
#include <cstdint>

#include "schema/fuzz/decode_fuzz_entry.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  tpd::schema::fuzz::RunDecodeFuzzInput(data, size);
  return 0;
}
