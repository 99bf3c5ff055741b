// Tests for config/config.h: the shipped herd.example.toml states exactly the built-in defaults,
// bad [meta] and [blobs] settings are refused with a clear message, and the environment
// overrides secrets.
#include "config/config.h"

#include <gtest/gtest.h>

#include <cstdlib>
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
  Config c = load_config(write(dir, "[meta]\nbackend = \"postgres\"\nurl = \"dbname=herd\"\n"));
  EXPECT_EQ(c.meta.backend, "postgres");
  EXPECT_EQ(c.meta.url, "dbname=herd");
  EXPECT_EQ(c.meta.connections, 16);
}

TEST(ConfigTest, BlobBackendIsCheckedAndS3NeedsEndpointAndKeys) {
  testing_support::ScratchDir dir;
  EXPECT_THROW(load_config(write(dir, "[blobs]\nbackend = \"nfs\"\n")), std::runtime_error);
  EXPECT_THROW(load_config(write(dir, "[blobs]\nbackend = \"s3\"\n")), std::runtime_error);
  EXPECT_THROW(load_config(write(dir, "[blobs]\nbackend = \"s3\"\nendpoint = \"127.0.0.1:7480\"\n"
                                      "access_key = \"a\"\nsecret_key = \"b\"\n")),
               std::runtime_error);
  EXPECT_THROW(load_config(write(dir, "[blobs]\npart_size = 1024\n")), std::runtime_error);
  Config c = load_config(write(dir, "[blobs]\nbackend = \"s3\"\nendpoint = \"http://127.0.0.1:7480/\"\n"
                                    "access_key = \"a\"\nsecret_key = \"b\"\n"));
  EXPECT_EQ(c.blobs.endpoint, "http://127.0.0.1:7480");
  EXPECT_EQ(c.blobs.bucket, "herd-blobs");
}

TEST(ConfigTest, TheEnvironmentOverridesSecrets) {
  testing_support::ScratchDir dir;
  ::setenv("HERD_META_URL", "dbname=from_env", 1);
  ::setenv("HERD_BLOBS_SECRET_KEY", "env-secret", 1);
  Config c = load_config(write(dir, "[meta]\nbackend = \"postgres\"\n[blobs]\nbackend = \"s3\"\n"
                                    "endpoint = \"http://127.0.0.1:1\"\naccess_key = \"a\"\nsecret_key = \"file\"\n"));
  ::unsetenv("HERD_META_URL");
  ::unsetenv("HERD_BLOBS_SECRET_KEY");
  EXPECT_EQ(c.meta.url, "dbname=from_env");
  EXPECT_EQ(c.blobs.secret_key, "env-secret");
}

}  // namespace
}  // namespace herd
