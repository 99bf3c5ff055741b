#pragma once
// A test hook for the blob store's write path: with HERD_TEST_FAULTS set in the environment,
// chosen system calls fail as if the disk did, e.g.
//   HERD_TEST_FAULTS="write=ENOSPC"            every temp-file write fails with ENOSPC
//   HERD_TEST_FAULTS="fsync=EIO@0.5,rename=EIO" fsync fails half the time, rename always
// Points: write, fsync, rename. Inert (one branch) when the variable is unset.
#include <string_view>

namespace herd {

enum class FaultPoint { kWrite, kFsync, kRename };

// Throws std::system_error for `point` when a configured fault fires.
void maybe_inject_fault(FaultPoint point);

}  // namespace herd
