#pragma once
// Test support: the metadata backends the contract suites run against, each opened fresh per
// test. "sqlite": a database file in the test's scratch directory. "postgres": a new schema in
// the database whose libpq connection string is in the file $HERD_TEST_SERVERS/postgres/conninfo
// (ctest sets it and starts the server with scripts/test-postgres.sh); dropped at the end of the
// test. Without $HERD_TEST_SERVERS (the runner started by hand) the postgres tests are skipped;
// with it, a server that cannot be reached fails them.
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "meta/meta_store.h"
#include "meta/postgres.h"
#include "meta/postgres_meta_store.h"
#include "meta/sqlite_meta_store.h"
#include "util/random.h"

namespace herd::testing_support {

inline const std::vector<std::string> kMetaBackends = {"sqlite", "postgres"};

class MetaBackend {
 public:
  MetaBackend(std::string name, std::string scratch) : name_(std::move(name)), scratch_(std::move(scratch)) {
    if (name_ != "postgres") return;
    const char* servers = std::getenv("HERD_TEST_SERVERS");
    if (!servers || !*servers) return;
    std::string file = std::string(servers) + "/postgres/conninfo";
    std::ifstream in(file);
    if (!std::getline(in, server_) || server_.empty())
      throw std::runtime_error("no PostgreSQL connection string in " + file);
    schema_ = "t" + std::to_string(::getpid()) + "_" + random_string(8, "abcdefghijklmnopqrstuvwxyz0123456789");
    pg::Connection(server_).exec("CREATE SCHEMA " + schema_);
  }
  ~MetaBackend() {
    if (schema_.empty()) return;
    try {
      pg::Connection(server_).exec("DROP SCHEMA " + schema_ + " CASCADE");
    } catch (...) {
    }
  }
  MetaBackend(const MetaBackend&) = delete;
  MetaBackend& operator=(const MetaBackend&) = delete;

  bool available() const { return name_ != "postgres" || !schema_.empty(); }
  std::string why_unavailable() const { return "HERD_TEST_SERVERS is not set (ctest starts the test servers)"; }

  // Opens (another) store on this test's database. An unavailable backend opens an SQLite
  // stand-in so the fixture can be built; its tests skip in SetUp.
  std::unique_ptr<MetaStore> open() const {
    if (name_ == "postgres" && available())
      return std::make_unique<PostgresMetaStore>(server_ + " options='-csearch_path=" + schema_ + "'", 8);
    return std::make_unique<SqliteMetaStore>(scratch_ + "/herd.db");
  }

 private:
  std::string name_;
  std::string scratch_;
  std::string server_;  // libpq connection string of the test server
  std::string schema_;  // this test's schema
};

}  // namespace herd::testing_support
