#include "app/public_urls.h"

namespace herd {

std::vector<std::string> own_public_urls(const Config& c) {
  std::vector<std::string> urls = c.federation_public_urls;
  if (!c.s3.public_reads.listen.empty()) urls.push_back("http://" + c.s3.public_reads.listen);
  if (!c.s3.public_reads.redirect_base.empty()) urls.push_back(c.s3.public_reads.redirect_base);
  return urls;
}

}  // namespace herd
