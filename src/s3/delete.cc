// DeleteObject (204 whether or not the key existed) and DeleteObjects (batch, quiet mode).
#include "s3/error.h"
#include "s3/names.h"
#include "s3/operations.h"
#include "s3/xml.h"

namespace herd::s3 {

namespace {

constexpr size_t kMaxDeleteKeys = 1000;
constexpr size_t kMaxDeleteBody = 2 * 1024 * 1024;

}  // namespace

Op delete_object(Context& ctx) {
  Bucket b = ctx.owned_bucket();
  auto remove = [&] { ctx.pool.remove(b.id, ctx.key); };
  co_await ctx.blocking.run(remove);
  http::Response response{204, s3_headers(ctx, false), ""};
  co_await ctx.ex.respond(response);
}

Op delete_objects(Context& ctx) {
  Bucket b = ctx.owned_bucket();
  std::string body = co_await ctx.read_small_body(kMaxDeleteBody);
  pugi::xml_document doc = parse_xml(body);
  auto root = doc.child("Delete");
  if (!root) throw malformed_xml();
  if (!root.child("Object")) throw malformed_xml();  // S3: at least one Object
  const std::string quiet = root.child_value("Quiet");
  std::vector<std::string> keys;
  XmlWriter x;
  x.open("DeleteResult", true);
  for (auto object : root.children("Object")) {
    if (keys.size() == kMaxDeleteKeys) throw malformed_xml();
    std::string key = object.child_value("Key");
    if (key.empty() || key.size() > kMaxKeyBytes || !valid_utf8(key)) {
      x.open("Error").leaf("Key", key).leaf("Code", "InvalidArgument").leaf("Message", "Invalid key").close("Error");
      continue;
    }
    keys.push_back(std::move(key));
  }
  // Unknown keys count as deleted, as in S3.
  auto remove = [&] { ctx.pool.remove_many(b.id, keys); };
  co_await ctx.blocking.run(remove);
  if (quiet != "true")
    for (const auto& key : keys) x.open("Deleted").leaf("Key", key).close("Deleted");
  x.close("DeleteResult");
  http::Response response{200, s3_headers(ctx, true), x.str()};
  co_await ctx.ex.respond(response);
}

}  // namespace herd::s3
