// libFuzzer target: the small decoders on request data: base64 (Content-MD5, checksum values),
// percent-decoding (paths, query, copy source), hex, UTF-8 key validation and bucket names, and
// the HTTP / amz date parsers.
// Oracles: base64_decode accepts only canonical input (decode → encode is the identity);
// uri_decode(uri_encode(x)) == x; from_hex(to_hex(x)) == x; valid_utf8 agrees with a reference
// decoder; a valid bucket name is 3-63 characters of [a-z0-9.-].
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "s3/names.h"
#include "util/base64.h"
#include "util/clock.h"
#include "util/hex.h"
#include "util/uri.h"

#include "fuzz_check.h"

using namespace herd;

namespace {

// Reference UTF-8 validation (RFC 3629), excluding NUL as Herd's keys do.
bool reference_utf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == 0) return false;
    if (c < 0x80) {
      ++i;
      continue;
    }
    unsigned char lo = 0x80, hi = 0xBF;
    size_t len;
    if (c >= 0xC2 && c <= 0xDF) len = 2;
    else if (c == 0xE0) len = 3, lo = 0xA0;
    else if (c >= 0xE1 && c <= 0xEC) len = 3;
    else if (c == 0xED) len = 3, hi = 0x9F;
    else if (c >= 0xEE && c <= 0xEF) len = 3;
    else if (c == 0xF0) len = 4, lo = 0x90;
    else if (c >= 0xF1 && c <= 0xF3) len = 4;
    else if (c == 0xF4) len = 4, hi = 0x8F;
    else return false;
    if (i + len > s.size()) return false;
    unsigned char c1 = static_cast<unsigned char>(s[i + 1]);
    if (c1 < lo || c1 > hi) return false;
    for (size_t k = 2; k < len; ++k) {
      unsigned char ck = static_cast<unsigned char>(s[i + k]);
      if (ck < 0x80 || ck > 0xBF) return false;
    }
    i += len;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);

  if (auto raw = base64_decode(in)) CHECK(base64_encode(*raw) == in);
  CHECK(base64_decode(base64_encode(in)) == std::string(in));

  for (bool plus : {false, true}) {
    if (auto decoded = uri_decode(in, plus)) (void)uri_encode(*decoded);
  }
  CHECK(uri_decode(uri_encode(in)) == std::string(in));
  CHECK(uri_decode(uri_encode(in, true)) == std::string(in));

  CHECK(from_hex(to_hex(in)) == std::string(in));
  if (auto bytes = from_hex(in)) CHECK(bytes->size() * 2 == in.size());

  CHECK(s3::valid_utf8(in) == reference_utf8(in));
  if (s3::valid_bucket_name(in)) {
    CHECK(in.size() >= 3 && in.size() <= 63);
    for (char c : in) CHECK((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-');
  }

  if (auto t = parse_amz_date(in)) CHECK(in.size() == 16);
  if (auto t = parse_http_date(in)) {
    std::string again = format_http_date(*t);
    (void)again;
  }
  return 0;
}
