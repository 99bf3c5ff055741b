// OwnUrls: which URLs name this pool's own public bytes; UrlCache: expiry, capacity, forgetting.
#include <gtest/gtest.h>

#include <thread>

#include "federation/content_digest.h"
#include "federation/own_urls.h"
#include "federation/url_cache.h"
#include "util/digest.h"
#include "util/hex.h"

namespace herd::federation {
namespace {

using Kind = OwnUrls::Target::Kind;

TEST(OwnUrls, BlobObjectAndHashlinkUrlsUnderABaseResolve) {
  OwnUrls own({"http://127.0.0.1:9080", "https://Media.Example.org/cdn/"});
  const std::string sha = sha256("x"), hex = to_hex(sha);
  auto blob = own.resolve("https://media.example.org/cdn/blobs/" + hex + ".jpg");
  ASSERT_TRUE(blob.has_value());
  EXPECT_EQ(blob->kind, Kind::kBlob);
  EXPECT_EQ(blob->sha256, sha);
  auto link = own.resolve("http://127.0.0.1:9080/.well-known/apgateway/hl:" + digest_multibase(sha));
  ASSERT_TRUE(link.has_value());
  EXPECT_EQ(link->sha256, sha);
  auto object = own.resolve("https://media.example.org:443/cdn/bucket/media/a%20b.png");
  ASSERT_TRUE(object.has_value());
  EXPECT_EQ(object->kind, Kind::kObject);
  EXPECT_EQ(object->bucket, "bucket");
  EXPECT_EQ(object->key, "media/a b.png");
}

TEST(OwnUrls, OtherHostsPortsSchemesAndPrefixesDoNot) {
  OwnUrls own({"http://127.0.0.1:9080", "https://media.example.org/cdn"});
  const std::string hex = to_hex(sha256("x"));
  EXPECT_FALSE(own.resolve("http://127.0.0.1:9081/blobs/" + hex));
  EXPECT_FALSE(own.resolve("https://127.0.0.1:9080/blobs/" + hex));
  EXPECT_FALSE(own.resolve("https://media.example.org/blobs/" + hex));        // outside the prefix
  EXPECT_FALSE(own.resolve("https://media.example.org/cdnx/bucket/key"));
  EXPECT_FALSE(own.resolve("https://evil.example/cdn/blobs/" + hex));
  EXPECT_FALSE(own.resolve("http://127.0.0.1:9080/blobs/" + hex.substr(1)));  // not a digest
  EXPECT_FALSE(own.resolve("http://127.0.0.1:9080/bucket-only"));
  EXPECT_FALSE(own.resolve("not a url"));
  EXPECT_THROW(OwnUrls({"ftp://x"}), std::invalid_argument);
}

TEST(UrlCache, EntriesExpireAndTheOldestLeaveFirst) {
  UrlCache cache(std::chrono::seconds(1), 2);
  cache.put("a", {"sa", "image/png"});
  cache.put("b", {"sb", ""});
  ASSERT_TRUE(cache.find("a").has_value());
  EXPECT_EQ(cache.find("a")->content_type, "image/png");
  cache.put("c", {"sc", ""});  // over capacity: "a" goes
  EXPECT_FALSE(cache.find("a").has_value());
  EXPECT_EQ(cache.find("c")->sha256, "sc");
  cache.forget("c");
  EXPECT_FALSE(cache.find("c").has_value());
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  EXPECT_FALSE(cache.find("b").has_value());
  UrlCache off(std::chrono::seconds(0), 10);
  off.put("a", {"sa", ""});
  EXPECT_FALSE(off.find("a").has_value());
}

}  // namespace
}  // namespace herd::federation
