#include "blob/s3_blob_store.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ctime>
#include <future>
#include <stdexcept>

#include "blob/file_ops.h"
#include "blob/file_reader.h"
#include "blob/memory_blob.h"
#include "blob/temp_file.h"
#include "util/digest.h"
#include "util/hex.h"
#include "util/random.h"

namespace herd {

namespace {

constexpr const char* kBlobs = "blobs/";
constexpr const char* kStaging = "staging/";
constexpr const char* kQuarantine = "quarantine/";
// Strays and other backend keys are reported to fsck with this prefix (remove_path takes them).
constexpr const char* kBackendPath = "s3:";

s3client::Target target_of(const BlobOptions& o) {
  return {o.endpoint, o.bucket, {o.access_key, o.secret_key, o.region}, std::chrono::seconds(o.timeout_seconds)};
}

// The cache directory ([blobs] cache_dir, or <local_dir>/cache), creating `local_dir` first.
std::string cache_dir_of(const BlobOptions& o, const std::string& local_dir) {
  file_ops::make_dir(local_dir);
  return o.cache_dir.empty() ? local_dir + "/cache" : o.cache_dir;
}

std::string blob_key(const std::string& sha256) { return kBlobs + to_hex(sha256); }

// Staging handles are names Herd generated: refuse anything else.
void check_handle(const std::string& handle) {
  if (handle.empty() || handle.size() > 64 ||
      handle.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789") != std::string::npos)
    throw std::invalid_argument("bad staging handle");
}

std::vector<std::string> names_in(const std::string& dir) {
  std::vector<std::string> names;
  DIR* d = ::opendir(dir.c_str());
  if (!d) return names;
  while (dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name != "." && name != "..") names.push_back(std::move(name));
  }
  ::closedir(d);
  return names;
}

}  // namespace

S3BlobStore::S3BlobStore(const BlobOptions& options, const std::string& local_dir, bool use_cache)
    : options_(options),
      tmp_dir_(local_dir + "/tmp"),
      client_(target_of(options)),
      cache_(cache_dir_of(options, local_dir), use_cache ? options.cache_bytes : 0) {
  file_ops::make_dir(tmp_dir_);
}

S3BlobStore::~S3BlobStore() = default;

std::unique_ptr<TempBlob> S3BlobStore::create_temp() { return std::make_unique<TempFile>(tmp_dir_); }

void S3BlobStore::upload(TempBlob& temp, const std::string& key, const std::string& sha256_hex, bool if_absent) {
  if (auto* memory = dynamic_cast<MemoryBlob*>(&temp)) {
    client_.put(key, {-1, 0, 0, memory->bytes(), sha256_hex}, if_absent);
    return;
  }
  auto& file = dynamic_cast<TempFile&>(temp);
  if (file.size() > options_.multipart_threshold) {
    client_.put_multipart(key, file.fd(), file.size(), options_.part_size);
    return;
  }
  client_.put(key, {file.fd(), 0, file.size(), {}, sha256_hex}, if_absent);
}

std::vector<BlobLocation> S3BlobStore::place_many(const std::vector<Placement>& blobs) {
  auto place_one = [this](const Placement& p) {
    upload(*p.temp, blob_key(p.sha256), to_hex(p.sha256), true);
    // Keep a copy in this node's cache: what was just uploaded is often read next.
    if (auto* memory = dynamic_cast<MemoryBlob*>(p.temp)) {
      try {
        auto copy = cache_.create_temp();
        copy->write(memory->bytes().data(), memory->bytes().size());
        cache_.adopt(p.sha256, *copy);
      } catch (const std::exception&) {
        // a cache that cannot take it simply does not
      }
    } else if (auto* file = dynamic_cast<TempFile*>(p.temp); file && !file->placed()) {
      cache_.adopt(p.sha256, *file);
    }
  };
  // Uploads of one group run side by side: each is a network round trip.
  std::vector<std::future<void>> running;
  for (size_t i = 1; i < blobs.size(); ++i) running.push_back(std::async(std::launch::async, place_one, blobs[i]));
  std::exception_ptr failed;
  try {
    if (!blobs.empty()) place_one(blobs[0]);
  } catch (...) {
    failed = std::current_exception();
  }
  for (auto& r : running) {
    try {
      r.get();
    } catch (...) {
      if (!failed) failed = std::current_exception();
    }
  }
  if (failed) std::rethrow_exception(failed);
  return std::vector<BlobLocation>(blobs.size());
}

void S3BlobStore::remove(const std::string& sha256, const BlobLocation&) {
  cache_.erase(sha256);
  client_.remove(blob_key(sha256));
}

std::unique_ptr<BlobReader> S3BlobStore::open(const std::string& sha256, const BlobLocation&) {
  return cache_.open(sha256, [&](TempFile& file) {
    Digest digest(Digest::Algorithm::kSha256);
    bool found = client_.get(blob_key(sha256), [&](const char* data, size_t len) {
      digest.update(data, len);
      file.write(data, len);
    });
    if (!found) return false;
    // Never hand out (or cache) bytes other than the ones named.
    if (digest.finish() != sha256)
      throw std::runtime_error("blob backend returned corrupt bytes for " + blob_key(sha256));
    return true;
  });
}

std::optional<std::unique_ptr<BlobReader>> S3BlobStore::open_now(const std::string& sha256, const BlobLocation&) {
  if (auto hit = cache_.open_cached(sha256)) return hit;
  return std::nullopt;
}

size_t S3BlobStore::clear_temp() {
  size_t removed = 0;
  for (const auto& name : names_in(tmp_dir_))
    if (::unlink((tmp_dir_ + "/" + name).c_str()) == 0) ++removed;
  return removed;
}

std::string S3BlobStore::stage(TempBlob& temp, const std::string& sha256) {
  std::string handle = random_string(32, "abcdefghijklmnopqrstuvwxyz0123456789");
  upload(temp, kStaging + handle, to_hex(sha256), false);
  return handle;
}

std::unique_ptr<BlobReader> S3BlobStore::open_staged(const std::string& handle) {
  check_handle(handle);
  TempFile file(tmp_dir_);
  if (!client_.get(kStaging + handle, [&](const char* data, size_t len) { file.write(data, len); })) return nullptr;
  return reader_of(open_file(file.path()));  // the file is unlinked when `file` goes; the descriptor reads on
}

void S3BlobStore::remove_staged(const std::string& handle) {
  check_handle(handle);
  client_.remove(kStaging + handle);
}

void S3BlobStore::for_each_blob(const std::function<void(const std::string&)>& fn,
                                const std::function<void(const std::string& path)>& stray) {
  client_.list(kBlobs, [&](const s3client::Listed& o) {
    std::string name = o.key.substr(std::string(kBlobs).size());
    auto sha = from_hex(name);
    if (is_lower_hex(name, 64) && sha) fn(*sha);
    else stray(kBackendPath + o.key);
  });
}

void S3BlobStore::quarantine(const std::string& sha256, const BlobLocation&) {
  cache_.erase(sha256);
  std::string key = blob_key(sha256);
  client_.copy(key, kQuarantine + to_hex(sha256));
  client_.remove(key);
}

std::vector<std::string> S3BlobStore::stale_temp_files(std::chrono::seconds age) {
  std::vector<std::string> out;
  for (const auto& name : names_in(tmp_dir_)) {
    std::string path = tmp_dir_ + "/" + name;
    struct stat st;
    if (::stat(path.c_str(), &st) == 0 && ::time(nullptr) - st.st_mtime >= age.count()) out.push_back(path);
  }
  return out;
}

std::vector<std::string> S3BlobStore::staged_older_than(std::chrono::seconds age) {
  std::vector<std::string> out;
  const int64_t now = ::time(nullptr);
  client_.list(kStaging, [&](const s3client::Listed& o) {
    std::string handle = o.key.substr(std::string(kStaging).size());
    if (o.modified_s > 0 && now - o.modified_s >= age.count()) out.push_back(handle);
  });
  return out;
}

void S3BlobStore::remove_path(const std::string& path) {
  if (path.starts_with(kBackendPath)) {
    std::string key = path.substr(std::string(kBackendPath).size());
    if (!key.starts_with(kBlobs)) throw std::invalid_argument("not a blob backend key: " + key);
    client_.remove(key);
    return;
  }
  if (!path.starts_with(tmp_dir_ + "/")) throw std::invalid_argument("path outside the temp directory: " + path);
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) file_ops::fail("unlink " + path);
}

}  // namespace herd
