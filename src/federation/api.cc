#include "federation/api.h"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "s3/acl.h"
#include "s3/error.h"
#include "s3/names.h"
#include "util/digest.h"
#include "util/hex.h"
#include "util/unavailable.h"
#include "util/uri.h"

namespace herd::federation {

namespace {

using json = nlohmann::json;

constexpr size_t kMaxRequestBytes = 64 * 1024;
constexpr size_t kMaxUrlBytes = 8192;
constexpr size_t kMaxHashesPerHas = 1000;

// A failure the API reports as {"error": code, "message": …} with `status`.
struct ApiError : std::runtime_error {
  ApiError(unsigned status, std::string code, const std::string& message)
      : std::runtime_error(message), status(status), code(std::move(code)) {}
  unsigned status;
  std::string code;
};

ApiError bad_request(const std::string& message) { return ApiError(400, "InvalidRequest", message); }

ApiError from_fetch_error(const FetchError& e) {
  switch (e.kind) {
    case FetchError::Kind::kRefused: return ApiError(403, "FetchRefused", e.what());
    case FetchError::Kind::kBadUrl: return ApiError(400, "InvalidURL", e.what());
    case FetchError::Kind::kUpstreamStatus: return ApiError(502, "UpstreamError", e.what());
    case FetchError::Kind::kUpstreamFailed: return ApiError(502, "UpstreamFailed", e.what());
    case FetchError::Kind::kTimeout: return ApiError(504, "UpstreamTimeout", e.what());
    case FetchError::Kind::kTooLarge: return ApiError(413, "TooLarge", e.what());
  }
  return ApiError(502, "UpstreamFailed", e.what());
}

// A string member of a request; `required` ones must be present and non-empty.
std::string string_field(const json& body, const char* name, bool required) {
  auto it = body.find(name);
  if (it == body.end() || it->is_null()) {
    if (required) throw bad_request(std::string("Missing \"") + name + "\"");
    return {};
  }
  if (!it->is_string()) throw bad_request(std::string("\"") + name + "\" must be a string");
  std::string value = it->get<std::string>();
  if (required && value.empty()) throw bad_request(std::string("\"") + name + "\" must not be empty");
  return value;
}

// The digests of a `has` body, checked.
std::vector<std::string> has_request(const json& body) {
  auto list = body.find("sha256");
  if (list == body.end() || !list->is_array()) throw bad_request("\"sha256\" must be an array of hex digests");
  if (list->size() > kMaxHashesPerHas) throw bad_request("At most 1000 digests per request");
  std::vector<std::string> hashes;
  for (const auto& item : *list) {
    if (!item.is_string() || !is_lower_hex(item.get<std::string>(), 64))
      throw bad_request("Each digest must be 64 lower-case hex characters");
    hashes.push_back(item.get<std::string>());
  }
  return hashes;
}

// A `retrieve` body, checked.
struct RetrieveCall {
  RetrieveRequest request;
  std::string bucket, key;
};
RetrieveCall retrieve_request(const json& body) {
  RetrieveCall call;
  call.request.url = string_field(body, "url", true);
  if (call.request.url.size() > kMaxUrlBytes) throw ApiError(400, "InvalidURL", "The URL is too long");
  call.bucket = string_field(body, "bucket", true);
  call.key = string_field(body, "key", true);
  if (call.key.size() > s3::kMaxKeyBytes || !s3::valid_utf8(call.key)) throw bad_request("Invalid key");
  if (auto acl = string_field(body, "acl", false); !acl.empty()) {
    if (!s3::valid_canned_acl(acl)) throw bad_request("Unknown canned ACL: " + acl);
    call.request.acl = acl;
  }
  call.request.content_type = string_field(body, "content_type", false);
  if (call.request.content_type.size() > 255) throw bad_request("content_type is too long");
  for (unsigned char c : call.request.content_type)
    if (c < 0x20 || c >= 0x7f) throw bad_request("content_type must be printable ASCII");
  return call;
}

http::Headers json_headers() { return {{"Content-Type", "application/json"}, {"Cache-Control", "no-store"}}; }

// (Built outside the coroutines: GCC 12 miscompiles braced lists of string literals in them.)
json retrieve_answer(const RetrieveResult& r) {
  return json{{"result", r.result}, {"source", r.source}, {"sha256", to_hex(r.sha256)}, {"size", r.size},
              {"etag", r.etag}};
}

json error_answer(const ApiError& e) { return json{{"error", e.code}, {"message", e.what()}}; }

boost::asio::awaitable<void> respond_json(http::Exchange& ex, unsigned status, const json& body) {
  http::Response response{status, json_headers(), body.dump()};
  co_await ex.respond(response);
}

}  // namespace

boost::asio::awaitable<void> Api::handle(http::Exchange& ex) {
  std::optional<ApiError> failure;
  try {
    auto query = sigv4::parse_query(ex.query());
    auto path = uri_decode(ex.path());
    if (!query || !path) throw bad_request("Malformed request target");
    const bool retrieve = *path == "/_herd/v1/retrieve", has = *path == "/_herd/v1/has";
    if (!retrieve && !has) throw ApiError(404, "NotFound", "No such endpoint: " + *path);
    if (ex.method() != "POST") throw ApiError(405, "MethodNotAllowed", "Use POST");

    // The body, small and whole, first: a request signed without x-amz-content-sha256 signed its hash.
    if (auto declared = ex.content_length(); declared && *declared > kMaxRequestBytes)
      throw ApiError(413, "TooLarge", "Request body too large");
    std::string text;
    std::vector<char> buf(8192);
    while (true) {
      size_t n = co_await ex.read_body(buf.data(), buf.size());
      if (n == 0) break;
      if (text.size() + n > kMaxRequestBytes) throw ApiError(413, "TooLarge", "Request body too large");
      text.append(buf.data(), n);
    }
    const std::string text_sha256 = sha256_hex(text);
    s3::AuthResult auth = s3::authenticate(ex, *path, *query, pool_.tenants(), auth_, &text_sha256);
    if (!auth.tenant) throw ApiError(403, "AccessDenied", "Sign the request with your tenant's keys (SigV4)");
    if (auth.payload == s3::PayloadMode::kStreamingSigned || auth.payload == s3::PayloadMode::kStreamingUnsigned)
      throw bad_request("Send the JSON body in one piece (no aws-chunked encoding)");
    if (auth.payload == s3::PayloadMode::kSignedHex && text_sha256 != auth.payload_sha256_hex)
      throw ApiError(400, "XAmzContentSHA256Mismatch", "The body does not match its signed SHA-256");
    json body = json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (!body.is_object()) throw ApiError(400, "MalformedJSON", "The body must be a JSON object");
    const Tenant tenant = *auth.tenant;

    if (has) {
      const std::vector<std::string> hashes = has_request(body);
      auto usable = co_await blocking_.run([&] {
        json out = json::array();
        for (const auto& hex : hashes)
          if (pool_.blob_usable_by(tenant.id, *from_hex(hex))) out.push_back(hex);
        return out;
      });
      json answer;
      answer["usable"] = std::move(usable);
      co_await respond_json(ex, 200, answer);
      co_return;
    }

    const RetrieveCall call = retrieve_request(body);
    const RetrieveRequest& request = call.request;
    const std::string &bucket_name = call.bucket, &key = call.key;
    auto result = co_await blocking_.run([&]() -> RetrieveResult {
      auto bucket = pool_.meta().bucket_by_name(bucket_name);
      if (!bucket) throw ApiError(404, "NoSuchBucket", "The specified bucket does not exist");
      if (bucket->tenant_id != tenant.id) throw ApiError(403, "AccessDenied", "The bucket is not yours");
      try {
        return retriever_.retrieve(*bucket, key, request);
      } catch (const FetchError& e) {
        throw from_fetch_error(e);
      } catch (const Upload::TooLarge&) {
        throw ApiError(413, "TooLarge", "The remote file is larger than [fetch] max_object_size");
      } catch (const NoSuchBucketError&) {
        throw ApiError(404, "NoSuchBucket", "The specified bucket does not exist");
      } catch (const TakenDownError& e) {
        throw ApiError(451, "TakenDown", e.what());
      } catch (const QuotaExceededError&) {
        throw ApiError(403, "QuotaExceeded", "The object would take this tenant past its quota; nothing was stored");
      }
    });
    json answer = retrieve_answer(result);
    co_await respond_json(ex, 200, answer);
    co_return;
  } catch (const ApiError& e) {
    failure = e;
  } catch (const s3::Error& e) {  // authentication
    failure = ApiError(e.status, e.code, e.what());
  } catch (const http::IncompleteBody&) {
    failure = bad_request("Incomplete body");
  } catch (const http::MalformedBody&) {
    failure = bad_request("Malformed chunked transfer encoding");
  } catch (const Unavailable& e) {
    failure = ApiError(503, "ServiceUnavailable", e.what());
  }
  spdlog::debug("{} {} -> {} {}", ex.method(), ex.target(), failure->status, failure->code);
  json answer = error_answer(*failure);
  co_await respond_json(ex, failure->status, answer);
}

}  // namespace herd::federation
