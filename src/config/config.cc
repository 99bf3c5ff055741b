#include "config/config.h"

#include <charconv>
#include <cstdlib>
#include <set>
#include <stdexcept>
#include <toml++/toml.h>

namespace herd {

namespace {

using Keys = std::set<std::string>;

void reject_unknown(const toml::table& t, const std::string& where, const Keys& known) {
  for (const auto& [k, v] : t)
    if (!known.count(std::string(k.str())))
      throw std::runtime_error("unknown setting '" + std::string(k.str()) + "' in " + where);
}

template <typename T>
void read(const toml::table& t, const std::string& section, const char* key, T& out) {
  const toml::node* n = t.get(key);
  if (!n) return;
  auto v = n->value<T>();
  if (!v) throw std::runtime_error("[" + section + "] " + key + " has the wrong type");
  out = *v;
}

void positive(int64_t v, const char* what, int64_t min) {
  if (v < min) throw std::runtime_error(std::string(what) + " must be at least " + std::to_string(min));
}

std::string lower(std::string s) {
  for (char& ch : s) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return s;
}

void read_public(const toml::table& t, web::PublicOptions& p) {
  reject_unknown(t, "[public]",
                 {"listen", "object_urls", "redirect_base", "redirect_status", "allow_bucket_listing", "alias"});
  read(t, "public", "listen", p.listen);
  read(t, "public", "allow_bucket_listing", p.allow_bucket_listing);
  read(t, "public", "object_urls", p.object_urls);
  if (p.object_urls != "serve" && p.object_urls != "redirect")
    throw std::runtime_error("[public] object_urls must be \"serve\" or \"redirect\"");
  read(t, "public", "redirect_base", p.redirect_base);
  while (!p.redirect_base.empty() && p.redirect_base.back() == '/') p.redirect_base.pop_back();
  int64_t status = p.redirect_status;
  read(t, "public", "redirect_status", status);
  if (status != 301 && status != 302 && status != 307 && status != 308)
    throw std::runtime_error("[public] redirect_status must be 301, 302, 307 or 308");
  p.redirect_status = static_cast<unsigned>(status);
  const toml::node* aliases = t.get("alias");
  if (!aliases) return;
  if (!aliases->as_array()) throw std::runtime_error("[[public.alias]] must be an array of tables");
  for (const auto& node : *aliases->as_array()) {
    const toml::table* a = node.as_table();
    if (!a) throw std::runtime_error("[[public.alias]] must be an array of tables");
    reject_unknown(*a, "[[public.alias]]", {"host", "bucket"});
    std::string host, bucket;
    read(*a, "public.alias", "host", host);
    read(*a, "public.alias", "bucket", bucket);
    if (host.empty() || bucket.empty()) throw std::runtime_error("[[public.alias]] needs host and bucket");
    // "media.example.org/alice": the path part is a prefix in front of every key.
    web::AliasHost alias;
    auto slash = host.find('/');
    alias.host = lower(host.substr(0, slash));
    if (slash != std::string::npos) {
      alias.prefix = host.substr(slash);
      while (!alias.prefix.empty() && alias.prefix.back() == '/') alias.prefix.pop_back();
    }
    alias.bucket = bucket;
    p.aliases.push_back(std::move(alias));
  }
}

// An array of strings (each non-empty) at t[key], if present.
void read_strings(const toml::table& t, const std::string& where, const char* key, std::vector<std::string>& out) {
  const toml::node* n = t.get(key);
  if (!n) return;
  const toml::array* a = n->as_array();
  const std::string what = where + " " + key + " must be an array of non-empty strings";
  if (!a) throw std::runtime_error(what);
  out.clear();
  for (const auto& item : *a) {
    auto v = item.value<std::string>();
    if (!v || v->empty()) throw std::runtime_error(what);
    out.push_back(*v);
  }
}

void read_fetch(const toml::table& t, federation::FetchOptions& f) {
  reject_unknown(t, "[fetch]", {"allowed_ports", "allow_private", "max_object_size", "connect_timeout_seconds",
                                "timeout_seconds", "max_header_bytes", "max_redirects", "url_cache_seconds",
                                "user_agent"});
  if (const toml::node* n = t.get("allowed_ports")) {
    const toml::array* a = n->as_array();
    if (!a) throw std::runtime_error("[fetch] allowed_ports must be an array of port numbers");
    f.allowed_ports.clear();
    for (const auto& item : *a) {
      auto v = item.value<int64_t>();
      if (!v || *v < 1 || *v > 65535) throw std::runtime_error("[fetch] allowed_ports must be an array of port numbers");
      f.allowed_ports.push_back(static_cast<int>(*v));
    }
  }
  read_strings(t, "[fetch]", "allow_private", f.allow_private);
  read(t, "fetch", "max_object_size", f.max_object_size);
  positive(f.max_object_size, "[fetch] max_object_size", 1);
  int64_t connect = f.connect_timeout_seconds, total = f.timeout_seconds, redirects = f.max_redirects;
  read(t, "fetch", "connect_timeout_seconds", connect);
  read(t, "fetch", "timeout_seconds", total);
  read(t, "fetch", "max_redirects", redirects);
  positive(connect, "[fetch] connect_timeout_seconds", 1);
  positive(total, "[fetch] timeout_seconds", 1);
  positive(redirects, "[fetch] max_redirects", 0);
  if (connect > 3600 || total > 86400 || redirects > 20)
    throw std::runtime_error("[fetch] timeouts or max_redirects out of range");
  f.connect_timeout_seconds = static_cast<int>(connect);
  f.timeout_seconds = static_cast<int>(total);
  f.max_redirects = static_cast<int>(redirects);
  read(t, "fetch", "max_header_bytes", f.max_header_bytes);
  positive(f.max_header_bytes, "[fetch] max_header_bytes", 1024);
  read(t, "fetch", "url_cache_seconds", f.url_cache_seconds);
  positive(f.url_cache_seconds, "[fetch] url_cache_seconds", 0);
  read(t, "fetch", "user_agent", f.user_agent);
}

void read_blobs(const toml::table& t, BlobOptions& b) {
  reject_unknown(t, "[blobs]", {"backend", "endpoint", "bucket", "region", "access_key", "secret_key", "cache_dir",
                                "cache_bytes", "multipart_threshold", "part_size", "timeout_seconds"});
  read(t, "blobs", "backend", b.backend);
  read(t, "blobs", "endpoint", b.endpoint);
  while (!b.endpoint.empty() && b.endpoint.back() == '/') b.endpoint.pop_back();
  read(t, "blobs", "bucket", b.bucket);
  read(t, "blobs", "region", b.region);
  read(t, "blobs", "access_key", b.access_key);
  read(t, "blobs", "secret_key", b.secret_key);
  read(t, "blobs", "cache_dir", b.cache_dir);
  read(t, "blobs", "cache_bytes", b.cache_bytes);
  positive(b.cache_bytes, "[blobs] cache_bytes", 0);
  read(t, "blobs", "multipart_threshold", b.multipart_threshold);
  read(t, "blobs", "part_size", b.part_size);
  positive(b.part_size, "[blobs] part_size", int64_t{5} << 20);  // S3's smallest part
  positive(b.multipart_threshold, "[blobs] multipart_threshold", b.part_size);
  read(t, "blobs", "timeout_seconds", b.timeout_seconds);
  positive(b.timeout_seconds, "[blobs] timeout_seconds", 1);
}

void override_from_environment(Config& c) {
  auto env = [](const char* name, std::string& out) {
    if (const char* v = std::getenv(name); v && *v) out = v;
  };
  env("HERD_META_URL", c.meta.url);
  env("HERD_BLOBS_ACCESS_KEY", c.blobs.access_key);
  env("HERD_BLOBS_SECRET_KEY", c.blobs.secret_key);
}

void check_backends(const Config& c) {
  if (c.meta.backend != "sqlite" && c.meta.backend != "postgres")
    throw std::runtime_error("[meta] backend must be \"sqlite\" or \"postgres\"");
  if (c.meta.backend == "postgres" && c.meta.url.empty())
    throw std::runtime_error("[meta] backend \"postgres\" needs [meta] url (or $HERD_META_URL)");
  const BlobOptions& b = c.blobs;
  if (b.backend != "disk" && b.backend != "s3") throw std::runtime_error("[blobs] backend must be \"disk\" or \"s3\"");
  if (b.backend != "s3") return;
  if (b.endpoint.rfind("http://", 0) != 0 && b.endpoint.rfind("https://", 0) != 0)
    throw std::runtime_error("[blobs] backend \"s3\" needs [blobs] endpoint = \"http(s)://host:port\"");
  if (b.bucket.empty()) throw std::runtime_error("[blobs] backend \"s3\" needs [blobs] bucket");
  if (b.access_key.empty() || b.secret_key.empty())
    throw std::runtime_error("[blobs] backend \"s3\" needs access_key and secret_key (or $HERD_BLOBS_ACCESS_KEY, "
                             "$HERD_BLOBS_SECRET_KEY)");
}

}  // namespace

std::pair<std::string, uint16_t> parse_listen(const std::string& listen) {
  auto colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0) throw std::runtime_error("listen address must be HOST:PORT: " + listen);
  std::string host = listen.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  std::string port_s = listen.substr(colon + 1);
  unsigned port = 0;
  auto [p, ec] = std::from_chars(port_s.data(), port_s.data() + port_s.size(), port);
  if (ec != std::errc() || p != port_s.data() + port_s.size() || port > 65535)
    throw std::runtime_error("bad port in listen address: " + listen);
  return {host, static_cast<uint16_t>(port)};
}

namespace {

void read_file(const std::string& file, Config& c) {
  toml::table root;
  try {
    root = toml::parse_file(file);
  } catch (const toml::parse_error& e) {
    throw std::runtime_error("cannot read config " + file + ": " + std::string(e.description()));
  }
  reject_unknown(root, file, {"server", "storage", "meta", "blobs", "gc", "multipart", "public", "fetch", "federation"});
  if (auto* s = root["server"].as_table()) {
    reject_unknown(*s, "[server]", {"listen", "threads", "blocking_threads", "log_level", "region", "base_domains",
                              "max_connections"});
    read(*s, "server", "max_connections", c.max_connections);
    positive(c.max_connections, "[server] max_connections", 1);
    read(*s, "server", "listen", c.listen);
    int64_t threads = c.threads;
    read(*s, "server", "threads", threads);
    positive(threads, "[server] threads", 0);
    c.threads = static_cast<int>(threads);
    int64_t blocking = c.blocking_threads;
    read(*s, "server", "blocking_threads", blocking);
    positive(blocking, "[server] blocking_threads", 1);
    c.blocking_threads = static_cast<int>(blocking);
    read(*s, "server", "log_level", c.log_level);
    read(*s, "server", "region", c.s3.region);
    if (const toml::node* n = s->get("base_domains")) {
      const toml::array* domains = n->as_array();
      if (!domains) throw std::runtime_error("[server] base_domains must be an array of host names");
      for (const auto& d : *domains) {
        auto v = d.value<std::string>();
        if (!v || v->empty()) throw std::runtime_error("[server] base_domains must be an array of host names");
        std::string lower = *v;
        for (char& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        c.s3.base_domains.push_back(lower);
      }
    }
  }
  if (auto* s = root["storage"].as_table()) {
    reject_unknown(*s, "[storage]", {"data_dir", "max_object_size", "max_concurrent_uploads", "pack_threshold"});
    read(*s, "storage", "data_dir", c.data_dir);
    read(*s, "storage", "max_object_size", c.s3.max_object_size);
    positive(c.s3.max_object_size, "[storage] max_object_size", 0);
    int64_t uploads = static_cast<int64_t>(c.s3.max_concurrent_uploads);
    read(*s, "storage", "max_concurrent_uploads", uploads);
    positive(uploads, "[storage] max_concurrent_uploads", 1);
    c.s3.max_concurrent_uploads = static_cast<size_t>(uploads);
    read(*s, "storage", "pack_threshold", c.pack_threshold);
    positive(c.pack_threshold, "[storage] pack_threshold", 0);
    if (c.pack_threshold > 16 * 1024 * 1024)
      throw std::runtime_error("[storage] pack_threshold must be at most 16777216 (16 MiB): packed bodies are held in memory");
  }
  if (auto* s = root["meta"].as_table()) {
    reject_unknown(*s, "[meta]", {"backend", "url", "connections"});
    read(*s, "meta", "backend", c.meta.backend);
    read(*s, "meta", "url", c.meta.url);
    read(*s, "meta", "connections", c.meta.connections);
    positive(c.meta.connections, "[meta] connections", 1);
  }
  if (auto* s = root["blobs"].as_table()) read_blobs(*s, c.blobs);
  if (auto* s = root["fetch"].as_table()) read_fetch(*s, c.fetch);
  if (auto* s = root["federation"].as_table()) {
    reject_unknown(*s, "[federation]", {"public_urls", "peer"});
    read_strings(*s, "[federation]", "public_urls", c.federation_public_urls);
    if (const toml::node* peers = s->get("peer")) {
      if (!peers->as_array()) throw std::runtime_error("[[federation.peer]] must be an array of tables");
      for (const auto& node : *peers->as_array()) {
        const toml::table* p = node.as_table();
        if (!p) throw std::runtime_error("[[federation.peer]] must be an array of tables");
        reject_unknown(*p, "[[federation.peer]]", {"url"});
        std::string url;
        read(*p, "federation.peer", "url", url);
        if (!url.starts_with("http://") && !url.starts_with("https://"))
          throw std::runtime_error("[[federation.peer]] url must be an http(s) base URL");
        c.federation_peers.push_back(url);
      }
    }
  }
  if (auto* s = root["gc"].as_table()) {
    reject_unknown(*s, "[gc]", {"grace_seconds", "interval_seconds", "claim_lease_seconds"});
    read(*s, "gc", "claim_lease_seconds", c.gc_claim_lease_seconds);
    positive(c.gc_claim_lease_seconds, "[gc] claim_lease_seconds", 1);
    read(*s, "gc", "grace_seconds", c.gc_grace_seconds);
    read(*s, "gc", "interval_seconds", c.gc_interval_seconds);
    positive(c.gc_grace_seconds, "[gc] grace_seconds", 0);
    positive(c.gc_interval_seconds, "[gc] interval_seconds", 1);
  }
  if (auto* s = root["multipart"].as_table()) {
    reject_unknown(*s, "[multipart]", {"abandon_after_seconds", "completed_retention_seconds"});
    read(*s, "multipart", "abandon_after_seconds", c.multipart_max_age_seconds);
    positive(c.multipart_max_age_seconds, "[multipart] abandon_after_seconds", 1);
    read(*s, "multipart", "completed_retention_seconds", c.multipart_completed_retention_seconds);
    positive(c.multipart_completed_retention_seconds, "[multipart] completed_retention_seconds", 0);
  }
  if (auto* s = root["public"].as_table()) read_public(*s, c.s3.public_reads);
  parse_listen(c.listen);  // validate early
  if (!c.s3.public_reads.listen.empty()) parse_listen(c.s3.public_reads.listen);
}

}  // namespace

Config load_config(const std::optional<std::string>& path) {
  Config c;
  if (path) read_file(*path, c);
  override_from_environment(c);
  check_backends(c);
  return c;
}

}  // namespace herd
