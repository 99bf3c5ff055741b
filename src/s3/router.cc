#include "s3/router.h"

#include <spdlog/spdlog.h>

#include <array>

#include "s3/cors.h"
#include "s3/error.h"
#include "s3/names.h"
#include "s3/operations.h"
#include "util/random.h"
#include "util/uri.h"
#include "web/public_read.h"

namespace herd::s3 {

namespace {

// Sub-resources that select operations Herd does not implement yet.
constexpr std::array kUnsupportedBucketQueries = {
    "accelerate", "analytics", "cors", "encryption", "intelligent-tiering", "inventory",
    "lifecycle", "logging", "metrics", "notification", "object-lock", "ownershipControls", "policy",
    "policyStatus", "publicAccessBlock", "replication", "requestPayment", "tagging", "versioning",
    "versions", "website"};
constexpr std::array kUnsupportedObjectQueries = {"attributes", "legal-hold", "restore",
                                                  "retention",  "select",     "tagging", "torrent"};

template <size_t N>
std::optional<std::string> unsupported(const Context& ctx, const std::array<const char*, N>& names) {
  for (const char* n : names)
    if (ctx.has_query(n)) return std::string(n);
  return std::nullopt;
}

}  // namespace

http::Response Router::error_response(unsigned status, std::string_view code, std::string_view message) {
  std::string id = random_string(16, "0123456789ABCDEF");
  return {status, {{"Content-Type", "application/xml"}, {"x-amz-request-id", id}},
          error_xml(std::string(code), std::string(message), "", id)};
}

boost::asio::awaitable<void> Router::handle(http::Exchange& ex) {
  Context ctx{ex, pool_, blocking_, upload_slots_, options_, random_string(16, "0123456789ABCDEF"), {}, {}, {}, {}};
  std::optional<Error> failure;
  std::string resource(ex.path());
  try {
    co_await dispatch(ctx);
  } catch (const Error& e) {
    failure = e;
  } catch (const http::IncompleteBody&) {
    failure = incomplete_body();
  } catch (const http::MalformedBody&) {
    failure = invalid_request("Malformed chunked transfer encoding");
  } catch (const Upload::TooLarge&) {
    failure = entity_too_large();
  } catch (const TakenDownError& e) {
    failure = Error(451, "UnavailableForLegalReasons", e.what());
  } catch (const QuotaExceededError&) {
    failure = Error(403, "QuotaExceeded", "The upload would take this tenant past its quota; nothing was stored");
  }
  if (!failure) co_return;
  if (ex.responded()) throw std::runtime_error("error after the response started: " + failure->code);
  spdlog::debug("{} {} -> {} {}", ex.method(), ex.target(), failure->status, failure->code);
  http::Headers h = s3_headers(ctx, true);
  for (auto& kv : failure->headers) h.push_back(kv);
  http::Response response{failure->status, std::move(h), error_xml(failure->code, failure->what(), resource, ctx.request_id)};
  co_await ex.respond(response);
}

namespace {

using Operation = Op (*)(Context&);

// An unsigned GET/HEAD of an object, or of a blob URL (/blobs/<sha256>): served only when public
// (see web/public_read.h).
Op anonymous_read(Context& ctx) {
  if (ctx.bucket == "blobs") {
    co_await web::serve_blob(ctx.ex, ctx.pool, ctx.blocking, ctx.key);
    co_return;
  }
  co_await web::serve_public_object(ctx.ex, ctx.pool, ctx.blocking, ctx.options.public_reads, ctx.bucket, ctx.key);
}

// Picks the operation for a parsed, authenticated request (path style), or throws.
Operation select_operation(const Context& ctx) {
  const std::string_view m = ctx.ex.method();
  const bool acl = ctx.has_query("acl");
  if (ctx.bucket.empty()) {
    if (m == "GET") return list_buckets;
    throw method_not_allowed();
  }
  if (ctx.key.empty()) {  // "/bucket" or "/bucket/"
    if (auto what = unsupported(ctx, kUnsupportedBucketQueries)) throw not_implemented("bucket ?" + *what);
    if (m == "GET") {
      if (ctx.has_query("location")) return get_bucket_location;
      if (ctx.has_query("uploads")) return list_multipart_uploads;
      return acl ? get_bucket_acl : list_objects;
    }
    if (m == "PUT") return acl ? put_bucket_acl : create_bucket;
    if (m == "HEAD") return head_bucket;
    if (m == "DELETE") return delete_bucket;
    if (m == "POST" && ctx.has_query("delete")) return delete_objects;
    if (m == "POST") throw not_implemented("POST on a bucket");
    throw method_not_allowed();
  }
  if (auto what = unsupported(ctx, kUnsupportedObjectQueries)) throw not_implemented("object ?" + *what);
  if (!ctx.auth.tenant && (m == "GET" || m == "HEAD") && ctx.query.empty()) return anonymous_read;
  const bool copy = ctx.ex.header("x-amz-copy-source").has_value();
  if (ctx.has_query("uploadId")) {  // an operation on a multipart upload
    if (m == "PUT") return copy ? upload_part_copy : upload_part;
    if (m == "POST") return complete_multipart_upload;
    if (m == "DELETE") return abort_multipart_upload;
    if (m == "GET") return list_parts;
    throw method_not_allowed();
  }
  if (m == "PUT") {
    if (acl) return put_object_acl;
    return copy ? copy_object : put_object;
  }
  if (m == "GET" && acl) return get_object_acl;
  if (m == "GET" || m == "HEAD") return get_object;
  if (m == "DELETE") return delete_object;
  if (m == "POST" && ctx.has_query("uploads")) return create_multipart_upload;
  if (m == "POST") throw not_implemented("POST on an object");
  throw method_not_allowed();
}

}  // namespace

std::optional<std::string> Router::virtual_host_bucket(const http::Exchange& ex) const {
  auto host = ex.header("Host");
  if (!host) return std::nullopt;
  std::string h(*host);
  if (auto colon = h.rfind(':'); colon != std::string::npos && h.find(']') == std::string::npos) h.resize(colon);
  for (char& c : h) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (const auto& domain : options_.base_domains) {
    if (h.size() > domain.size() + 1 && h.ends_with(domain) && h[h.size() - domain.size() - 1] == '.')
      return h.substr(0, h.size() - domain.size() - 1);
  }
  return std::nullopt;
}

boost::asio::awaitable<void> Router::dispatch(Context& ctx) {
  http::Exchange& ex = ctx.ex;
  auto query = sigv4::parse_query(ex.query());
  auto path = uri_decode(ex.path());
  if (!query || !path || path->empty() || path->front() != '/') throw invalid_request("Malformed request target");
  ctx.query = std::move(*query);

  if (auto bucket = virtual_host_bucket(ex)) {
    // Virtual-host style: BUCKET.<base domain>/<key...>
    ctx.bucket = std::move(*bucket);
    ctx.key = path->substr(1);
  } else {
    // Path style: /<bucket>/<key...>
    std::string_view rest = std::string_view(*path).substr(1);
    auto slash = rest.find('/');
    ctx.bucket = std::string(rest.substr(0, slash));
    if (slash != std::string_view::npos) ctx.key = std::string(rest.substr(slash + 1));
  }
  if (ctx.key.size() > kMaxKeyBytes) throw key_too_long();
  if (!valid_utf8(ctx.key) || !valid_utf8(ctx.bucket)) throw invalid_argument("Object keys must be valid UTF-8");

  Operation operation = cors_preflight;  // preflights carry no credentials
  if (ex.method() != "OPTIONS") {
    ctx.auth = authenticate(ex, *path, ctx.query, pool_.tenants(), options_.auth);
    operation = select_operation(ctx);
  }
  co_await operation(ctx);
}

}  // namespace herd::s3
