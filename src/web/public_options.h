#pragma once
// Settings of anonymous public serving ([public] in the config file).
#include <string>
#include <vector>

namespace herd::web {

// A host (optionally with a path prefix) that maps onto one bucket, e.g. Mastodon's
// S3_ALIAS_HOST=media.example.org/alice → host "media.example.org", prefix "/alice".
struct AliasHost {
  std::string host;    // lower-case, without port
  std::string prefix;  // "" or "/segment[/…]" without a trailing slash
  std::string bucket;
  bool operator==(const AliasHost&) const = default;
};

struct PublicOptions {
  std::string listen;              // HOST:PORT of the public endpoint; empty: S3 endpoint only
  std::vector<AliasHost> aliases;  // checked before path-style /<bucket>/<key>
  // How object URLs answer: "serve" the bytes, or "redirect" to the content-addressed blob URL
  // (under redirect_base when set, e.g. a CDN: https://cdn.example.org → …/blobs/<sha256>).
  std::string object_urls = "serve";
  std::string redirect_base;
  unsigned redirect_status = 302;
  // Whether a bucket ACL of public-read (or public-read-write) lets anyone list the bucket on the
  // S3 endpoint, as in S3. Off: only the owner lists, whatever the bucket ACL. Object reads follow
  // the object's own ACL either way.
  bool allow_bucket_listing = true;
  bool operator==(const PublicOptions&) const = default;
};

}  // namespace herd::web
