#pragma once
// The base URLs of this pool's public endpoint, whose object and blob URLs name bytes stored here
// (a retrieve of one needs no download; `herd takedown URL` resolves one): its listen address,
// its redirect base, and [federation] public_urls.
#include <string>
#include <vector>

#include "config/config.h"

namespace herd {

std::vector<std::string> own_public_urls(const Config& c);

}  // namespace herd
