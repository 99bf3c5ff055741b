#pragma once
// What the public may be served inline. Media types the Fediverse uses are served as stored;
// anything else (HTML, SVG, XML, JavaScript, PDFs, unknown types) is forced to download inside a
// CSP sandbox, so no tenant can host a phishing page or script on the media domain.
#include <string_view>

#include "http/exchange.h"

namespace herd::web {

// True for image/video/audio types Fediverse software serves inline (never SVG).
bool safe_inline_type(std::string_view content_type);

// Adds X-Content-Type-Options: nosniff, and for unsafe types replaces Content-Disposition with
// attachment (keeping a filename) and adds Content-Security-Policy: sandbox; default-src 'none'.
void apply_content_policy(http::Headers& headers);

}  // namespace herd::web
