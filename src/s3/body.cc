#include "s3/body.h"

#include <charconv>
#include <memory>

#include "s3/aws_chunked.h"
#include "s3/error.h"
#include "util/base64.h"
#include "util/digest.h"
#include "util/hex.h"

namespace herd::s3 {

namespace {

// The decoded Content-MD5 header, if sent; InvalidDigest when malformed.
std::optional<std::string> content_md5(const http::Exchange& ex) {
  auto h = ex.header("Content-MD5");
  if (!h) return std::nullopt;
  auto raw = base64_decode(*h);
  if (!raw || raw->size() != 16) throw invalid_digest();
  return raw;
}

// Which flexible checksum the request declares, and where its value comes from.
struct ChecksumRequest {
  ChecksumAlgorithm algorithm;
  std::optional<std::string> header_value;  // nullopt: expected in the trailer
};

std::optional<ChecksumRequest> requested_checksum(const http::Exchange& ex) {
  std::optional<ChecksumRequest> found;
  for (const auto& [name, value] : ex.headers()) {
    std::string n = name;
    for (char& c : n) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (!n.starts_with("x-amz-checksum-") || n == "x-amz-checksum-algorithm" || n == "x-amz-checksum-type" ||
        n == "x-amz-checksum-mode")
      continue;
    auto alg = parse_checksum_algorithm(std::string_view(n).substr(15));
    if (!alg) throw invalid_request("Unknown checksum header " + name);
    if (found) throw invalid_request("Expecting a single x-amz-checksum- header");
    found = ChecksumRequest{*alg, value};
  }
  if (auto trailer = ex.header("x-amz-trailer")) {
    std::string t(*trailer);
    for (char& c : t) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (!t.starts_with("x-amz-checksum-")) throw invalid_request("Unsupported trailer " + t);
    auto alg = parse_checksum_algorithm(std::string_view(t).substr(15));
    if (!alg) throw invalid_request("Unsupported trailer " + t);
    if (found) throw invalid_request("Expecting a single x-amz-checksum- header");
    found = ChecksumRequest{*alg, std::nullopt};
  }
  if (!found) {
    // x-amz-sdk-checksum-algorithm alone asks for a checksum to be computed and stored.
    auto name = ex.header("x-amz-sdk-checksum-algorithm");
    if (!name) name = ex.header("x-amz-checksum-algorithm");
    if (name) {
      auto alg = parse_checksum_algorithm(*name);
      if (!alg) throw invalid_request("Unknown checksum algorithm " + std::string(*name));
      found = ChecksumRequest{*alg, std::nullopt};
    }
  }
  return found;
}

std::optional<uint64_t> decoded_length(const http::Exchange& ex) {
  auto h = ex.header("x-amz-decoded-content-length");
  if (!h) return std::nullopt;
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(h->data(), h->data() + h->size(), v);
  if (ec != std::errc() || p != h->data() + h->size()) throw invalid_argument("Invalid x-amz-decoded-content-length");
  return v;
}

}  // namespace

boost::asio::awaitable<std::optional<BodyChecksum>> receive_body(Context& ctx, Upload& upload,
                                                                 std::optional<UploadSlots::Slot>* keep) {
  http::Exchange& ex = ctx.ex;
  const bool streaming =
      ctx.auth.payload == PayloadMode::kStreamingSigned || ctx.auth.payload == PayloadMode::kStreamingUnsigned;
  // aws-chunked bodies may also come with HTTP chunked transfer (SDK stream uploads); their size is
  // the decoded length, which they must declare. A plain body with HTTP chunked transfer has no
  // length until its last chunk: it streams to a temp file like any other, and Upload::append
  // enforces the maximum size as the bytes arrive.
  std::optional<uint64_t> decoded = streaming ? decoded_length(ex) : ex.content_length();
  if (streaming && !decoded) throw missing_content_length();
  if (decoded && *decoded > static_cast<uint64_t>(ctx.options.max_object_size)) throw entity_too_large();
  auto expected_md5 = content_md5(ex);
  auto checksum_request = requested_checksum(ex);
  std::optional<Checksum> checksum;
  if (checksum_request) checksum.emplace(checksum_request->algorithm);

  auto sink = [&](const char* data, size_t len) {
    upload.append(data, len);
    if (checksum) checksum->update(data, len);
  };
  std::optional<AwsChunkedDecoder> decoder;
  if (streaming) decoder.emplace(ctx.auth.chunk_signing);
  {
    UploadSlots::Slot slot = co_await ctx.upload_slots.acquire();
    // Only now, holding a slot: memory for a small body is bounded by the slots too.
    if (decoded) upload.expect(static_cast<int64_t>(*decoded));
    Upload::SettleOnUnwind guard(upload);
    // Two halves: the next chunk is received into one while the upload may still be hashing
    // the other on a lane.
    const size_t half = slot.size() / 2;
    for (int i = 0;; ++i) {
      char* buf = slot.data() + (i % 2) * half;
      size_t n = co_await ex.read_body(buf, half);
      if (n == 0) break;
      if (decoder) decoder->feed(buf, n, sink);
      else sink(buf, n);
    }
    upload.finish();
    if (keep) keep->emplace(std::move(slot));
  }

  if (decoder && (!decoder->done() || decoder->decoded_size() != *decoded)) throw incomplete_body();
  if (ctx.auth.payload == PayloadMode::kSignedHex && to_hex(upload.sha256()) != ctx.auth.payload_sha256_hex)
    throw content_sha256_mismatch();
  if (expected_md5 && *expected_md5 != upload.md5()) throw bad_digest();
  if (!checksum) co_return std::nullopt;

  std::string actual = checksum->finish_base64();
  std::optional<std::string> claimed = checksum_request->header_value;
  if (!claimed && decoder) {
    const std::string want = checksum_header(checksum_request->algorithm);
    for (const auto& [name, value] : decoder->trailers())
      if (name == want) claimed = value;
    if (!claimed && ex.header("x-amz-trailer")) throw invalid_request("Missing trailer " + want);
  }
  if (claimed && *claimed != actual) throw bad_checksum(checksum_name(checksum_request->algorithm));
  co_return BodyChecksum{checksum_request->algorithm, actual};
}

void verify_small_body(const Context& ctx, const std::string& body, bool check_flexible_checksum) {
  if (ctx.auth.payload == PayloadMode::kSignedHex && sha256_hex(body) != ctx.auth.payload_sha256_hex)
    throw content_sha256_mismatch();
  if (auto md5_expected = content_md5(ctx.ex); md5_expected && *md5_expected != md5(body)) throw bad_digest();
  if (!check_flexible_checksum) return;
  auto request = requested_checksum(ctx.ex);
  if (!request || !request->header_value) return;
  Checksum checksum(request->algorithm);
  checksum.update(body.data(), body.size());
  if (checksum.finish_base64() != *request->header_value) throw bad_checksum(checksum_name(request->algorithm));
}

}  // namespace herd::s3
