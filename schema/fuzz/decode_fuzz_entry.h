// The decode fuzzer's body, shared by the libFuzzer target (decode_fuzzer.cc, clang only) and the
// plain unit test that replays pseudo-random inputs through it under any compiler.
#ifndef TPD_SCHEMA_FUZZ_DECODE_FUZZ_ENTRY_H_
#define TPD_SCHEMA_FUZZ_DECODE_FUZZ_ENTRY_H_

#include <cstddef>
#include <cstdint>

namespace tpd::schema::fuzz {

// Decodes `data` as msgpack and as JSON against a fixed schema type (nested collections, objects,
// dynamic), re-encodes whatever decodes, and checks the round trip. Returns the number of decodes
// that succeeded (0..2). Aborts (a fuzzer finding) when a decoded value fails to re-encode or its
// re-encoding decodes to a different value; never crashes otherwise.
int RunDecodeFuzzInput(const uint8_t* data, size_t size);

}  // namespace tpd::schema::fuzz

#endif  // TPD_SCHEMA_FUZZ_DECODE_FUZZ_ENTRY_H_
