#include "web/content_policy.h"

#include <array>
#include <string>

namespace herd::web {

namespace {

constexpr std::array<std::string_view, 27> kInlineTypes = {
    "image/jpeg", "image/png",  "image/gif",       "image/webp",      "image/avif",     "image/heic",
    "image/heif", "image/bmp",  "image/apng",      "image/jxl",       "image/x-icon",   "image/vnd.microsoft.icon",
    "video/mp4",  "video/webm", "video/quicktime", "video/ogg",       "video/mpeg",     "video/x-m4v",
    "audio/mpeg", "audio/ogg",  "audio/wav",       "audio/x-wav",     "audio/webm",     "audio/mp4",
    "audio/aac",  "audio/flac", "audio/opus"};

std::string media_type(std::string_view content_type) {
  std::string_view t = content_type.substr(0, content_type.find(';'));
  while (!t.empty() && t.back() == ' ') t.remove_suffix(1);
  while (!t.empty() && t.front() == ' ') t.remove_prefix(1);
  std::string out(t);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// The filename parameter of a Content-Disposition value, if any (as sent, quoted or not).
std::string filename_parameter(std::string_view disposition) {
  auto pos = disposition.find("filename");
  if (pos == std::string_view::npos) return {};
  return std::string(disposition.substr(pos));
}

}  // namespace

bool safe_inline_type(std::string_view content_type) {
  std::string t = media_type(content_type);
  for (auto allowed : kInlineTypes)
    if (t == allowed) return true;
  return false;
}

void apply_content_policy(http::Headers& h) {
  h.emplace_back("X-Content-Type-Options", "nosniff");
  std::string type, disposition;
  for (const auto& [k, v] : h) {
    if (k == "Content-Type") type = v;
    if (k == "Content-Disposition") disposition = v;
  }
  if (safe_inline_type(type)) return;
  std::erase_if(h, [](const auto& kv) { return kv.first == "Content-Disposition"; });
  std::string filename = filename_parameter(disposition);
  h.emplace_back("Content-Disposition", filename.empty() ? "attachment" : "attachment; " + filename);
  h.emplace_back("Content-Security-Policy", "sandbox; default-src 'none'");
}

}  // namespace herd::web
