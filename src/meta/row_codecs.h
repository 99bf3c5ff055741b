#pragma once
// How object metadata is kept in text columns, the same in every metadata backend: JSON for the
// x-amz-meta-* pairs, the part sizes, and a multipart upload's whole ObjectMeta. Decoders are
// lenient: a malformed value decodes as empty (defaults), never throws. Thread-safe (pure).
#include <cstdint>
#include <string>
#include <vector>

#include "meta/types.h"

namespace herd {

// ObjectMeta as JSON (multipart uploads keep the metadata of the object they will create).
std::string encode_object_meta(const ObjectMeta& meta);
ObjectMeta decode_object_meta(const std::string& text);
// x-amz-meta-* pairs as a JSON array of [name, value]; decoding appends to `meta.user_meta`.
std::string encode_user_meta(const ObjectMeta& meta);
void decode_user_meta(const std::string& text, ObjectMeta& meta);
// Part sizes as a JSON array of integers.
std::string encode_part_sizes(const std::vector<int64_t>& sizes);
std::vector<int64_t> decode_part_sizes(const std::string& text);

}  // namespace herd
