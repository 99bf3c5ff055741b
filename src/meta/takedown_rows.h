#pragma once
// Metadata: the pool's takedowns (blobs an operator removed from every tenant, whose bytes are
// refused from then on) and the append-only audit log of takedowns and lifts. Changes go through
// WriteTxn (the pool's rules in pool/takedowns.cc). Thread-safe.
#include <cstddef>
#include <string>
#include <vector>

#include "meta/types.h"

namespace herd {

class TakedownRows {
 public:
  virtual ~TakedownRows() = default;
  // The takedowns in force, oldest first.
  virtual std::vector<Takedown> list_takedowns() = 0;
  virtual bool is_taken_down(const std::string& sha256) = 0;
  // The newest `limit` audit entries, newest first.
  virtual std::vector<AuditEntry> audit_log(size_t limit) = 0;
};

}  // namespace herd
