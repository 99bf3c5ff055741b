// Tests for config/config.h: the shipped herd.example.toml states exactly the built-in defaults,
// and bad [meta] settings are refused with a clear message.
#include "config/config.h"

#include <gtest/gtest.h>

#include <fstream>

#include "scratch_dir.h"

namespace herd {
namespace {

TEST(ConfigTest, TheExampleFileStatesTheDefaults) {
  Config example = load_config(std::string(HERD_SOURCE_DIR) + "/herd.example.toml");
  EXPECT_TRUE(example == Config{}) << "herd.example.toml and the defaults in the options structs disagree";
}

std::string write(const testing_support::ScratchDir& dir, const std::string& text) {
  std::string path = dir.path() + "/herd.toml";
  std::ofstream(path) << text;
  return path;
}

TEST(ConfigTest, MetaBackendIsCheckedAndPostgresNeedsAUrl) {
  testing_support::ScratchDir dir;
  EXPECT_THROW(load_config(write(dir, "[meta]\nbackend = \"mysql\"\n")), std::runtime_error);
  EXPECT_THROW(load_config(write(dir, "[meta]\nbackend = \"postgres\"\n")), std::runtime_error);
  EXPECT_THROW(load_config(write(dir, "[meta]\nbackend = \"sqlite\"\nhost = \"x\"\n")), std::runtime_error);
  Config c = load_config(write(dir, "[meta]\nbackend = \"postgres\"\npostgres_url = \"dbname=herd\"\n"));
  EXPECT_EQ(c.meta.backend, "postgres");
  EXPECT_EQ(c.meta.postgres_url, "dbname=herd");
  EXPECT_EQ(c.meta.postgres_connections, 16);
}

}  // namespace
}  // namespace herd
