#pragma once
// Recognises URLs of this pool's own public endpoint (its listen address, its redirect base, the
// CDN names an operator lists), so that retrieving one needs no download: the bytes are here.
// Immutable after construction; thread-safe.
#include <optional>
#include <string>
#include <vector>

namespace herd::federation {

class OwnUrls {
 public:
  // `bases`: "http(s)://host[:port][/prefix]" under which the public endpoint answers. Throws
  // std::invalid_argument naming a malformed one.
  explicit OwnUrls(const std::vector<std::string>& bases);

  // What a URL of the public endpoint names: a blob (/blobs/<sha256>[.ext], or a hashlink
  // /.well-known/apgateway/hl:…) or an object (/<bucket>/<key>).
  struct Target {
    enum class Kind { kBlob, kObject } kind;
    std::string sha256;  // raw, for kBlob
    std::string bucket;  // for kObject
    std::string key;     // for kObject (decoded)
  };
  // nullopt when `url` is not under one of the bases, or names nothing there.
  std::optional<Target> resolve(const std::string& url) const;

 private:
  struct Base {
    std::string scheme, host, prefix;
    int port;
  };
  std::vector<Base> bases_;
};

}  // namespace herd::federation
