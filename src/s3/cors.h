#pragma once
// CORS on the S3 endpoint, so browsers can upload directly (e.g. presigned PUTs): preflight
// answers and the headers every response carries when the request came with an Origin.
// Any origin is allowed: requests are still authenticated by their signatures.
#include "http/exchange.h"
#include "s3/operations.h"

namespace herd::s3 {

// Adds Access-Control-Allow-Origin / Expose-Headers when the request has an Origin header.
void add_cors_headers(const http::Exchange& ex, http::Headers& headers);

// OPTIONS preflight: 200 with the allowed methods and the requested headers, or 403 when the
// request is not a CORS preflight.
Op cors_preflight(Context& ctx);

}  // namespace herd::s3
