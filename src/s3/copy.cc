// CopyObject: a new object row referencing the source's blob. No bytes are copied. The source is
// one of the tenant's own objects or a public one of another tenant's, and must meet the
// x-amz-copy-source-if-* conditions.
#include "s3/access.h"
#include "s3/conditional.h"
#include "s3/error.h"
#include "s3/object_meta.h"
#include "s3/operations.h"
#include "s3/xml.h"
#include "util/clock.h"
#include "util/uri.h"

namespace herd::s3 {

namespace {

// x-amz-copy-source: "[/]bucket/key[?versionId=…]", URL-encoded.
std::pair<std::string, std::string> parse_copy_source(std::string_view raw) {
  auto q = raw.find('?');
  if (q != std::string_view::npos) raw = raw.substr(0, q);
  auto decoded = uri_decode(raw);
  if (!decoded) throw invalid_argument("Invalid copy source encoding");
  std::string_view s = *decoded;
  if (s.starts_with('/')) s.remove_prefix(1);
  auto slash = s.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 == s.size())
    throw invalid_argument("Copy Source must mention the source bucket and key: sourcebucket/sourcekey");
  return {std::string(s.substr(0, slash)), std::string(s.substr(slash + 1))};
}

}  // namespace

ObjectRecord copy_source_object(const Context& ctx) {
  auto [bucket_name, key] = parse_copy_source(ctx.ex.header("x-amz-copy-source").value_or(""));
  auto bucket = ctx.pool.meta().bucket_by_name(bucket_name);
  if (!bucket) throw no_such_bucket();
  auto source = ctx.pool.meta().get_object(bucket->id, key);
  // Another tenant's object is a source when anyone may read it (its own ACL is public).
  if (!ctx.owns(*bucket)) readable_by_anyone(*bucket, source, ctx.options.public_reads);
  if (!source) throw no_such_key();
  // A copy has no 304: any condition that fails is a 412.
  if (evaluate_conditions(copy_source_conditions_of(ctx.ex), source->etag, source->modified_ms / 1000) !=
      ConditionResult::kProceed)
    throw Error(412, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold");
  return *source;
}

Op copy_object(Context& ctx) {
  Bucket target = ctx.owned_bucket();
  ObjectRecord source = copy_source_object(ctx);

  const std::string directive(ctx.ex.header("x-amz-metadata-directive").value_or("COPY"));
  if (directive != "COPY" && directive != "REPLACE") throw invalid_argument("Unknown metadata directive.");
  if (directive == "COPY" && source.bucket_id == target.id && source.key == ctx.key)
    throw invalid_request(
        "This copy request is illegal because it is trying to copy an object to itself without changing the "
        "object's metadata, storage class, website redirect location or encryption attributes.");

  ObjectRecord copy = source;
  copy.bucket_id = target.id;
  copy.key = ctx.key;
  copy.modified_ms = now_ms();
  ObjectMeta requested = object_meta_from_request(ctx.ex);
  if (directive == "REPLACE") {
    requested.checksum_algorithm = source.meta.checksum_algorithm;
    requested.checksum = source.meta.checksum;
    copy.meta = std::move(requested);
  } else {
    copy.meta.acl = requested.acl;  // the ACL is never copied: it comes from this request
  }
  // The source holds a reference, so the bytes are live; if it vanished meanwhile (deleted and
  // collected), the copy fails cleanly.
  auto commit = [&] {
    try {
      return ctx.pool.copy(copy);
    } catch (const NoSuchBucketError&) {
      throw no_such_bucket();
    }
  };
  if (!co_await ctx.blocking.run(commit)) throw no_such_key();
  XmlWriter x;
  x.open("CopyObjectResult", true)
      .leaf("LastModified", format_iso8601_ms(copy.modified_ms))
      .leaf("ETag", "\"" + copy.etag + "\"")
      .close("CopyObjectResult");
  http::Response response{200, s3_headers(ctx, true), x.str()};
  co_await ctx.ex.respond(response);
}

}  // namespace herd::s3
