#include "blob/disk_blob_store.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <system_error>

#include "blob/fault_injection.h"
#include "blob/file_reader.h"
#include "blob/file_ops.h"
#include "blob/memory_blob.h"
#include "blob/pack_format.h"
#include "blob/temp_file.h"
#include "util/digest.h"
#include "util/hex.h"
#include "util/random.h"

namespace herd {

using file_ops::fail;
using file_ops::fsync_dir;
using file_ops::make_dir;

namespace {

// How many blob descriptors to keep open: a hot set of a few thousand files, but never more than
// an eighth of the open-file limit (connections need the rest).
size_t open_file_cache_capacity() {
  rlimit r{};
  size_t limit = ::getrlimit(RLIMIT_NOFILE, &r) == 0 ? static_cast<size_t>(r.rlim_cur) : 1024;
  return std::clamp<size_t>(limit / 8, 16, 4096);
}

}  // namespace

DiskBlobStore::DiskBlobStore(std::string root, int64_t max_pack_bytes)
    : root_(std::move(root)),
      blobs_dir_(root_ + "/blobs"),
      tmp_dir_(root_ + "/tmp"),
      staging_dir_(root_ + "/staging"),
      packs_dir_(root_ + "/packs"),
      packs_(packs_dir_, max_pack_bytes),
      open_files_(open_file_cache_capacity(), std::chrono::seconds(10)) {
  for (const auto& dir : {blobs_dir_, tmp_dir_, staging_dir_, packs_dir_})
    if (make_dir(dir)) fsync_dir(root_);
  blobs_fd_ = ::open(blobs_dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (blobs_fd_ < 0) fail("open " + blobs_dir_);
}

std::unique_ptr<TempBlob> DiskBlobStore::create_temp() { return std::make_unique<TempFile>(tmp_dir_); }

DiskBlobStore::~DiskBlobStore() { ::close(blobs_fd_); }

std::string DiskBlobStore::path_of(const std::string& sha256) const {
  std::string hex = to_hex(sha256);
  return blobs_dir_ + "/" + hex.substr(0, 2) + "/" + hex.substr(2, 2) + "/" + hex;
}

std::string DiskBlobStore::ensure_shard(const std::string& hex) {
  std::string first = blobs_dir_ + "/" + hex.substr(0, 2);
  std::string second = first + "/" + hex.substr(2, 2);
  struct stat st;
  if (::stat(second.c_str(), &st) == 0) return second;
  if (make_dir(first)) fsync_dir(blobs_dir_);
  if (make_dir(second)) fsync_dir(first);
  return second;
}

std::string DiskBlobStore::place_file(TempBlob& temp, const std::string& sha256) {
  auto& t = dynamic_cast<TempFile&>(temp);
  t.sync();
  std::string hex = to_hex(sha256);
  std::string dir = ensure_shard(hex);
  std::string final_path = dir + "/" + hex;
  if (!t.placed()) {
    maybe_inject_fault(FaultPoint::kRename);
    if (::rename(t.path().c_str(), final_path.c_str()) != 0) fail("rename " + t.path() + " -> " + final_path);
    t.mark_placed(final_path);
  }
  return dir;
}

std::vector<BlobLocation> DiskBlobStore::place_many(const std::vector<Placement>& blobs) {
  std::vector<BlobLocation> locations(blobs.size());
  std::vector<PackWriter::Entry> entries;
  std::vector<size_t> packed;
  std::vector<std::string> dirs;
  for (size_t i = 0; i < blobs.size(); ++i) {
    if (auto* memory = dynamic_cast<MemoryBlob*>(blobs[i].temp)) {
      entries.push_back({&blobs[i].sha256, memory->bytes().data(), memory->bytes().size()});
      packed.push_back(i);
    } else {
      dirs.push_back(place_file(*blobs[i].temp, blobs[i].sha256));
    }
  }
  if (!entries.empty()) {
    auto at = packs_.append(entries);
    for (size_t k = 0; k < packed.size(); ++k) locations[packed[k]] = at[k];
  }
  std::sort(dirs.begin(), dirs.end());
  dirs.erase(std::unique(dirs.begin(), dirs.end()), dirs.end());
  for (const auto& dir : dirs) fsync_dir(dir);
  return locations;
}

void DiskBlobStore::remove(const std::string& sha256, const BlobLocation& where) {
  if (where.packed()) return;  // dead space in its pack until compaction
  open_files_.erase(sha256);
  std::string path = path_of(sha256);
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) fail("unlink " + path);
}

namespace {

// The descriptor cache key of pack `id` (blob keys are 32 raw bytes, so they never collide).
std::string pack_cache_key(int64_t id) { return "pack:" + pack::file_name(id); }

// Staging handles are names Herd generated: refuse anything else (never a path).
void check_handle(const std::string& handle) {
  if (handle.empty() || handle.size() > 64 ||
      handle.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789") != std::string::npos)
    throw std::invalid_argument("bad staging handle");
}

}  // namespace

std::shared_ptr<const OpenFile> DiskBlobStore::open_pack(int64_t id) {
  // Records never change once written, so no link check is needed: a descriptor already handed
  // out keeps reading the right bytes even after compaction deleted the pack.
  std::string key = pack_cache_key(id);
  if (auto cached = open_files_.get(key)) return cached;
  auto file = open_file(packs_dir_ + "/" + pack::file_name(id));
  if (file) open_files_.put(key, file);
  return file;
}

std::unique_ptr<BlobReader> DiskBlobStore::open(const std::string& sha256, const BlobLocation& where) {
  if (where.packed()) {
    auto file = open_pack(where.pack);
    if (!file || where.offset < static_cast<int64_t>(pack::kHeaderSize)) return nullptr;
    char h[pack::kHeaderSize];
    const int64_t at = where.offset - static_cast<int64_t>(pack::kHeaderSize);
    ssize_t n;
    do n = ::pread(file->fd, h, sizeof h, at);
    while (n < 0 && errno == EINTR);
    if (n < 0) fail("read pack " + pack::file_name(where.pack));
    auto header = n == static_cast<ssize_t>(sizeof h) ? pack::parse_header(h) : std::nullopt;
    // Never serve another blob's bytes: the record must be the one asked for. (The cached size of
    // a pack still being written is stale, so the length is checked by the reads themselves.)
    if (!header || header->sha256 != sha256) return nullptr;
    return std::make_unique<FileReader>(std::move(file), where.offset, static_cast<int64_t>(header->size));
  }
  // Relative to the open blobs directory: the kernel walks three path components, not the
  // whole data directory path, on every public read.
  if (auto cached = open_files_.get(sha256)) {
    // One fstat instead of a path walk: a file unlinked or replaced since (by GC, by a new
    // upload, by hand) has no links left, and is reopened by name.
    struct stat st;
    if (::fstat(cached->fd, &st) == 0 && st.st_nlink > 0) return reader_of(std::move(cached));
    open_files_.erase(sha256);
  }
  std::string hex = to_hex(sha256);
  std::string relative = hex.substr(0, 2) + "/" + hex.substr(2, 2) + "/" + hex;
  auto file = open_file(relative, blobs_fd_);
  if (file) open_files_.put(sha256, file);
  return reader_of(std::move(file));
}

std::string DiskBlobStore::stage(TempBlob& temp, const std::string&) {
  auto& t = dynamic_cast<TempFile&>(temp);
  t.sync();
  std::string handle = random_string(32, "abcdefghijklmnopqrstuvwxyz0123456789");
  std::string path = staging_dir_ + "/" + handle;
  maybe_inject_fault(FaultPoint::kRename);
  if (::rename(t.path().c_str(), path.c_str()) != 0) fail("rename " + t.path() + " -> " + path);
  t.mark_placed(path);
  fsync_dir(staging_dir_);
  return handle;
}

std::unique_ptr<BlobReader> DiskBlobStore::open_staged(const std::string& handle) {
  check_handle(handle);
  return reader_of(open_file(staging_dir_ + "/" + handle));
}

void DiskBlobStore::remove_staged(const std::string& handle) {
  check_handle(handle);
  std::string path = staging_dir_ + "/" + handle;
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) fail("unlink " + path);
}

size_t DiskBlobStore::clear_temp() {
  size_t unborn = PackWriter::clear_unborn(packs_dir_);
  DIR* d = ::opendir(tmp_dir_.c_str());
  if (!d) fail("opendir " + tmp_dir_);
  size_t removed = 0;
  while (dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    if (::unlink((tmp_dir_ + "/" + name).c_str()) == 0) ++removed;
  }
  ::closedir(d);
  return removed + unborn;
}

namespace {

// Names in a directory (without . and ..).
std::vector<std::string> list_dir(const std::string& dir) {
  std::vector<std::string> names;
  DIR* d = ::opendir(dir.c_str());
  if (!d) {
    if (errno == ENOENT) return names;
    fail("opendir " + dir);
  }
  while (dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name != "." && name != "..") names.push_back(std::move(name));
  }
  ::closedir(d);
  return names;
}

bool older_than(const std::string& path, std::chrono::seconds age) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return false;
  return ::time(nullptr) - st.st_mtime >= age.count();
}

}  // namespace

void DiskBlobStore::for_each_blob(const std::function<void(const std::string&)>& fn,
                                  const std::function<void(const std::string& path)>& stray) {
  for (const auto& a : list_dir(blobs_dir_)) {
    for (const auto& b : list_dir(blobs_dir_ + "/" + a)) {
      std::string dir = blobs_dir_ + "/" + a + "/" + b;
      for (const auto& name : list_dir(dir)) {
        auto sha = from_hex(name);
        if (is_lower_hex(name, 64) && name.compare(0, 2, a) == 0 && name.compare(2, 2, b) == 0 && sha) fn(*sha);
        else stray(dir + "/" + name);
      }
    }
  }
}

void DiskBlobStore::quarantine(const std::string& sha256, const BlobLocation& where) {
  std::string dir = root_ + "/quarantine";
  if (make_dir(dir)) fsync_dir(root_);
  if (where.packed()) {
    // The record stays in its (append-only) pack; keep a copy of its bytes for inspection.
    auto reader = open(sha256, where);
    if (!reader) return;
    TempFile copy(tmp_dir_);
    std::vector<char> buf(1 << 20);
    for (int64_t off = 0; off < reader->size();) {
      size_t n = reader->read(off, buf.data(), buf.size());
      if (n == 0) break;
      copy.write(buf.data(), n);
      off += static_cast<int64_t>(n);
    }
    copy.sync();
    std::string to = dir + "/" + to_hex(sha256) + ".packed";
    if (::rename(copy.path().c_str(), to.c_str()) != 0) fail("rename " + copy.path() + " -> " + to);
    copy.mark_placed(to);
    fsync_dir(dir);
    return;
  }
  open_files_.erase(sha256);
  std::string from = path_of(sha256), to = dir + "/" + to_hex(sha256);
  if (::rename(from.c_str(), to.c_str()) != 0 && errno != ENOENT) fail("rename " + from + " -> " + to);
  fsync_dir(dir);
}

std::vector<std::string> DiskBlobStore::stale_temp_files(std::chrono::seconds age) {
  std::vector<std::string> out;
  for (const auto& name : list_dir(tmp_dir_))
    if (older_than(tmp_dir_ + "/" + name, age)) out.push_back(tmp_dir_ + "/" + name);
  return out;
}

std::vector<std::string> DiskBlobStore::staged_older_than(std::chrono::seconds age) {
  std::vector<std::string> out;
  for (const auto& name : list_dir(staging_dir_))
    if (older_than(staging_dir_ + "/" + name, age)) out.push_back(name);
  return out;
}

void DiskBlobStore::remove_path(const std::string& path) {
  if (!path.starts_with(root_ + "/")) throw std::invalid_argument("path outside the data directory: " + path);
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) fail("unlink " + path);
}

std::vector<PackInfo> DiskBlobStore::packs() {
  std::vector<PackInfo> out;
  for (const auto& name : list_dir(packs_dir_)) {
    auto id = pack::id_of(name);
    if (!id) continue;
    std::string path = packs_dir_ + "/" + name;
    struct stat st;
    if (::stat(path.c_str(), &st) == 0) out.push_back({*id, static_cast<int64_t>(st.st_size), !PackWriter::in_use(path)});
  }
  return out;
}

std::vector<std::optional<BlobLocation>> DiskBlobStore::repack(const std::vector<PackedBlob>& blobs) {
  std::vector<std::optional<BlobLocation>> out(blobs.size());
  // Batches of about 8 MiB: one append (and sync) each, with bounded memory.
  constexpr size_t kBatchBytes = 8 << 20;
  size_t next = 0;
  while (next < blobs.size()) {
    std::vector<std::string> bytes;
    std::vector<size_t> indexes;
    size_t batch = 0;
    for (; next < blobs.size() && batch < kBatchBytes; ++next) {
      const auto& b = blobs[next];
      auto reader = open(b.sha256, b.location);
      if (!reader || reader->size() != b.size) continue;
      std::string data(static_cast<size_t>(b.size), '\0');
      size_t got = 0;
      while (got < data.size()) {
        size_t n = reader->read(static_cast<int64_t>(got), data.data() + got, data.size() - got);
        if (n == 0) break;
        got += n;
      }
      if (got != data.size() || sha256(data) != b.sha256) continue;  // corrupt: fsck's to report
      batch += data.size();
      bytes.push_back(std::move(data));
      indexes.push_back(next);
    }
    if (indexes.empty()) continue;
    std::vector<PackWriter::Entry> entries;
    for (size_t k = 0; k < indexes.size(); ++k)
      entries.push_back({&blobs[indexes[k]].sha256, bytes[k].data(), bytes[k].size()});
    auto at = packs_.append(entries);
    for (size_t k = 0; k < indexes.size(); ++k) out[indexes[k]] = at[k];
  }
  return out;
}

void DiskBlobStore::delete_pack(int64_t id) {
  open_files_.erase(pack_cache_key(id));
  std::string path = packs_dir_ + "/" + pack::file_name(id);
  if (::unlink(path.c_str()) != 0) {
    if (errno == ENOENT) return;
    fail("unlink " + path);
  }
  fsync_dir(packs_dir_);
}

}  // namespace herd
