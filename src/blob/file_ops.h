#pragma once
// File system helpers shared by the disk blob store and its pack writer.
#include <string>

namespace herd::file_ops {

// Throws std::system_error for errno, with `what` as the message.
[[noreturn]] void fail(const std::string& what);
// fsyncs a directory, making the entries created or renamed in it durable.
void fsync_dir(const std::string& dir);
// mkdir (mode 0700) that tolerates an existing directory; returns true when it created one.
bool make_dir(const std::string& dir);

}  // namespace herd::file_ops
