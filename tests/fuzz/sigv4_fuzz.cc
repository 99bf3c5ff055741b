// libFuzzer target: SigV4 parsing (src/s3/sigv4.cc) and what src/s3/auth.cc does with the parsed
// result: parse_authorization, parse_credential, parse_query, then canonical_query /
// canonical_headers / canonical_request_text / string_to_sign / signature on it, plus the date
// parsers auth.cc uses for X-Amz-Date and Date.
//
// Input layout (FuzzedDataProvider): an Authorization value, a credential string, a raw query
// string, a method, a decoded path, and header lines "name:value" (one per remaining string).
#include <fuzzer/FuzzedDataProvider.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "s3/sigv4.h"
#include "util/clock.h"
#include "util/hex.h"

#include "fuzz_check.h"

using namespace herd;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  std::string auth_value = in.ConsumeRandomLengthString(2048);
  std::string credential_value = in.ConsumeRandomLengthString(512);
  std::string raw_query = in.ConsumeRandomLengthString(4096);
  std::string method = in.ConsumeRandomLengthString(16);
  std::string path = in.ConsumeRandomLengthString(2048);
  sigv4::Pairs headers;
  while (in.remaining_bytes() > 0 && headers.size() < 64) {
    std::string line = in.ConsumeRandomLengthString(512);
    auto colon = line.find(':');
    if (colon == std::string::npos) headers.emplace_back(line, "");
    else headers.emplace_back(line.substr(0, colon), line.substr(colon + 1));
  }

  // Credential scope: five parts, the date all digits.
  if (auto cred = sigv4::parse_credential(credential_value)) {
    CHECK(cred->date.size() == 8);
    CHECK(!cred->access_key.empty() && !cred->region.empty() && !cred->service.empty());
    CHECK(cred->scope() == credential_value.substr(credential_value.find('/') + 1));
  }

  auto auth = sigv4::parse_authorization(auth_value);
  if (auth) {
    CHECK(is_lower_hex(auth->signature, 64));
    for (const auto& h : auth->signed_headers) {
      CHECK(!h.empty());
      for (char c : h) CHECK(!(c >= 'A' && c <= 'Z'));
    }
  }
  // Also the X-Amz-* query form of auth.cc: the date and the signed-header list.
  (void)parse_amz_date(auth_value.substr(0, 16));
  if (auto when = parse_amz_date(credential_value)) {
    std::string again = format_amz_date(*when);
    if (credential_value.compare(0, 1, "0") != 0) CHECK(again == credential_value);  // years 1000-9999
  }
  (void)parse_http_date(method + path);

  auto query = sigv4::parse_query(raw_query);
  sigv4::Pairs pairs = query ? *query : sigv4::Pairs{};
  std::string canonical = sigv4::canonical_query(pairs);
  // The canonical query is sorted and re-parses to the same multiset of pairs.
  if (auto again = sigv4::parse_query(canonical)) {
    auto a = pairs, b = *again;
    for (auto* v : {&a, &b}) {
      // parse_query drops empty parts: "&&" and a bare "" never make a pair.
      std::erase_if(*v, [](const auto& kv) { return kv.first.empty() && kv.second.empty(); });
      std::sort(v->begin(), v->end());
    }
    CHECK(a == b);
  } else {
    CHECK(!"canonical_query output does not re-parse");
  }

  std::vector<std::string> signed_headers = auth ? auth->signed_headers : std::vector<std::string>{"host", "x-amz-date"};
  std::string canonical_headers = sigv4::canonical_headers(headers, signed_headers);
  sigv4::CanonicalRequest cr{method, path, pairs, headers, signed_headers, "UNSIGNED-PAYLOAD"};
  std::string text = sigv4::canonical_request_text(cr);
  CHECK(text.find(canonical_headers) != std::string::npos);
  sigv4::Credential c = auth ? auth->credential : sigv4::Credential{"AKID", "20260101", "us-east-1", "s3"};
  std::string sts = sigv4::string_to_sign("20260101T000000Z", c.scope(), text);
  std::string key = sigv4::signing_key("secret", c);
  CHECK(key.size() == 32);
  CHECK(is_lower_hex(sigv4::signature(key, sts), 64));
  return 0;
}
