// Multipart upload: Create, UploadPart, UploadPartCopy, Complete, Abort, ListParts,
// ListMultipartUploads. Parts are staged durably; Complete streams them, in order, into one new
// upload so the object is deduplicated by the SHA-256 of its whole content, like a single PUT.
#include <charconv>
#include <memory>

#include "s3/body.h"
#include "s3/error.h"
#include "s3/object_meta.h"
#include "s3/operations.h"
#include "s3/range.h"
#include "s3/upload_skip.h"
#include "s3/xml.h"
#include "util/base64.h"
#include "util/clock.h"
#include "util/digest.h"
#include "util/hex.h"
#include "util/random.h"
#include "util/uri.h"

namespace herd::s3 {

namespace {

constexpr int kMaxParts = 10000;
constexpr int64_t kMinPartSize = 5 * 1024 * 1024;  // every part but the last
constexpr size_t kMaxCompleteBody = 4 * 1024 * 1024;
constexpr size_t kCopyBuffer = 256 * 1024;

Error no_such_upload() {
  return {404, "NoSuchUpload",
          "The specified multipart upload does not exist. The upload ID might not be valid, or the multipart upload "
          "might have been aborted or completed."};
}
Error invalid_part(const std::string& why) {
  return {400, "InvalidPart", "One or more of the specified parts could not be found or did not match: " + why};
}

int parse_int(const std::optional<std::string>& v, int min, int max, const char* what) {
  int n = 0;
  if (!v) throw invalid_argument(std::string("Missing ") + what);
  auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
  if (ec != std::errc() || p != v->data() + v->size() || n < min || n > max)
    throw invalid_argument(std::string(what) + " must be an integer between " + std::to_string(min) + " and " +
                           std::to_string(max));
  return n;
}

// The upload named by ?uploadId if it is in progress for this bucket and key.
std::optional<MultipartUpload> find_upload(const Context& ctx, const Bucket& bucket) {
  auto id = ctx.query_value("uploadId");
  if (!id || id->empty()) return std::nullopt;
  auto u = ctx.pool.meta().get_multipart(*id);
  if (!u || u->bucket_id != bucket.id || u->key != ctx.key) return std::nullopt;
  return u;
}

// The upload named by ?uploadId, which must be in progress for this bucket and key.
MultipartUpload upload_of(const Context& ctx, const Bucket& bucket) {
  auto u = find_upload(ctx, bucket);
  if (!u) throw no_such_upload();
  return *u;
}

// The record of the upload named by ?uploadId if it completed in this bucket under this key.
std::optional<CompletedUpload> find_completed(const Context& ctx, const Bucket& bucket) {
  auto id = ctx.query_value("uploadId");
  if (!id || id->empty()) return std::nullopt;
  auto done = ctx.pool.meta().get_completed_multipart(*id);
  if (!done || done->bucket_id != bucket.id || done->key != ctx.key) return std::nullopt;
  return done;
}

std::string quoted(const std::string& etag) { return "\"" + etag + "\""; }

std::string unquoted(std::string s) {
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') s = s.substr(1, s.size() - 2);
  return s;
}

// Streams `length` bytes of `reader` from `offset` into `upload` (and `checksum`), in bounded
// buffers. A reader shorter than its record is an internal error, never a short object.
void copy_range(BlobReader& reader, int64_t offset, int64_t length, Upload& upload, std::optional<Checksum>& checksum) {
  // Two halves: one is read into while the upload may still be hashing the other.
  auto buf = std::make_unique<char[]>(2 * kCopyBuffer);
  Upload::SettleOnUnwind guard(upload);
  for (int64_t done = 0, i = 0; done < length; ++i) {
    char* half = buf.get() + (i % 2) * kCopyBuffer;
    size_t n = reader.read(offset + done, half, static_cast<size_t>(std::min<int64_t>(kCopyBuffer, length - done)));
    if (n == 0) throw internal_error();
    upload.append(half, n);
    if (checksum) checksum->update(half, n);
    done += static_cast<int64_t>(n);
  }
  upload.settle();
}

// "ChecksumCRC32", … : the element name of a checksum in multipart XML.
// Makes a received part durable and records it (blocking: run it on the BlockingPool).
void add_part(Context& ctx, Upload& upload, const PartRecord& part) {
  try {
    ctx.pool.add_part(upload, part);
  } catch (const NoSuchUploadError&) {
    throw no_such_upload();
  }
}

std::string checksum_element(ChecksumAlgorithm a) { return "Checksum" + std::string(checksum_name(a)); }

// One <Part> of a CompleteMultipartUpload request.
struct RequestedPart {
  int number = 0;
  std::string etag;  // unquoted
  pugi::xml_node element;
};

// The parts a CompleteMultipartUpload body lists, in ascending order. Throws MalformedXML,
// InvalidArgument, InvalidPartOrder.
std::vector<RequestedPart> requested_parts(const pugi::xml_document& doc) {
  auto root = doc.child("CompleteMultipartUpload");
  if (!root) throw malformed_xml();
  std::vector<RequestedPart> parts;
  int previous = 0;
  for (auto el : root.children("Part")) {
    int number = parse_int(std::string(el.child_value("PartNumber")), 1, kMaxParts, "PartNumber");
    if (number <= previous)
      throw Error(400, "InvalidPartOrder", "The list of parts was not in ascending order. Parts must be ordered by part number.");
    previous = number;
    parts.push_back({number, unquoted(el.child_value("ETag")), el});
  }
  if (parts.empty()) throw malformed_xml();
  return parts;
}

// What identifies a part list: the hex SHA-256 of its numbers and ETags, in order.
std::string parts_signature(const std::vector<RequestedPart>& parts) {
  std::string text;
  for (const auto& p : parts) text += std::to_string(p.number) + ":" + p.etag + "\n";
  return sha256_hex(text);
}

// The CompleteMultipartUploadResult body.
std::string complete_result(const Bucket& bucket, const std::string& key, const CompletedUpload& done) {
  XmlWriter x;
  x.open("CompleteMultipartUploadResult", true)
      .leaf("Location", "/" + bucket.name + "/" + uri_encode(key, true))
      .leaf("Bucket", bucket.name)
      .leaf("Key", key)
      .leaf("ETag", quoted(done.etag));
  if (auto algorithm = parse_checksum_algorithm(done.checksum_algorithm))
    x.leaf(checksum_element(*algorithm), done.checksum).leaf("ChecksumType", done.checksum_type);
  x.close("CompleteMultipartUploadResult");
  return x.str();
}

// UploadPart's response headers: the part's ETag and checksum.
void part_headers(const PartRecord& part, const MultipartUpload& u, http::Headers& h) {
  h.emplace_back("ETag", quoted(part.etag));
  if (!part.checksum.empty())
    if (auto alg = parse_checksum_algorithm(u.meta.checksum_algorithm)) h.emplace_back(checksum_header(*alg), part.checksum);
}

}  // namespace

Op create_multipart_upload(Context& ctx) {
  Bucket bucket = ctx.owned_bucket();
  MultipartUpload u;
  u.upload_id = random_string(40, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789");
  u.bucket_id = bucket.id;
  u.key = ctx.key;
  u.meta = object_meta_from_request(ctx.ex);
  u.created_ms = now_ms();
  auto algorithm_name = ctx.ex.header("x-amz-checksum-algorithm");
  if (algorithm_name) {
    auto alg = parse_checksum_algorithm(*algorithm_name);
    if (!alg) throw invalid_request("Checksum algorithm provided is unsupported.");
    u.meta.checksum_algorithm = std::string(checksum_name(*alg));
    std::string type(ctx.ex.header("x-amz-checksum-type").value_or(
        *alg == ChecksumAlgorithm::kCrc64Nvme ? "FULL_OBJECT" : "COMPOSITE"));
    if (type != "COMPOSITE" && type != "FULL_OBJECT") throw invalid_request("Invalid x-amz-checksum-type");
    bool is_crc = *alg != ChecksumAlgorithm::kSha1 && *alg != ChecksumAlgorithm::kSha256;
    if ((type == "FULL_OBJECT" && !is_crc) || (type == "COMPOSITE" && *alg == ChecksumAlgorithm::kCrc64Nvme))
      throw invalid_request("The " + type + " checksum type cannot be used with the " + std::string(checksum_name(*alg)) +
                            " checksum algorithm.");
    u.checksum_type = type;
  }
  auto create = [&] { ctx.pool.meta().create_multipart(u); };
  co_await ctx.blocking.run(create);
  XmlWriter x;
  x.open("InitiateMultipartUploadResult", true)
      .leaf("Bucket", bucket.name)
      .leaf("Key", ctx.key)
      .leaf("UploadId", u.upload_id)
      .close("InitiateMultipartUploadResult");
  auto h = s3_headers(ctx, true);
  if (!u.checksum_type.empty()) {
    h.emplace_back("x-amz-checksum-algorithm", u.meta.checksum_algorithm);
    h.emplace_back("x-amz-checksum-type", u.checksum_type);
  }
  http::Response response{200, std::move(h), x.str()};
  co_await ctx.ex.respond(response);
}

Op upload_part(Context& ctx) {
  Bucket bucket = ctx.owned_bucket();
  int number = parse_int(ctx.query_value("partNumber"), 1, kMaxParts, "Part number");
  MultipartUpload u = upload_of(ctx, bucket);
  PartRecord part;
  part.upload_id = u.upload_id;
  part.part_number = number;
  // Bytes the pool holds are copied into the part here instead of being sent (upload_skip.h).
  auto known = co_await known_body(ctx);
  if (known && (u.meta.checksum_algorithm.empty() || u.meta.checksum_algorithm == "SHA256")) {
    auto copy_and_commit = [&] {
      ObjectRecord source;
      source.sha256 = known->blob.sha256;
      source.size = known->blob.size;
      source.location = known->blob.location;
      auto blob = ctx.pool.open_blob(source);
      if (!blob || blob->size() != source.size) throw internal_error();
      auto upload = ctx.pool.begin_upload(ctx.options.max_object_size);
      std::optional<Checksum> checksum;
      if (!u.meta.checksum_algorithm.empty()) checksum.emplace(ChecksumAlgorithm::kSha256);
      copy_range(*blob, 0, source.size, *upload, checksum);
      upload->finish();
      if (upload->sha256() != source.sha256) throw internal_error();  // the store's bytes are verified too
      part.etag = to_hex(upload->md5());
      if (checksum) part.checksum = checksum->finish_base64();
      add_part(ctx, *upload, part);
      ctx.pool.count_skipped_upload(source.size);
    };
    co_await ctx.blocking.run(copy_and_commit);
    auto h = s3_headers(ctx, false);
    part_headers(part, u, h);
    if (known->wants_sha256_checksum && u.meta.checksum_algorithm.empty())
      h.emplace_back("x-amz-checksum-sha256", base64_encode(known->blob.sha256));
    http::Response response{200, std::move(h), ""};
    co_await ctx.ex.respond(response);
    co_return;
  }
  auto upload = ctx.pool.begin_upload(ctx.options.max_object_size);
  auto checksum = co_await receive_body(ctx, *upload);
  part.etag = to_hex(upload->md5());
  if (checksum && checksum_name(checksum->algorithm) == u.meta.checksum_algorithm) part.checksum = checksum->value;
  if (!u.meta.checksum_algorithm.empty() && part.checksum.empty())
    throw invalid_request("The upload was created using a " + u.meta.checksum_algorithm +
                          " checksum. The part must carry a matching checksum.");
  auto commit = [&] { add_part(ctx, *upload, part); };
  co_await ctx.blocking.run(commit);
  auto h = s3_headers(ctx, false);
  part_headers(part, u, h);
  http::Response response{200, std::move(h), ""};
  co_await ctx.ex.respond(response);
}

Op upload_part_copy(Context& ctx) {
  Bucket bucket = ctx.owned_bucket();
  int number = parse_int(ctx.query_value("partNumber"), 1, kMaxParts, "Part number");
  MultipartUpload u = upload_of(ctx, bucket);
  ObjectRecord source = copy_source_object(ctx);
  auto blob = ctx.pool.open_blob(source);
  if (!blob || blob->size() != source.size) throw internal_error();
  int64_t offset = 0, length = source.size;
  if (auto range = ctx.ex.header("x-amz-copy-source-range")) {
    auto r = apply_range(*range, source.size);
    if (r.kind != RangeResult::Kind::kPartial || !range->starts_with("bytes=") || range->find('-') == 6)
      throw invalid_argument("The x-amz-copy-source-range value must be of the form bytes=first-last where first and "
                             "last are the zero-based offsets of the first and last bytes to copy");
    offset = r.range.first;
    length = r.range.length;
  }
  PartRecord part;
  part.upload_id = u.upload_id;
  part.part_number = number;
  auto copy_and_commit = [&] {
    auto upload = ctx.pool.begin_upload(ctx.options.max_object_size);
    std::optional<Checksum> checksum;
    if (auto alg = parse_checksum_algorithm(u.meta.checksum_algorithm)) checksum.emplace(*alg);
    copy_range(*blob, offset, length, *upload, checksum);
    upload->finish();
    part.etag = to_hex(upload->md5());
    if (checksum) part.checksum = checksum->finish_base64();
    add_part(ctx, *upload, part);
  };
  co_await ctx.blocking.run(copy_and_commit);
  XmlWriter x;
  x.open("CopyPartResult", true).leaf("LastModified", format_iso8601_ms(now_ms())).leaf("ETag", quoted(part.etag));
  if (!part.checksum.empty()) x.leaf(checksum_element(*parse_checksum_algorithm(u.meta.checksum_algorithm)), part.checksum);
  x.close("CopyPartResult");
  http::Response response{200, s3_headers(ctx, true), x.str()};
  co_await ctx.ex.respond(response);
}

Op complete_multipart_upload(Context& ctx) {
  Bucket bucket = ctx.owned_bucket();
  std::optional<MultipartUpload> in_progress = find_upload(ctx, bucket);
  // An upload that already completed answers a retry with the same parts as it answered first.
  if (!in_progress && !find_completed(ctx, bucket)) throw no_such_upload();
  std::string body = co_await ctx.read_small_body(kMaxCompleteBody, /*checksum_is_of_body=*/false);
  pugi::xml_document doc = parse_xml(body);
  const std::vector<RequestedPart> requested = requested_parts(doc);
  CompletedUpload completed;
  completed.parts = parts_signature(requested);
  auto answer_retry = [&]() -> std::string {
    auto done = find_completed(ctx, bucket);
    if (!done || done->parts != completed.parts) throw no_such_upload();
    return complete_result(bucket, ctx.key, *done);
  };
  if (!in_progress) {
    http::Response response{200, s3_headers(ctx, true), answer_retry()};
    co_await ctx.ex.respond(response);
    co_return;
  }
  const MultipartUpload& u = *in_progress;
  completed.upload_id = u.upload_id;
  completed.checksum_type = u.checksum_type;
  const auto algorithm = parse_checksum_algorithm(u.meta.checksum_algorithm);

  // A concurrent Complete of the same upload may finish while this one reads the parts (they go
  // with the upload, in one transaction): then this one answers as a retry.
  auto completed_meanwhile = [&] { return !ctx.pool.meta().get_multipart(u.upload_id).has_value(); };
  // Every stored part, by number (at most 10,000).
  std::vector<PartRecord> stored = ctx.pool.meta().list_parts(u.upload_id, 0, kMaxParts);
  if (stored.empty() && completed_meanwhile()) {
    http::Response response{200, s3_headers(ctx, true), answer_retry()};
    co_await ctx.ex.respond(response);
    co_return;
  }
  std::vector<const PartRecord*> chosen;
  for (const auto& part : requested) {
    auto it = std::find_if(stored.begin(), stored.end(), [&](const PartRecord& p) { return p.part_number == part.number; });
    if (it == stored.end()) throw invalid_part("part " + std::to_string(part.number) + " was not uploaded");
    if (part.etag != it->etag) throw invalid_part("ETag of part " + std::to_string(part.number));
    if (algorithm) {
      std::string claimed = part.element.child_value(checksum_element(*algorithm).c_str());
      if (!claimed.empty() && claimed != it->checksum)
        throw invalid_part(std::string(checksum_name(*algorithm)) + " of part " + std::to_string(part.number));
    }
    chosen.push_back(&*it);
  }
  for (size_t i = 0; i + 1 < chosen.size(); ++i)
    if (chosen[i]->size < kMinPartSize)
      throw Error(400, "EntityTooSmall", "Your proposed upload is smaller than the minimum allowed object size.");

  // Concatenate the parts into one upload (its SHA-256 addresses the object's blob) and commit it,
  // off the I/O thread: this reads and writes the whole object. Returns the response body.
  auto concatenate_and_commit = [&]() -> std::string {
    auto upload = ctx.pool.begin_upload(ctx.options.max_object_size);
    std::optional<Checksum> full;
    if (algorithm && u.checksum_type == "FULL_OBJECT") full.emplace(*algorithm);
    std::optional<Checksum> composite;
    if (algorithm && u.checksum_type == "COMPOSITE") composite.emplace(*algorithm);
    Digest etag_digest(Digest::Algorithm::kMd5);
    ObjectRecord object;
    for (const PartRecord* p : chosen) {
      auto reader = ctx.pool.blobs().open_staged(p->staged);
      if (!reader || reader->size() != p->size) {
        if (completed_meanwhile()) return answer_retry();  // its staged parts are removed after it commits
        throw internal_error();
      }
      copy_range(*reader, 0, p->size, *upload, full);
      etag_digest.update(*from_hex(p->etag));
      if (composite) {
        auto raw = base64_decode(p->checksum);
        if (!raw) throw internal_error();
        composite->update(raw->data(), raw->size());
      }
      object.part_sizes.push_back(p->size);
    }
    upload->finish();
    object.bucket_id = bucket.id;
    object.key = ctx.key;
    object.etag = to_hex(etag_digest.finish()) + "-" + std::to_string(chosen.size());
    object.meta = u.meta;
    if (full) object.meta.checksum = full->finish_base64();
    if (composite) object.meta.checksum = composite->finish_base64() + "-" + std::to_string(chosen.size());
    if (algorithm) {
      auto claimed = ctx.ex.header(checksum_header(*algorithm));
      if (claimed && full && *claimed != object.meta.checksum) throw bad_checksum(checksum_name(*algorithm));
    }
    try {
      ctx.pool.complete_multipart(*upload, completed, std::move(object));
    } catch (const NoSuchUploadError&) {
      return answer_retry();  // a concurrent Complete of the same upload won
    } catch (const NoSuchBucketError&) {
      throw no_such_bucket();
    }
    return complete_result(bucket, ctx.key, completed);
  };
  std::string result = co_await ctx.blocking.run(concatenate_and_commit);
  http::Response response{200, s3_headers(ctx, true), std::move(result)};
  co_await ctx.ex.respond(response);
}

Op abort_multipart_upload(Context& ctx) {
  Bucket bucket = ctx.owned_bucket();
  MultipartUpload u = upload_of(ctx, bucket);
  auto abort = [&] {
    try {
      ctx.pool.abort_multipart(u.upload_id);
    } catch (const NoSuchUploadError&) {
      throw no_such_upload();
    }
  };
  co_await ctx.blocking.run(abort);
  http::Response response{204, s3_headers(ctx, false), ""};
  co_await ctx.ex.respond(response);
}

Op list_parts(Context& ctx) {
  Bucket bucket = ctx.owned_bucket();
  MultipartUpload u = upload_of(ctx, bucket);
  int marker = ctx.has_query("part-number-marker")
                   ? parse_int(ctx.query_value("part-number-marker"), 0, kMaxParts, "part-number-marker")
                   : 0;
  int max_parts = ctx.has_query("max-parts") ? parse_int(ctx.query_value("max-parts"), 0, 1000, "max-parts") : 1000;
  auto parts = ctx.pool.meta().list_parts(u.upload_id, marker, static_cast<size_t>(max_parts) + 1);
  bool truncated = parts.size() > static_cast<size_t>(max_parts);
  if (truncated) parts.resize(static_cast<size_t>(max_parts));
  const auto algorithm = parse_checksum_algorithm(u.meta.checksum_algorithm);
  const std::string& owner = ctx.tenant().name;
  XmlWriter x;
  x.open("ListPartsResult", true)
      .leaf("Bucket", bucket.name)
      .leaf("Key", ctx.key)
      .leaf("UploadId", u.upload_id)
      .leaf("PartNumberMarker", std::to_string(marker))
      .leaf("NextPartNumberMarker", std::to_string(parts.empty() ? marker : parts.back().part_number))
      .leaf("MaxParts", std::to_string(max_parts))
      .leaf("IsTruncated", truncated ? "true" : "false");
  if (algorithm) x.leaf("ChecksumAlgorithm", u.meta.checksum_algorithm).leaf("ChecksumType", u.checksum_type);
  x.open("Initiator").leaf("ID", owner).leaf("DisplayName", owner).close("Initiator");
  x.open("Owner").leaf("ID", owner).leaf("DisplayName", owner).close("Owner");
  x.leaf("StorageClass", "STANDARD");
  for (const auto& p : parts) {
    x.open("Part")
        .leaf("PartNumber", std::to_string(p.part_number))
        .leaf("LastModified", format_iso8601_ms(p.modified_ms))
        .leaf("ETag", quoted(p.etag))
        .leaf("Size", std::to_string(p.size));
    if (algorithm && !p.checksum.empty()) x.leaf(checksum_element(*algorithm), p.checksum);
    x.close("Part");
  }
  x.close("ListPartsResult");
  http::Response response{200, s3_headers(ctx, true), x.str()};
  co_await ctx.ex.respond(response);
}

Op list_multipart_uploads(Context& ctx) {
  Bucket bucket = ctx.owned_bucket();
  std::string prefix = ctx.query_value("prefix").value_or("");
  std::string key_marker = ctx.query_value("key-marker").value_or("");
  std::string id_marker = key_marker.empty() ? "" : ctx.query_value("upload-id-marker").value_or("");
  int max = ctx.has_query("max-uploads") ? parse_int(ctx.query_value("max-uploads"), 0, 1000, "max-uploads") : 1000;
  auto uploads = ctx.pool.meta().list_multiparts(bucket.id, prefix, key_marker, id_marker, static_cast<size_t>(max) + 1);
  bool truncated = uploads.size() > static_cast<size_t>(max);
  if (truncated) uploads.resize(static_cast<size_t>(max));
  const std::string& owner = ctx.tenant().name;
  XmlWriter x;
  x.open("ListMultipartUploadsResult", true)
      .leaf("Bucket", bucket.name)
      .leaf("KeyMarker", key_marker)
      .leaf("UploadIdMarker", id_marker)
      .leaf("NextKeyMarker", uploads.empty() ? "" : uploads.back().key)
      .leaf("NextUploadIdMarker", uploads.empty() ? "" : uploads.back().upload_id)
      .leaf("Prefix", prefix)
      .leaf("MaxUploads", std::to_string(max))
      .leaf("IsTruncated", truncated ? "true" : "false");
  for (const auto& u : uploads) {
    x.open("Upload").leaf("Key", u.key).leaf("UploadId", u.upload_id);
    x.open("Initiator").leaf("ID", owner).leaf("DisplayName", owner).close("Initiator");
    x.open("Owner").leaf("ID", owner).leaf("DisplayName", owner).close("Owner");
    x.leaf("StorageClass", "STANDARD").leaf("Initiated", format_iso8601_ms(u.created_ms)).close("Upload");
  }
  x.close("ListMultipartUploadsResult");
  http::Response response{200, s3_headers(ctx, true), x.str()};
  co_await ctx.ex.respond(response);
}

}  // namespace herd::s3
