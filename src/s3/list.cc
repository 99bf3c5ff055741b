// ListObjects (v1) and ListObjectsV2 over the listing engine in listing.h. The owner lists; so
// does anyone else when the bucket is listable by anyone (s3/access.h).
#include <charconv>

#include "s3/access.h"
#include "s3/error.h"
#include "s3/listing.h"
#include "s3/operations.h"
#include "s3/xml.h"
#include "util/base64.h"
#include "util/clock.h"
#include "util/uri.h"

namespace herd::s3 {

namespace {

int64_t parse_max_keys(const Context& ctx) {
  auto v = ctx.query_value("max-keys");
  if (!v) return 1000;
  int64_t n = 0;
  auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
  if (ec != std::errc() || p != v->data() + v->size() || n < 0)
    throw invalid_argument("max-keys must be a non-negative integer");
  return std::min<int64_t>(n, 1000);
}

}  // namespace

Op list_objects(Context& ctx) {
  Bucket bucket = ctx.existing_bucket();
  if (!ctx.owns(bucket) && !listable_by_anyone(bucket, ctx.options.public_reads)) throw access_denied();
  const bool v2 = ctx.query_value("list-type") == "2";
  std::string encoding = ctx.query_value("encoding-type").value_or("");
  if (!encoding.empty() && encoding != "url") throw invalid_argument("Invalid Encoding Method specified in Request");
  const bool url = encoding == "url";
  auto enc = [&](const std::string& s) { return url ? uri_encode(s, true) : s; };

  ListQuery q;
  q.prefix = ctx.query_value("prefix").value_or("");
  q.delimiter = ctx.query_value("delimiter").value_or("");
  q.max_keys = parse_max_keys(ctx);
  // An empty continuation-token= is no token (S3 echoes it back, empty).
  std::optional<std::string> token = ctx.query_value("continuation-token");
  if (v2) {
    if (token && !token->empty()) {
      auto decoded = base64_decode(*token);
      if (!decoded || decoded->empty()) throw invalid_argument("The continuation token provided is incorrect");
      q.after = *decoded;
    } else {
      q.after = ctx.query_value("start-after").value_or("");
    }
  } else {
    q.after = ctx.query_value("marker").value_or("");
  }

  MetaStore& meta = ctx.pool.meta();
  ListPage page = list_page(q, [&](const std::string& after, bool inclusive, const std::string& prefix, size_t n) {
    return meta.list_objects(bucket.id, after, inclusive, prefix, n);
  });

  XmlWriter x;
  x.open("ListBucketResult", true);
  x.leaf("Name", bucket.name);
  x.leaf("Prefix", enc(q.prefix));
  if (v2) {
    if (token) x.leaf("ContinuationToken", *token);
    if (auto sa = ctx.query_value("start-after")) x.leaf("StartAfter", enc(*sa));
    x.leaf("KeyCount", std::to_string(page.contents.size() + page.common_prefixes.size()));
    if (page.truncated) x.leaf("NextContinuationToken", base64_encode(page.last));
  } else {
    x.leaf("Marker", enc(q.after));
    if (page.truncated) x.leaf("NextMarker", enc(page.last));
  }
  if (!q.delimiter.empty()) x.leaf("Delimiter", enc(q.delimiter));
  x.leaf("MaxKeys", std::to_string(q.max_keys));
  if (url) x.leaf("EncodingType", "url");
  x.leaf("IsTruncated", page.truncated ? "true" : "false");
  const bool owner = !v2 || ctx.query_value("fetch-owner") == "true";
  // Every object in a bucket is its owner's.
  std::string owner_name;
  if (owner) {
    if (ctx.owns(bucket)) owner_name = ctx.tenant().name;
    else if (auto t = ctx.pool.meta().tenant_by_id(bucket.tenant_id)) owner_name = t->name;
  }
  for (const auto& o : page.contents) {
    x.open("Contents");
    x.leaf("Key", enc(o.key));
    x.leaf("LastModified", format_iso8601_ms(o.modified_ms));
    x.leaf("ETag", "\"" + o.etag + "\"");
    x.leaf("Size", std::to_string(o.size));
    if (owner) x.open("Owner").leaf("ID", owner_name).leaf("DisplayName", owner_name).close("Owner");
    x.leaf("StorageClass", "STANDARD");
    x.close("Contents");
  }
  for (const auto& cp : page.common_prefixes) x.open("CommonPrefixes").leaf("Prefix", enc(cp)).close("CommonPrefixes");
  x.close("ListBucketResult");
  http::Response response{200, s3_headers(ctx, true), x.str()};
  co_await ctx.ex.respond(response);
}

}  // namespace herd::s3
