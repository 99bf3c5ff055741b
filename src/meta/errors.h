#pragma once
// Failures the metadata store reports as values of their own (everything else is a
// std::runtime_error from the backend).
#include <stdexcept>

namespace herd {

// Raised when a multipart upload does not exist (never did, completed or aborted).
struct NoSuchUploadError : std::runtime_error {
  NoSuchUploadError() : std::runtime_error("no such upload") {}
};

// Raised when a bucket vanished (deleted concurrently) while an operation needed it.
struct NoSuchBucketError : std::runtime_error {
  NoSuchBucketError() : std::runtime_error("no such bucket") {}
};

// Raised when a commit would take a tenant past its quota (nothing of it is stored).
struct QuotaExceededError : std::runtime_error {
  QuotaExceededError() : std::runtime_error("the tenant's quota is exhausted") {}
};

// Raised when bytes an operator took down are uploaded (or fetched) again.
struct TakenDownError : std::runtime_error {
  TakenDownError() : std::runtime_error("these bytes were taken down by the pool's operator") {}
};

}  // namespace herd
