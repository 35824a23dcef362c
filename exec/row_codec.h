// Encodings of rows: group keys as bytes (the shuffle's and the state store's keys), and output
// rows as JSON (Flink's JSON format) or as text for the console's tables.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"
#include "exec/value.h"
#include "proto/plan.pb.h"

namespace spate::exec {

/// Appends `n` values as one key: per value a tag byte (null, false, true, int, double,
/// string), then its payload (ints zig-zag varint, doubles 8 bytes, strings varint length +
/// bytes). Equal tuples encode to equal bytes (a double's -0.0 as 0.0, every NaN alike), so the
/// bytes can be hashed and compared for grouping.
void EncodeKey(const Value* values, size_t n, std::string* out);
/// Decodes `n` values of a key made by EncodeKey into out[0 .. n-1]; strings view `bytes`.
Status DecodeKey(std::string_view bytes, Value* out, size_t n);

/// Appends the JSON text of `v` of logical type `type`: null; true/false; integers; doubles in
/// the shortest form that reads back the same (NaN and infinities as strings, as Flink);
/// strings escaped (invalid UTF-8 bytes as U+FFFD); TIMESTAMP as "YYYY-MM-DD HH:MM:SS[.fff]"
/// (the fraction only when not zero, as Flink's SQL format) and TIMESTAMP_LTZ the same with a
/// trailing "Z".
void AppendJsonValue(const Value& v, const proto::DataType& type, std::string* out);
/// Appends {"name":value,...} for `n` columns.
void AppendJsonRow(const std::string* names, const proto::DataType* types, const Value* values,
                   size_t n, std::string* out);
/// The value as the console shows it: like JSON but strings bare, NULL as "NULL".
std::string FormatValue(const Value& v, const proto::DataType& type);

}  // namespace spate::exec
