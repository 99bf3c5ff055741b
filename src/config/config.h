#pragma once
// Herd's configuration: a TOML file with documented defaults (herd.example.toml), overridden
// by command-line flags.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "blob/blob_options.h"
#include "federation/fetch_options.h"
#include "meta/meta_options.h"
#include "s3/context.h"

namespace herd {

struct Config {
  std::string data_dir = "herd-data";    // [storage] data_dir
  MetaOptions meta;                       // [meta]
  BlobOptions blobs;                      // [blobs]
  std::string listen = "127.0.0.1:9000";  // [server] listen, HOST:PORT ([v6]:PORT for IPv6)
  int threads = 0;                        // [server] threads (I/O); 0 = one per CPU core
  int blocking_threads = 32;              // [server] blocking_threads: fsyncs and metadata commits
  int64_t max_connections = 4096;         // [server] max_connections: more are closed at once
  std::string log_level = "info";         // [server] log_level: trace, debug, info, warn, error
  s3::S3Options s3;                       // [server] region, [storage] max_object_size
  int64_t pack_threshold = 256 * 1024;    // [storage] pack_threshold: PUT bodies up to this are packed; 0 = never
  int64_t gc_grace_seconds = 3600;        // [gc] grace_seconds: unreferenced this long before removal
  int64_t gc_interval_seconds = 600;      // [gc] interval_seconds: background GC period while serving
  // [gc] claim_lease_seconds: with metadata shared by nodes, a GC claim another pass may take over
  // after this long (longer than any blob deletion may take)
  int64_t gc_claim_lease_seconds = 600;
  int64_t multipart_max_age_seconds = 86400;  // [multipart] abandon_after_seconds: unfinished uploads older are aborted
  // [multipart] completed_retention_seconds: a retried Complete answers as the first one did for this long
  int64_t multipart_completed_retention_seconds = 86400;
  federation::FetchOptions fetch;  // [fetch]
  // [federation] public_urls: other base URLs of the public endpoint (a CDN's), besides its
  // listen address and redirect base
  std::vector<std::string> federation_public_urls;
  // [[federation.peer]] url: other media servers' public base URLs, asked for blobs by hash
  std::vector<std::string> federation_peers;
  bool operator==(const Config&) const = default;
};

// Reads `path` (when given) over the defaults, then the secrets the environment overrides
// ($HERD_META_URL, $HERD_BLOBS_ACCESS_KEY, $HERD_BLOBS_SECRET_KEY). Throws std::runtime_error with
// a clear message on a parse error, an unknown key, a value of the wrong type or range, or a
// backend missing what it needs.
Config load_config(const std::optional<std::string>& path);

// Splits "HOST:PORT" / "[v6]:PORT". Throws std::runtime_error when malformed.
std::pair<std::string, uint16_t> parse_listen(const std::string& listen);

}  // namespace herd
