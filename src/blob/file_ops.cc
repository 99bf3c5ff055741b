#include "blob/file_ops.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

namespace herd::file_ops {

void fail(const std::string& what) { throw std::system_error(errno, std::generic_category(), what); }

void fsync_dir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) fail("open " + dir);
  int rc = ::fsync(fd);
  int saved = errno;
  ::close(fd);
  errno = saved;
  if (rc != 0) fail("fsync " + dir);
}

bool make_dir(const std::string& dir) {
  if (::mkdir(dir.c_str(), 0700) == 0) return true;
  if (errno == EEXIST) return false;
  fail("mkdir " + dir);
}

}  // namespace herd::file_ops
