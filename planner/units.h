// Sizes and durations as people write them in configuration and on the command line.
//
// Pure; no I/O. Thread-safety: free functions, safe from any thread.
#ifndef TPD_PLANNER_UNITS_H_
#define TPD_PLANNER_UNITS_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "schema/status.h"

namespace tpd::planner {

// Parses a duration: one or more <number><unit> terms with units d, h, m, s ("90s", "5m",
// "1h30m", "1.5h"), or a bare number of seconds ("300"). Spaces around the text are ignored.
// Fractions are rounded up to whole seconds. Returns seconds >= 0, or InvalidArgument (empty,
// unknown unit, negative, missing number, or more than 100 years).
Result<int64_t> ParseDurationSeconds(std::string_view text);

// Parses a size: <number>[ ]<unit> with units B, KB, MB, GB, TB (powers of 1000) and KiB, MiB,
// GiB, TiB (powers of 1024), case-insensitive, or a bare number of bytes ("12GiB", "1.5 TB",
// "500MB", "1024"). Returns bytes >= 0, or InvalidArgument (unknown unit, negative, overflow).
Result<int64_t> ParseSizeBytes(std::string_view text);

// "1h30m", "5m", "45s", "0s": the shortest form ParseDurationSeconds reads back to `seconds`.
// REQUIRES: seconds >= 0.
std::string FormatDuration(int64_t seconds);

// "200 GiB", "1.5 GiB", "512 MiB", "100 B": binary units, at most one decimal.
std::string FormatSize(int64_t bytes);

}  // namespace tpd::planner

#endif  // TPD_PLANNER_UNITS_H_
