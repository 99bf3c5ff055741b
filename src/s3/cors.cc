#include "s3/cors.h"

#include "s3/error.h"

namespace herd::s3 {

void add_cors_headers(const http::Exchange& ex, http::Headers& h) {
  if (!ex.header("Origin")) return;
  h.emplace_back("Access-Control-Allow-Origin", "*");
  h.emplace_back("Access-Control-Expose-Headers",
                 "ETag, Content-Length, Content-Range, Content-Type, Last-Modified, x-amz-request-id, "
                 "x-amz-version-id, x-amz-checksum-crc32, x-amz-checksum-crc32c, x-amz-checksum-crc64nvme, "
                 "x-amz-checksum-sha1, x-amz-checksum-sha256, x-amz-mp-parts-count");
}

Op cors_preflight(Context& ctx) {
  auto method = ctx.ex.header("Access-Control-Request-Method");
  if (!ctx.ex.header("Origin") || !method)
    throw Error(403, "AccessForbidden", "CORSResponse: This CORS request is not allowed.");
  if (*method != "GET" && *method != "HEAD" && *method != "PUT" && *method != "POST" && *method != "DELETE")
    throw Error(403, "AccessForbidden", "CORSResponse: This CORS request is not allowed.");
  auto h = s3_headers(ctx, false);
  h.emplace_back("Access-Control-Allow-Methods", "GET, HEAD, PUT, POST, DELETE");
  if (auto requested = ctx.ex.header("Access-Control-Request-Headers"))
    h.emplace_back("Access-Control-Allow-Headers", std::string(*requested));
  h.emplace_back("Access-Control-Max-Age", "3600");
  h.emplace_back("Vary", "Origin, Access-Control-Request-Headers, Access-Control-Request-Method");
  http::Response response{200, std::move(h), ""};
  co_await ctx.ex.respond(response);
}

}  // namespace herd::s3
