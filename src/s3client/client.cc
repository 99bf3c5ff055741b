#include "s3client/client.h"

#include <curl/curl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <exception>
#include <mutex>
#include <pugixml.hpp>
#include <stdexcept>
#include <thread>

#include "util/digest.h"
#include "util/hex.h"
#include "util/unavailable.h"
#include "util/uri.h"

namespace herd::s3client {

namespace {

constexpr const char* kEmptySha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
constexpr int kAttempts = 3;
constexpr size_t kMaxErrorBody = 64 * 1024;
constexpr size_t kMaxReplyBody = 16 << 20;  // a listing page of 1000 keys is about 300 KiB

std::string amz_date_now() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[17];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

// "2026-12-02T17:22:26.000Z" → Unix seconds (0 when malformed).
int64_t parse_iso8601(const std::string& s) {
  std::tm tm{};
  if (!::strptime(s.c_str(), "%Y-%m-%dT%H:%M:%S", &tm)) return 0;
  return static_cast<int64_t>(::timegm(&tm));
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Per-transfer state the curl callbacks see.
struct Transfer {
  CURL* curl = nullptr;
  const Body* body = nullptr;
  int64_t sent = 0;
  const Sink* sink = nullptr;
  Reply* reply = nullptr;
  bool delivered = false;      // the sink has received bytes: a retry would repeat them
  std::exception_ptr failure;  // thrown by the sink or a failed read
};

size_t on_read(char* buf, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const Body& b = *t->body;
  size_t want = static_cast<size_t>(std::min<int64_t>(static_cast<int64_t>(size * count), b.size() - t->sent));
  if (want == 0) return 0;
  if (b.fd < 0) {
    std::memcpy(buf, b.memory.data() + t->sent, want);
    t->sent += static_cast<int64_t>(want);
    return want;
  }
  while (true) {
    ssize_t n = ::pread(b.fd, buf, want, b.offset + t->sent);
    if (n > 0) {
      t->sent += n;
      return static_cast<size_t>(n);
    }
    if (n < 0 && errno == EINTR) continue;
    t->failure = std::make_exception_ptr(std::runtime_error("cannot read the body of a blob upload"));
    return CURL_READFUNC_ABORT;
  }
}

// Rewinds the body for a resend (redirects, auth retries inside curl).
int on_seek(void* user, curl_off_t offset, int origin) {
  auto* t = static_cast<Transfer*>(user);
  if (origin != SEEK_SET || offset < 0 || offset > t->body->size()) return CURL_SEEKFUNC_CANTSEEK;
  t->sent = offset;
  return CURL_SEEKFUNC_OK;
}

size_t on_write(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t n = size * count;
  long status = 0;
  curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &status);
  if (status / 100 == 2 && t->sink && *t->sink) {
    try {
      t->delivered = true;
      (*t->sink)(data, n);
    } catch (...) {
      t->failure = std::current_exception();
      return 0;  // aborts the transfer
    }
    return n;
  }
  // Kept in full for a successful reply (an XML document to parse), in part for an error.
  size_t cap = status / 100 == 2 ? kMaxReplyBody : kMaxErrorBody;
  if (t->reply->body.size() + n > cap) {
    if (status / 100 == 2) {
      t->failure = std::make_exception_ptr(std::runtime_error("blob backend reply too large"));
      return 0;
    }
    return n;
  }
  t->reply->body.append(data, n);
  return n;
}

size_t on_header(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  std::string_view line(data, size * count);
  if (line.starts_with("HTTP/")) {
    t->reply->headers.clear();  // a new response (after 100 Continue or a redirect)
    return size * count;
  }
  auto colon = line.find(':');
  if (colon == std::string_view::npos) return size * count;
  std::string name = lower(std::string(line.substr(0, colon)));
  std::string_view value = line.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' ')) value.remove_suffix(1);
  t->reply->headers.emplace_back(std::move(name), std::string(value));
  return size * count;
}

std::string describe(const Reply& r) {
  std::string code = r.error_code();
  return "HTTP " + std::to_string(r.status) + (code.empty() ? "" : " " + code);
}

}  // namespace

std::optional<std::string> Reply::header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (k == name) return v;
  return std::nullopt;
}

std::string Reply::error_code() const {
  pugi::xml_document doc;
  if (body.empty() || !doc.load_buffer(body.data(), body.size())) return "";
  return doc.child("Error").child_value("Code");
}

// Kept-alive curl handles, borrowed one per request.
struct Client::Handles {
  std::mutex mu;
  std::vector<CURL*> idle;
  ~Handles() {
    for (CURL* c : idle) curl_easy_cleanup(c);
  }
  CURL* acquire() {
    {
      std::lock_guard lock(mu);
      if (!idle.empty()) {
        CURL* c = idle.back();
        idle.pop_back();
        return c;
      }
    }
    CURL* c = curl_easy_init();
    if (!c) throw std::runtime_error("curl_easy_init failed");
    return c;
  }
  void release(CURL* c) {
    std::lock_guard lock(mu);
    if (idle.size() < 32) idle.push_back(c);
    else curl_easy_cleanup(c);
  }
};

Client::Client(Target target) : target_(std::move(target)), handles_(std::make_unique<Handles>()) {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  auto scheme = target_.endpoint.find("://");
  if (scheme == std::string::npos) throw std::runtime_error("bad S3 endpoint " + target_.endpoint);
  host_ = target_.endpoint.substr(scheme + 3);
  if (auto slash = host_.find('/'); slash != std::string::npos) host_.resize(slash);
}

Client::~Client() = default;

Reply Client::request(const std::string& method, const std::string& key, const sigv4::Pairs& query,
                      const sigv4::Pairs& headers, const Body* body, const Sink& sink) {
  std::string last;
  for (int attempt = 1;; ++attempt) {
    bool transient = false;
    Reply r = attempt_once(method, key, query, headers, body, sink, transient, last);
    if (!transient || (r.status >= 500 && !target_.retry_server_errors)) return r;
    if (attempt == kAttempts)
      throw Unavailable("blob backend " + target_.endpoint + " unavailable: " + method + " " + key + ": " + last);
    std::this_thread::sleep_for(std::chrono::milliseconds(100 << (2 * (attempt - 1))));
  }
}

Reply Client::attempt_once(const std::string& method, const std::string& key, const sigv4::Pairs& query,
                           const sigv4::Pairs& headers, const Body* body, const Sink& sink, bool& transient,
                           std::string& failure) {
  const std::string path = "/" + target_.bucket + (key.empty() ? "" : "/" + key);
  const std::string payload = body ? body->sha256_hex : kEmptySha256;
  auto sig = sign_request(method, host_, path, query, headers, payload, target_.credentials, amz_date_now());
  std::string url = target_.endpoint + uri_encode(path, true);
  if (!query.empty()) url += "?" + sigv4::canonical_query(query);

  curl_slist* list = nullptr;
  auto add = [&](const std::string& h) { list = curl_slist_append(list, h.c_str()); };
  add("Host: " + host_);
  add("x-amz-date: " + sig.amz_date);
  add("x-amz-content-sha256: " + payload);
  add("Authorization: " + sig.authorization);
  add("Expect:");  // no 100-continue round trip
  for (const auto& [k, v] : headers) add(k + ": " + v);

  Reply reply;
  Transfer t;
  t.body = body;
  t.sink = &sink;
  t.reply = &reply;
  CURL* c = handles_->acquire();
  t.curl = c;
  curl_easy_reset(c);
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, list);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, static_cast<long>(std::min<int64_t>(target_.timeout.count(), 10)));
  // A transfer slower than 1 KiB/s for the whole timeout has stalled.
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1024L);
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, static_cast<long>(target_.timeout.count()));
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_write);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &t);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &t);
  if (method == "HEAD") {
    curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
  } else if (body) {
    curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(body->size()));
    curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read);
    curl_easy_setopt(c, CURLOPT_READDATA, &t);
    curl_easy_setopt(c, CURLOPT_SEEKFUNCTION, on_seek);
    curl_easy_setopt(c, CURLOPT_SEEKDATA, &t);
    if (method != "PUT") curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method.c_str());
  } else if (method != "GET") {
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method.c_str());
  }
  CURLcode rc = curl_easy_perform(c);
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &reply.status);
  curl_slist_free_all(list);
  if (rc != CURLE_OK) {
    curl_easy_cleanup(c);  // its connection may be in any state
  } else {
    handles_->release(c);
  }
  if (t.failure) std::rethrow_exception(t.failure);  // the sink's or the body's own failure
  if (rc != CURLE_OK && t.delivered)  // the sink holds part of a body: not retried here
    throw Unavailable("blob backend " + target_.endpoint + ": " + method + " " + key + " broke off: " +
                      curl_easy_strerror(rc));
  if (rc != CURLE_OK) {
    transient = true;
    failure = curl_easy_strerror(rc);
  } else if (reply.status >= 500) {
    transient = true;
    failure = describe(reply);
  }
  return reply;
}

void Client::put(const std::string& key, const Body& body, bool if_absent) {
  sigv4::Pairs headers;
  if (if_absent) headers.emplace_back("if-none-match", "*");
  Reply r = request("PUT", key, {}, headers, &body);
  if (r.status / 100 == 2 || (if_absent && r.status == 412)) return;
  throw std::runtime_error("blob backend refused PUT " + key + ": " + describe(r));
}

namespace {

std::string file_sha256_hex(int fd, int64_t offset, int64_t length) {
  Digest d(Digest::Algorithm::kSha256);
  std::vector<char> buf(1 << 20);
  for (int64_t done = 0; done < length;) {
    ssize_t n = ::pread(fd, buf.data(), static_cast<size_t>(std::min<int64_t>(buf.size(), length - done)), offset + done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw std::runtime_error("cannot read the body of a blob upload");
    d.update(buf.data(), static_cast<size_t>(n));
    done += n;
  }
  return to_hex(d.finish());
}

}  // namespace

void Client::put_multipart(const std::string& key, int fd, int64_t length, int64_t part_size) {
  Reply created = request("POST", key, {{"uploads", ""}}, {});
  pugi::xml_document doc;
  std::string upload_id;
  if (created.status == 200 && doc.load_buffer(created.body.data(), created.body.size()))
    upload_id = doc.child("InitiateMultipartUploadResult").child_value("UploadId");
  if (upload_id.empty()) throw std::runtime_error("blob backend refused a multipart upload of " + key + ": " + describe(created));
  try {
    std::string complete = "<CompleteMultipartUpload>";
    int number = 1;
    for (int64_t offset = 0; offset < length; offset += part_size, ++number) {
      Body part{fd, offset, std::min(part_size, length - offset), {}, ""};
      part.sha256_hex = file_sha256_hex(fd, part.offset, part.length);
      Reply r = request("PUT", key, {{"partNumber", std::to_string(number)}, {"uploadId", upload_id}}, {}, &part);
      auto etag = r.header("etag");
      if (r.status != 200 || !etag) throw std::runtime_error("blob backend refused part " + std::to_string(number) + " of " + key + ": " + describe(r));
      complete += "<Part><PartNumber>" + std::to_string(number) + "</PartNumber><ETag>" + *etag + "</ETag></Part>";
    }
    complete += "</CompleteMultipartUpload>";
    Body xml{-1, 0, 0, complete, sha256_hex(complete)};
    Reply done = request("POST", key, {{"uploadId", upload_id}}, {{"content-type", "application/xml"}}, &xml);
    // A 200 may still carry an error document (S3 reports late failures that way).
    if (done.status != 200 || !done.error_code().empty())
      throw std::runtime_error("blob backend refused to complete " + key + ": " + describe(done));
  } catch (...) {
    try {
      request("DELETE", key, {{"uploadId", upload_id}}, {});
    } catch (const std::exception&) {
      // the backend's lifecycle removes abandoned uploads
    }
    throw;
  }
}

bool Client::get(const std::string& key, const Sink& sink) {
  Reply r = request("GET", key, {}, {}, nullptr, sink);
  if (r.status == 404) return false;
  if (r.status != 200) throw std::runtime_error("blob backend refused GET " + key + ": " + describe(r));
  return true;
}

void Client::remove(const std::string& key) {
  Reply r = request("DELETE", key, {}, {});
  if (r.status / 100 != 2 && r.status != 404)
    throw std::runtime_error("blob backend refused DELETE " + key + ": " + describe(r));
}

void Client::copy(const std::string& from, const std::string& to) {
  Reply r = request("PUT", to, {}, {{"x-amz-copy-source", uri_encode("/" + target_.bucket + "/" + from, true)}});
  if (r.status != 200 || !r.error_code().empty())
    throw std::runtime_error("blob backend refused to copy " + from + " to " + to + ": " + describe(r));
}

void Client::list(const std::string& prefix, const std::function<void(const Listed&)>& fn) {
  std::string token;
  while (true) {
    sigv4::Pairs query{{"list-type", "2"}, {"prefix", prefix}};
    if (!token.empty()) query.emplace_back("continuation-token", token);
    Reply r = request("GET", "", query, {});
    pugi::xml_document doc;
    if (r.status != 200 || !doc.load_buffer(r.body.data(), r.body.size()))
      throw std::runtime_error("blob backend refused to list " + prefix + ": " + describe(r));
    auto result = doc.child("ListBucketResult");
    for (auto c : result.children("Contents"))
      fn({c.child_value("Key"), std::stoll(std::string("0") + c.child_value("Size")),
          parse_iso8601(c.child_value("LastModified"))});
    if (std::string(result.child_value("IsTruncated")) != "true") return;
    token = result.child_value("NextContinuationToken");
    if (token.empty()) throw std::runtime_error("blob backend listing of " + prefix + " is truncated without a token");
  }
}

}  // namespace herd::s3client
