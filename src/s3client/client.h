#pragma once
// A blocking S3 client over libcurl for the S3 blob backend: path-style requests to one bucket,
// signed with SigV4 (request_signer.h), every body signed with its real SHA-256 so the backend
// rejects bytes corrupted on the way. Thread-safe: each call borrows a kept-alive curl handle
// from a small pool.
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "s3client/request_signer.h"

namespace herd::s3client {

// Where requests go.
struct Target {
  std::string endpoint;  // "http(s)://host[:port]", no trailing slash
  std::string bucket;
  Credentials credentials;
  // A request that moves no bytes for this long (or cannot connect) fails.
  std::chrono::seconds timeout{60};
  // false: 5xx replies are returned like any other (an API whose 502 means something); network
  // failures are still retried.
  bool retry_server_errors = true;
};

// A request body: `length` bytes from `fd` at `offset` (read with pread), or `memory` when fd < 0.
struct Body {
  int fd = -1;
  int64_t offset = 0;
  int64_t length = 0;
  std::string_view memory;
  std::string sha256_hex;  // of exactly these bytes: sent as x-amz-content-sha256, and signed
  int64_t size() const { return fd >= 0 ? length : static_cast<int64_t>(memory.size()); }
};

struct Reply {
  long status = 0;
  std::string body;  // the body of non-2xx replies, and of 2xx replies without a sink
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-case
  std::optional<std::string> header(std::string_view name) const;
  // The <Code> of an S3 XML error body ("" when there is none).
  std::string error_code() const;
};

// One object of a listing.
struct Listed {
  std::string key;
  int64_t size = 0;
  int64_t modified_s = 0;  // Unix time of LastModified
};

// Receives a GET's body as it arrives; throwing aborts the transfer (the exception propagates).
using Sink = std::function<void(const char* data, size_t len)>;

class Client {
 public:
  explicit Client(Target target);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // One signed request for `key` ("" = the bucket itself). A 2xx body goes to `sink` when given.
  // Network failures and 5xx replies (see Target::retry_server_errors) are retried (3 attempts in all, bodies re-read from their
  // source); if they persist, throws Unavailable. A transfer that breaks off after the sink got
  // bytes is not retried (throws Unavailable: the caller discards what it got). Other replies
  // are returned as they are.
  Reply request(const std::string& method, const std::string& key, const sigv4::Pairs& query,
                const sigv4::Pairs& headers, const Body* body = nullptr, const Sink& sink = {});

  // PUT of `body` at `key`. With `if_absent`, sends If-None-Match: * and counts 412 (the key
  // exists) as success. Throws std::runtime_error on any other non-2xx reply.
  void put(const std::string& key, const Body& body, bool if_absent = false);
  // A multipart upload of `length` bytes of `fd` in parts of `part_size`, each part signed with
  // its own SHA-256 (computed here). Aborted on failure. Throws like put().
  void put_multipart(const std::string& key, int fd, int64_t length, int64_t part_size);
  // GET of `key` into `sink`; false when the key does not exist (404).
  bool get(const std::string& key, const Sink& sink);
  // DELETE of `key`; an absent key is not an error.
  void remove(const std::string& key);
  // Server-side copy within the bucket.
  void copy(const std::string& from, const std::string& to);
  // Every object under `prefix`, in key order (ListObjectsV2, page by page).
  void list(const std::string& prefix, const std::function<void(const Listed&)>& fn);

  const Target& target() const { return target_; }

 private:
  struct Handles;
  // One try; `transient` (with `failure` saying why) when it is worth another.
  Reply attempt_once(const std::string& method, const std::string& key, const sigv4::Pairs& query,
                     const sigv4::Pairs& headers, const Body* body, const Sink& sink, bool& transient,
                     std::string& failure);

  Target target_;
  std::string host_;  // as sent in the Host header
  std::unique_ptr<Handles> handles_;
};

}  // namespace herd::s3client
