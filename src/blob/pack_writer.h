#pragma once
// Appends small blobs to this process's pack file (pack_format.h), durably: a group of blobs costs
// one write and one fdatasync, with no file to create, rename or sync a directory for.
// The pack being appended to is flock()ed for as long as this writer uses it, so other writers and
// compaction (in any process) can tell it from sealed packs. A pack is born under a temporary name
// and renamed, already locked, to its final name, so a sealed-looking pack never gains records.
// Thread-safe.
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "blob/blob_store.h"

namespace herd {

class PackWriter {
 public:
  // Packs live in `dir`; a new one is started once the current one reaches `max_pack_bytes`.
  PackWriter(std::string dir, int64_t max_pack_bytes);
  ~PackWriter();
  PackWriter(const PackWriter&) = delete;
  PackWriter& operator=(const PackWriter&) = delete;

  // One blob to append.
  struct Entry {
    const std::string* sha256;  // raw 32 bytes
    const char* data;
    size_t size;
  };
  // Appends the entries and syncs the pack; returns their locations, in order. On failure the pack
  // is abandoned (the next append starts a new one) and the error thrown. The pack stays locked
  // (unsealed) until every location returned is released, even once a newer pack is current.
  std::vector<BlobLocation> append(const std::vector<Entry>& entries);
  // Releases appended locations (others are ignored); a pack no longer current is sealed once its
  // last one is released.
  void release(const std::vector<BlobLocation>& locations);

  // True when some writer (in any process) holds the pack at `path`.
  static bool in_use(const std::string& path);
  // Removes temporary files of packs that were never born (crashes); returns how many.
  static size_t clear_unborn(const std::string& dir);

 private:
  // Starts a new pack (locked, durable, empty) and makes it current.
  void start_pack();
  // Leaves the current pack: closing it seals it, unless appended records are still held.
  void close_pack();

  const std::string dir_;
  const int64_t max_pack_bytes_;
  std::mutex mu_;
  int fd_ = -1;
  int64_t id_ = 0;
  int64_t end_ = 0;  // where the next record goes
  std::map<int64_t, int64_t> held_;  // pack id -> appended records not yet released
  std::map<int64_t, int> retired_;   // packs no longer current, kept locked while held: id -> fd
};

}  // namespace herd
