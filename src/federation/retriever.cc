#include "federation/retriever.h"

#include <spdlog/spdlog.h>

#include "federation/content_digest.h"
#include "s3/acl.h"
#include "util/clock.h"
#include "util/hex.h"

namespace herd::federation {

namespace {

constexpr size_t kUrlCacheEntries = 100000;

// The digest a hashlink URL names ("hl:…", or an http(s) URL whose path holds
// /.well-known/apgateway/hl:…).
std::optional<std::string> hashlink_digest(const std::string& url) {
  std::string_view link;
  if (url.starts_with("hl:")) {
    link = url;
  } else if (auto at = url.find("/.well-known/apgateway/hl:"); at != std::string::npos) {
    link = std::string_view(url).substr(at + 23);
    link = link.substr(0, link.find_first_of("?#"));
  } else {
    return std::nullopt;
  }
  auto parsed = parse_hashlink(link);
  if (parsed.status != HashlinkParse::Status::kSha256) return std::nullopt;
  return parsed.sha256;
}

// The SHA-256 an origin's response headers declare (Repr-Digest, Content-Digest, Digest).
std::optional<std::string> declared_digest(const FetchResult& head) {
  for (const auto& [name, value] : head.headers)
    if (name == "repr-digest" || name == "content-digest" || name == "digest")
      if (auto sha = sha256_from_digest_header(value)) return sha;
  return std::nullopt;
}

// The origin's Content-Type as an object's, if it is a plausible one (printable, short).
std::string usable_content_type(const std::string& type) {
  if (type.empty() || type.size() > 255 || type.find('/') == std::string::npos) return "application/octet-stream";
  for (unsigned char c : type)
    if (c < 0x20 || c >= 0x7f) return "application/octet-stream";
  return type;
}

}  // namespace

Retriever::Retriever(Pool& pool, Fetcher& fetcher, OwnUrls own_urls, const Peers& peers)
    : pool_(pool),
      fetcher_(fetcher),
      own_urls_(std::move(own_urls)),
      peers_(peers),
      url_cache_(std::chrono::seconds(fetcher.options().url_cache_seconds), kUrlCacheEntries) {}

std::optional<RetrieveResult> Retriever::reference(const Bucket& bucket, const std::string& key,
                                                   const std::string& sha256, std::string content_type,
                                                   const std::string& acl, const char* result) {
  auto blob = pool_.meta().get_blob(sha256);
  if (!blob || blob->state != BlobState::kLive || blob->refcount == 0 || blob->md5.empty()) return std::nullopt;
  ObjectRecord o;
  o.bucket_id = bucket.id;
  o.key = key;
  o.sha256 = sha256;
  o.size = blob->size;
  o.etag = to_hex(blob->md5);
  o.modified_ms = now_ms();
  o.meta.content_type = std::move(content_type);
  o.meta.acl = acl;
  if (!pool_.copy(o)) return std::nullopt;
  return RetrieveResult{result, "pool", sha256, o.size, o.etag};
}

std::optional<std::string> Retriever::own_blob(const std::string& url, std::string& content_type) {
  auto target = own_urls_.resolve(url);
  if (!target) return std::nullopt;
  std::optional<ObjectRecord> object;
  if (target->kind == OwnUrls::Target::Kind::kBlob) {
    object = pool_.meta().public_object_for_blob(target->sha256);
  } else if (auto b = pool_.meta().bucket_by_name(target->bucket)) {
    object = pool_.meta().get_object(b->id, target->key);
    if (object && !s3::acl_is_public_read(object->meta.acl)) object.reset();
  }
  if (!object) return std::nullopt;  // not public here: fetched like any other URL (and refused if private)
  content_type = object->meta.content_type;
  return object->sha256;
}

RetrieveResult Retriever::retrieve(const Bucket& bucket, const std::string& key, const RetrieveRequest& request) {
  std::string origin_type;
  auto type_or = [&](const std::string& fallback) {
    return request.content_type.empty() ? usable_content_type(fallback) : request.content_type;
  };
  if (auto sha = own_blob(request.url, origin_type))
    if (auto r = reference(bucket, key, *sha, type_or(origin_type), request.acl, "found")) return *r;
  if (auto hit = url_cache_.find(request.url)) {
    if (auto r = reference(bucket, key, hit->sha256, type_or(hit->content_type), request.acl, "cached")) return *r;
    url_cache_.forget(request.url);
  }

  // One download per URL at a time: later retrieves wait for it and reference what it stored.
  RetrieveResult result;
  auto [downloaded, ran] = by_url_.run(request.url, [&] {
    Downloaded d;
    result = download(bucket, key, request, d);
    return d;
  });
  if (ran) return result;
  const bool may_use = downloaded.from_network || pool_.blob_usable_by(bucket.tenant_id, downloaded.sha256);
  if (may_use)
    if (auto r = reference(bucket, key, downloaded.sha256, type_or(downloaded.content_type), request.acl, "cached"))
      return *r;
  Downloaded ignored;  // gone again already (overwritten and collected): fetch it ourselves
  return download(bucket, key, request, ignored);
}

RetrieveResult Retriever::download(const Bucket& bucket, const std::string& key, const RetrieveRequest& request,
                                   Downloaded& downloaded) {
  // 4. By digest, when it is known before any bytes are fetched.
  std::optional<std::string> digest = hashlink_digest(request.url);
  std::string head_type;
  std::optional<int64_t> length;  // as the HEAD declared it
  if (!digest) {
    try {
      FetchResult head = fetcher_.head(request.url);
      digest = declared_digest(head);
      head_type = head.content_type;
      length = head.content_length;
    } catch (const FetchError& e) {
      // The GET would be refused the same way (or wait as long: one timeout is enough); any other
      // failure of a HEAD (servers that refuse HEAD) is the GET's to decide.
      if (e.kind == FetchError::Kind::kRefused || e.kind == FetchError::Kind::kBadUrl ||
          e.kind == FetchError::Kind::kTimeout)
        throw;
    }
  }
  if (!digest) return from_origin(bucket, key, request, length, downloaded);

  const std::string type = request.content_type.empty() ? usable_content_type(head_type) : request.content_type;
  // A digest is only a claim (anyone can write one into a URL or a header): the pool's bytes
  // answer it only when the tenant could read them anyway (public, or its own), and the answer
  // is not cached for others (the URL never served these bytes).
  if (pool_.blob_usable_by(bucket.tenant_id, *digest)) {
    if (auto r = reference(bucket, key, *digest, type, request.acl, "found")) {
      downloaded = Downloaded{*digest, usable_content_type(head_type), false};
      return *r;
    }
  }
  downloaded = Downloaded{*digest, usable_content_type(head_type)};
  // One fetch per digest at a time (from a peer, else the origin); those who waited for it
  // reference what it stored.
  std::optional<RetrieveResult> fetched;
  auto [stored_sha, ran] = by_digest_.run(to_hex(*digest), [&]() -> std::string {
    if (auto got = peers_.fetch(pool_, *digest)) {
      ObjectMeta meta;
      meta.content_type = type;
      meta.acl = request.acl;
      ObjectRecord stored = pool_.put(*got->upload, bucket.id, key, meta);
      spdlog::info("retrieve {} -> {} from peer {} ({} bytes)", request.url, to_hex(stored.sha256), got->peer,
                   stored.size);
      fetched = RetrieveResult{"added", "peer", stored.sha256, stored.size, stored.etag};
      url_cache_.put(request.url, {stored.sha256, downloaded.content_type});
      return stored.sha256;
    }
    if (request.url.starts_with("hl:"))
      throw FetchError(FetchError::Kind::kUpstreamStatus, "neither this pool nor its peers have " + request.url, 404);
    fetched = from_origin(bucket, key, request, length, downloaded);
    if (fetched->sha256 != *digest)
      spdlog::warn("retrieve {}: the origin declared sha256 {} but sent {}", request.url, to_hex(*digest),
                   to_hex(fetched->sha256));
    return fetched->sha256;
  });
  if (ran) return *fetched;
  // Bytes another retrieve fetched for another URL claiming the same digest: used as a later
  // retrieve would use them, only when this tenant could read them anyway.
  if (pool_.blob_usable_by(bucket.tenant_id, stored_sha)) {
    if (auto r = reference(bucket, key, stored_sha, type, request.acl, "found")) {
      downloaded = Downloaded{stored_sha, downloaded.content_type, false};
      return *r;
    }
  }
  return from_origin(bucket, key, request, length, downloaded);  // gone again already: fetch it ourselves
}

RetrieveResult Retriever::from_origin(const Bucket& bucket, const std::string& key, const RetrieveRequest& request,
                                      std::optional<int64_t> length, Downloaded& downloaded) {
  // A small file the HEAD announced is kept in memory and packed, as a small PUT is (a body that
  // turns out larger moves to a file).
  auto upload = pool_.begin_upload(fetcher_.options().max_object_size, /*may_pack=*/true);
  if (length) upload->expect(*length);
  FetchResult fetched;
  {
    Upload::SettleOnUnwind guard(*upload);
    fetched = fetcher_.get(request.url, [&](const char* data, size_t len) { upload->append(data, len); });
    upload->finish();
  }
  ObjectMeta meta;
  meta.content_type = request.content_type.empty() ? usable_content_type(fetched.content_type) : request.content_type;
  meta.acl = request.acl;
  PutOutcome outcome;
  ObjectRecord stored = pool_.put(*upload, bucket.id, key, meta, &outcome);
  downloaded = Downloaded{stored.sha256, usable_content_type(fetched.content_type)};
  url_cache_.put(request.url, {stored.sha256, downloaded.content_type});
  if (fetched.final_url != request.url) url_cache_.put(fetched.final_url, {stored.sha256, downloaded.content_type});
  const char* result = outcome.deduplicated ? "present" : "added";
  spdlog::info("retrieve {} -> {} ({} bytes, {})", request.url, to_hex(stored.sha256), stored.size, result);
  return RetrieveResult{result, "origin", stored.sha256, stored.size, stored.etag};
}

}  // namespace herd::federation
