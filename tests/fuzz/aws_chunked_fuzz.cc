// libFuzzer target: the aws-chunked body decoder (src/s3/aws_chunked.cc), with and without chunk
// signatures, fed in pieces split at fuzzer-chosen points.
//
// Two modes, chosen by the first byte:
//  - raw: arbitrary bytes are decoded; s3::Error is the expected way to refuse them. Oracle: the
//    result (decoded bytes, trailers, done, or the error code) must not depend on how the input
//    was split across feed() calls, and decoded_size() must equal the bytes given to the sink.
//  - valid: the fuzzer chooses chunk sizes, payload and trailers; the harness frames (and, when
//    signing, signs) them the way an SDK does. Oracle: the decoder accepts the stream, reproduces
//    the payload and trailers exactly, and is done; a single flipped byte is never silently
//    accepted with a different payload.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "s3/aws_chunked.h"
#include "s3/error.h"
#include "s3/sigv4.h"
#include "util/digest.h"
#include "util/hex.h"

#include "fuzz_check.h"

using namespace herd;
using herd::s3::AwsChunkedDecoder;
using herd::s3::ChunkSigning;

namespace {

constexpr std::string_view kEmptySha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

ChunkSigning test_signing() {
  sigv4::Credential c{"AKIDFUZZ", "20260101", "us-east-1", "s3"};
  ChunkSigning s;
  s.signing_key = sigv4::signing_key("fuzz-secret", c);
  s.amz_date = "20260101T000000Z";
  s.scope = c.scope();
  s.seed_signature = std::string(64, 'a');
  return s;
}

struct Outcome {
  std::string payload;
  std::vector<std::pair<std::string, std::string>> trailers;
  bool done = false;
  std::string error;  // s3::Error code, empty when none
  bool operator==(const Outcome&) const = default;
};

Outcome decode(const std::string& body, const std::vector<size_t>& cuts, const std::optional<ChunkSigning>& signing) {
  Outcome out;
  AwsChunkedDecoder decoder(signing);
  auto sink = [&](const char* p, size_t n) { out.payload.append(p, n); };
  try {
    size_t pos = 0;
    for (size_t cut : cuts) {
      if (cut <= pos || cut >= body.size()) continue;
      decoder.feed(body.data() + pos, cut - pos, sink);
      pos = cut;
    }
    if (pos < body.size()) decoder.feed(body.data() + pos, body.size() - pos, sink);
  } catch (const s3::Error& e) {
    out.error = e.code;
  }
  CHECK(decoder.decoded_size() == out.payload.size());
  out.done = decoder.done();
  out.trailers = decoder.trailers();
  if (out.done) {
    // Anything after the end is refused.
    bool threw = false;
    try {
      decoder.feed("x", 1, sink);
    } catch (const s3::Error&) {
      threw = true;
    }
    CHECK(threw || !out.error.empty());
  }
  return out;
}

std::string chunk_signature(const ChunkSigning& s, const std::string& previous, const std::string& data) {
  std::string sts = "AWS4-HMAC-SHA256-PAYLOAD\n" + s.amz_date + "\n" + s.scope + "\n" + previous + "\n" +
                    std::string(kEmptySha256) + "\n" + sha256_hex(data);
  return sigv4::signature(s.signing_key, sts);
}

// Frames `chunks` (and trailers) as an SDK would.
std::string encode(const std::vector<std::string>& chunks,
                   const std::vector<std::pair<std::string, std::string>>& trailers,
                   const std::optional<ChunkSigning>& signing) {
  std::string out;
  std::string previous = signing ? signing->seed_signature : "";
  auto frame = [&](const std::string& data) {
    char size[32];
    snprintf(size, sizeof size, "%zx", data.size());
    out += size;
    if (signing) {
      previous = chunk_signature(*signing, previous, data);
      out += ";chunk-signature=" + previous;
    }
    out += "\r\n" + data;
    if (!data.empty()) out += "\r\n";
  };
  for (const auto& c : chunks) frame(c);
  frame("");
  std::string trailer_text;
  for (const auto& [k, v] : trailers) {
    out += k + ":" + v + "\r\n";
    trailer_text += k + ":" + v + "\n";
  }
  if (signing && !trailers.empty()) {
    std::string sts = "AWS4-HMAC-SHA256-TRAILER\n" + signing->amz_date + "\n" + signing->scope + "\n" + previous +
                      "\n" + sha256_hex(trailer_text);
    out += "x-amz-trailer-signature:" + sigv4::signature(signing->signing_key, sts) + "\r\n";
  }
  out += "\r\n";
  return out;
}

std::string token(FuzzedDataProvider& in, size_t max) {
  std::string s = in.ConsumeRandomLengthString(max);
  std::string out;
  for (char c : s)
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-') out.push_back(c);
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  const uint8_t mode = in.ConsumeIntegral<uint8_t>();
  const bool signing_on = mode & 1;
  std::optional<ChunkSigning> signing;
  if (signing_on) signing = test_signing();

  if ((mode & 2) == 0) {
    // raw mode
    std::vector<size_t> cuts;
    size_t n_cuts = in.ConsumeIntegralInRange<size_t>(0, 16);
    for (size_t i = 0; i < n_cuts; ++i) cuts.push_back(in.ConsumeIntegralInRange<size_t>(0, 1 << 16));
    std::sort(cuts.begin(), cuts.end());
    std::string body = in.ConsumeRemainingBytesAsString();
    Outcome whole = decode(body, {}, signing);
    Outcome split = decode(body, cuts, signing);
    // A split may only make a difference by stopping earlier at the same error.
    CHECK(whole.error == split.error);
    CHECK(whole.payload == split.payload);
    CHECK(whole.trailers == split.trailers && whole.done == split.done);
    return 0;
  }

  // valid mode
  std::vector<std::string> chunks;
  size_t n_chunks = in.ConsumeIntegralInRange<size_t>(0, 6);
  for (size_t i = 0; i < n_chunks; ++i) {
    std::string c = in.ConsumeRandomLengthString(600);
    if (!c.empty()) chunks.push_back(std::move(c));
  }
  std::vector<std::pair<std::string, std::string>> trailers;
  size_t n_trailers = in.ConsumeIntegralInRange<size_t>(0, 3);
  for (size_t i = 0; i < n_trailers; ++i) {
    std::string k = token(in, 24), v = token(in, 64);
    if (k.empty() || k == "x-amz-trailer-signature") continue;
    trailers.emplace_back(k, v);
  }
  std::vector<size_t> cuts;
  size_t n_cuts = in.ConsumeIntegralInRange<size_t>(0, 16);
  for (size_t i = 0; i < n_cuts; ++i) cuts.push_back(in.ConsumeIntegralInRange<size_t>(0, 8192));
  std::sort(cuts.begin(), cuts.end());
  const bool flip = in.ConsumeBool();
  const size_t flip_at = in.ConsumeIntegral<uint16_t>();
  const uint8_t flip_mask = in.ConsumeIntegralInRange<uint8_t>(1, 255);

  std::string body = encode(chunks, trailers, signing);
  std::string payload;
  for (const auto& c : chunks) payload += c;
  Outcome ok = decode(body, cuts, signing);
  CHECK(ok.error.empty());
  CHECK(ok.done);
  CHECK(ok.payload == payload);
  CHECK(ok.trailers == trailers);

  if (flip && !body.empty()) {
    std::string bad = body;
    size_t i = flip_at % bad.size();
    bad[i] = static_cast<char>(bad[i] ^ flip_mask);
    Outcome r = decode(bad, cuts, signing);
    if (signing && r.error.empty() && r.done) {
      // With signatures, a changed byte may only survive where it is not covered: the chunk
      // extension's whitespace or letter case of hex sizes, never the payload or the trailers.
      CHECK(r.payload == payload);
      CHECK(r.trailers == trailers);
    }
  }
  return 0;
}
