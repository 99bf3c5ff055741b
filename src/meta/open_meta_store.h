#pragma once
// Opens the metadata backend the options name. Throws std::runtime_error with a clear message
// (unknown backend, missing URL, database unreachable).
#include <memory>
#include <string>

#include "meta/meta_options.h"
#include "meta/meta_store.h"

namespace herd {

// `data_dir` holds the SQLite database (herd.db) when the backend is "sqlite".
std::unique_ptr<MetaStore> open_meta_store(const MetaOptions& options, const std::string& data_dir);

}  // namespace herd
