#include "s3/aws_chunked.h"

#include <charconv>
#include <cstring>

#include "s3/error.h"
#include "s3/sigv4.h"
#include "util/digest.h"
#include "util/hex.h"

namespace herd::s3 {

namespace {

constexpr size_t kMaxLine = 4096;
constexpr std::string_view kEmptySha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

Error bad_framing(const std::string& why) { return invalid_request("Malformed aws-chunked body: " + why); }

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

AwsChunkedDecoder::AwsChunkedDecoder(std::optional<ChunkSigning> signing) : signing_(std::move(signing)) {
  if (signing_) previous_signature_ = signing_->seed_signature;
}

void AwsChunkedDecoder::feed(const char* data, size_t len, const Sink& sink) {
  while (len > 0) {
    switch (state_) {
      case State::kData: {
        size_t n = static_cast<size_t>(std::min<uint64_t>(remaining_, len));
        if (chunk_hash_) chunk_hash_->update(data, n);
        sink(data, n);
        decoded_ += n;
        remaining_ -= n;
        data += n;
        len -= n;
        if (remaining_ == 0) state_ = State::kDataEnd;
        break;
      }
      case State::kDone:
        throw bad_framing("data after the final chunk");
      default: {
        // Line-oriented states: accumulate up to CRLF.
        const char* nl = static_cast<const char*>(memchr(data, '\n', len));
        size_t take = nl ? static_cast<size_t>(nl - data) + 1 : len;
        line_.append(data, take);
        data += take;
        len -= take;
        if (line_.size() > kMaxLine) throw bad_framing("line too long");
        if (!nl) break;
        if (line_.size() < 2 || line_[line_.size() - 2] != '\r') throw bad_framing("expected CRLF");
        std::string line = line_.substr(0, line_.size() - 2);
        line_.clear();
        if (state_ == State::kSizeLine) {
          on_size_line(line);
        } else if (state_ == State::kDataEnd) {
          if (!line.empty()) throw bad_framing("chunk longer than its declared size");
          verify_chunk();
          state_ = State::kSizeLine;
        } else {
          on_trailer_line(line);
        }
      }
    }
  }
}

void AwsChunkedDecoder::on_size_line(std::string_view line) {
  auto semi = line.find(';');
  std::string_view size_hex = trim(line.substr(0, semi));
  uint64_t size = 0;
  auto [p, ec] = std::from_chars(size_hex.data(), size_hex.data() + size_hex.size(), size, 16);
  if (size_hex.empty() || size_hex.size() > 15 || ec != std::errc() || p != size_hex.data() + size_hex.size())
    throw bad_framing("invalid chunk size");
  chunk_signature_.clear();
  if (semi != std::string_view::npos) {
    std::string_view ext = trim(line.substr(semi + 1));
    constexpr std::string_view kSig = "chunk-signature=";
    if (ext.starts_with(kSig)) chunk_signature_ = std::string(ext.substr(kSig.size()));
  }
  if (signing_) {
    if (!is_lower_hex(chunk_signature_, 64)) throw bad_framing("missing or malformed chunk-signature");
    chunk_hash_.emplace(Digest::Algorithm::kSha256);
  }
  remaining_ = size;
  if (size == 0) {
    verify_chunk();  // the final, empty chunk is signed too
    state_ = State::kTrailerLine;
  } else {
    state_ = State::kData;
  }
}

std::string AwsChunkedDecoder::chunk_string_to_sign(std::string_view data_hash_hex) const {
  std::string s = "AWS4-HMAC-SHA256-PAYLOAD\n";
  s += signing_->amz_date + "\n" + signing_->scope + "\n" + previous_signature_ + "\n";
  s += kEmptySha256;
  s += "\n";
  s += data_hash_hex;
  return s;
}

void AwsChunkedDecoder::verify_chunk() {
  if (!signing_) return;
  std::string data_hash = to_hex(chunk_hash_->finish());
  chunk_hash_.reset();
  std::string expected = sigv4::signature(signing_->signing_key, chunk_string_to_sign(data_hash));
  if (!constant_time_equal(expected, chunk_signature_)) throw signature_does_not_match();
  previous_signature_ = expected;
}

void AwsChunkedDecoder::on_trailer_line(std::string_view line) {
  if (line.empty()) {
    if (signing_ && !trailers_.empty() && !trailer_signed_)
      throw signature_does_not_match();  // a signed stream's trailers must be signed
    state_ = State::kDone;
    return;
  }
  if (trailer_signed_) throw bad_framing("trailer after the trailer signature");
  auto colon = line.find(':');
  if (colon == std::string_view::npos || colon == 0) throw bad_framing("malformed trailer");
  std::string name(trim(line.substr(0, colon)));
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::string value(trim(line.substr(colon + 1)));
  if (name == "x-amz-trailer-signature") {
    if (signing_) {
      std::string sts = "AWS4-HMAC-SHA256-TRAILER\n" + signing_->amz_date + "\n" + signing_->scope + "\n" +
                        previous_signature_ + "\n" + sha256_hex(trailer_text_);
      if (!constant_time_equal(sigv4::signature(signing_->signing_key, sts), value)) throw signature_does_not_match();
    }
    trailer_signed_ = true;
    return;
  }
  if (trailers_.size() >= 16) throw bad_framing("too many trailers");
  trailer_text_ += name + ":" + value + "\n";
  trailers_.emplace_back(std::move(name), std::move(value));
}

}  // namespace herd::s3
