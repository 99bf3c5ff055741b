#pragma once
// Decoder for aws-chunked request bodies (Content-Encoding: aws-chunked), the framing of the
// STREAMING-* payload modes:
//   <hex size>[;chunk-signature=<sig>]\r\n<data>\r\n … 0[;chunk-signature=<sig>]\r\n
//   [<trailer name>:<value>\r\n …][x-amz-trailer-signature:<sig>\r\n]\r\n
// With signing, every chunk's signature chains from the previous one (the seed is the request's
// Authorization signature) and a signed trailer is verified too. Pure: no I/O.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "util/digest.h"

namespace herd::s3 {

// What chunk signatures are computed with.
struct ChunkSigning {
  std::string signing_key;     // raw SigV4 signing key
  std::string amz_date;        // request's x-amz-date
  std::string scope;           // credential scope
  std::string seed_signature;  // the Authorization header's signature (hex)
};

class AwsChunkedDecoder {
 public:
  using Sink = std::function<void(const char* data, size_t len)>;
  // `signing` present for STREAMING-AWS4-HMAC-SHA256-PAYLOAD(-TRAILER): chunk signatures are
  // required and verified. Trailers are accepted either way; a signed stream's trailers must
  // carry a valid x-amz-trailer-signature.
  explicit AwsChunkedDecoder(std::optional<ChunkSigning> signing);

  // Consumes raw body bytes, passing decoded payload bytes to `sink`. Throws s3::Error:
  // IncompleteBody / InvalidRequest on bad framing, SignatureDoesNotMatch on a bad signature.
  void feed(const char* data, size_t len, const Sink& sink);
  // True once the final chunk and the trailer section have been read.
  bool done() const { return state_ == State::kDone; }
  // Trailing headers (names lower-cased), without the trailer signature.
  const std::vector<std::pair<std::string, std::string>>& trailers() const { return trailers_; }
  uint64_t decoded_size() const { return decoded_; }

 private:
  enum class State { kSizeLine, kData, kDataEnd, kTrailerLine, kDone };

  void on_size_line(std::string_view line);
  void on_trailer_line(std::string_view line);
  void verify_chunk();
  std::string chunk_string_to_sign(std::string_view data_hash_hex) const;

  std::optional<ChunkSigning> signing_;
  State state_ = State::kSizeLine;
  std::string line_;               // partial line being accumulated
  uint64_t remaining_ = 0;         // bytes of chunk data still to come
  std::string chunk_signature_;    // announced signature of the current chunk
  std::string previous_signature_;
  std::optional<Digest> chunk_hash_;
  std::string trailer_text_;       // canonical "name:value\n" lines for the trailer signature
  bool trailer_signed_ = false;
  std::vector<std::pair<std::string, std::string>> trailers_;
  uint64_t decoded_ = 0;
};

}  // namespace herd::s3
