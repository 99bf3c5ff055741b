#pragma once
// Metadata: multipart uploads in progress and their staged parts, and the records of completed
// ones. Completing an upload is a WriteTxn (it writes the object and records the completion),
// driven by the pool. Thread-safe.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "meta/types.h"

namespace herd {

class MultipartRows {
 public:
  virtual ~MultipartRows() = default;
  virtual void create_multipart(const MultipartUpload& upload) = 0;
  virtual std::optional<MultipartUpload> get_multipart(const std::string& upload_id) = 0;
  // Records a part, replacing any part with the same number. Returns the replaced part's staging
  // handle, for the caller to remove. Throws NoSuchUploadError.
  virtual std::optional<std::string> put_part(const PartRecord& part) = 0;
  // Parts with number > `after_part`, ascending, at most `limit`.
  virtual std::vector<PartRecord> list_parts(const std::string& upload_id, int after_part, size_t limit) = 0;
  // Uploads in a bucket ordered by (key, upload id) after the markers, with key prefix `prefix`.
  virtual std::vector<MultipartUpload> list_multiparts(int64_t bucket_id, const std::string& prefix,
                                                       const std::string& key_marker,
                                                       const std::string& upload_id_marker, size_t limit) = 0;
  // Uploads created before `cutoff_ms` (abandoned), at most `limit`.
  virtual std::vector<MultipartUpload> multiparts_before(int64_t cutoff_ms, size_t limit) = 0;
  // Forgets an upload and its parts. Returns their staging handles. Throws NoSuchUploadError.
  virtual std::vector<std::string> delete_multipart(const std::string& upload_id) = 0;
  // Staging handles of all recorded multipart parts.
  virtual std::vector<std::string> staged_handles() = 0;

  // --- completed uploads (recorded by WriteTxn::record_completed_multipart)
  // The record of a completed upload, if it is still kept.
  virtual std::optional<CompletedUpload> get_completed_multipart(const std::string& upload_id) = 0;
  // Forgets the records of uploads completed before `cutoff_ms`; returns how many.
  virtual int64_t forget_completed_multiparts(int64_t cutoff_ms) = 0;
};

}  // namespace herd
