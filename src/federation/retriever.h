#pragma once
// Upload by URL (POST /_herd/v1/retrieve): makes (bucket, key) an object holding the bytes at a
// URL, fetching them at most once per pool where it can. In order:
//   1. a URL of this pool's own public endpoint resolves to its blob:       "found",  source "pool"
//   2. a URL fetched within [fetch] url_cache_seconds, whose blob is here:   "cached", source "pool"
//   3. a URL another retrieve is downloading right now: waits for it, then  "cached", source "pool"
//   4. when the digest is known before downloading (a hashlink URL "…/.well-known/apgateway/hl:…"
//      or "hl:…", or a Repr-Digest/Digest header on the origin's answer to HEAD): bytes the pool
//      holds that the bucket's tenant may read anyway (public, or its own) are "found", source
//      "pool" (a digest alone never reveals another tenant's private bytes); otherwise the peers are asked by hash (verified),
//      "added", source "peer"; then the origin (5). A retrieve of a digest another one is
//      fetching waits for it: "found" (when the tenant may read what that one stored; else it
//      fetches the bytes itself)
//   5. otherwise it is downloaded (SSRF rules, caps: Fetcher) and hashed;   "added" (new bytes) or
//      "present" (the pool had them), source "origin".
// Results and sources are Jortage Rivet's. Thread-safe; retrieve() blocks (network, commit), so
// callers run it on a blocking pool.
#include <cstdint>
#include <optional>
#include <string>

#include "federation/fetcher.h"
#include "federation/own_urls.h"
#include "federation/peers.h"
#include "federation/single_flight.h"
#include "federation/url_cache.h"
#include "pool/pool.h"

namespace herd::federation {

struct RetrieveRequest {
  std::string url;
  std::string acl = "private";  // a canned ACL (checked by the caller)
  std::string content_type;     // "" = what the origin (or the pool's public object) says
};

struct RetrieveResult {
  std::string result;  // "added" | "present" | "found" | "cached"
  std::string source;  // "origin" | "peer" | "pool"
  std::string sha256;  // raw
  int64_t size = 0;
  std::string etag;  // without quotes
};

class Retriever {
 public:
  Retriever(Pool& pool, Fetcher& fetcher, OwnUrls own_urls, const Peers& peers);

  // Commits (bucket, key) from `request`. Throws FetchError (the download failed or was
  // refused), Upload::TooLarge, NoSuchBucketError, Unavailable.
  RetrieveResult retrieve(const Bucket& bucket, const std::string& key, const RetrieveRequest& request);

 private:
  // What a finished download of a URL yielded, shared with the retrieves that waited for it.
  struct Downloaded {
    std::string sha256;
    std::string content_type;
    // False when the pool's own bytes answered a digest the URL only claimed ("found"): another
    // tenant may then use them only if it could read them anyway (Pool::blob_usable_by).
    bool from_network = true;
  };

  // Commits the object as another reference to a blob the pool holds; nullopt when it has no
  // live reference or no recorded MD5 (then its bytes must come again).
  std::optional<RetrieveResult> reference(const Bucket& bucket, const std::string& key, const std::string& sha256,
                                          std::string content_type, const std::string& acl, const char* result);
  // Step 1: the blob an own URL names, if a public object references it.
  std::optional<std::string> own_blob(const std::string& url, std::string& content_type);
  // Steps 4 and 5: fetches `url`'s bytes (by digest, or from the origin) into (bucket, key).
  RetrieveResult download(const Bucket& bucket, const std::string& key, const RetrieveRequest& request,
                          Downloaded& downloaded);
  // Step 5: downloads `url` from its origin into (bucket, key); `length` is what a HEAD declared.
  RetrieveResult from_origin(const Bucket& bucket, const std::string& key, const RetrieveRequest& request,
                             std::optional<int64_t> length, Downloaded& downloaded);

  Pool& pool_;
  Fetcher& fetcher_;
  const OwnUrls own_urls_;
  const Peers& peers_;
  UrlCache url_cache_;
  SingleFlight<Downloaded> by_url_;  // downloads of a URL in progress
  SingleFlight<std::string> by_digest_;  // fetches of a known digest in progress (-> the blob stored)
};

}  // namespace herd::federation
