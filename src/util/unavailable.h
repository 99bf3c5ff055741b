#pragma once
// A backend Herd depends on (the PostgreSQL database, the S3 blob cluster) cannot be reached or
// keeps failing right now. Nothing was changed by the failed call; the S3 and public endpoints
// answer 503 so clients retry later, instead of the 500 an internal error gets.
#include <stdexcept>
#include <string>

namespace herd {

struct Unavailable : std::runtime_error {
  explicit Unavailable(const std::string& what) : std::runtime_error(what) {}
};

}  // namespace herd
