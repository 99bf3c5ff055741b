// herd retrieve URL --bucket B --key K: a client of the federation API's upload by URL
// (POST /_herd/v1/retrieve) for scripts and tests. Talks to a running server (--endpoint, default
// the configured listen address) with a tenant's keys (--access-key/--secret-key, or
// $HERD_ACCESS_KEY/$HERD_SECRET_KEY, or $AWS_ACCESS_KEY_ID/$AWS_SECRET_ACCESS_KEY); prints the
// server's JSON answer, or its error, and exits non-zero on failure.
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <iostream>
#include <stdexcept>

#include "cli/commands.h"
#include "s3client/client.h"
#include "util/digest.h"

namespace herd::cli {

namespace {

std::string from_env(std::initializer_list<const char*> names) {
  for (const char* name : names)
    if (const char* v = std::getenv(name); v && *v) return v;
  return {};
}

}  // namespace

void add_retrieve_command(CLI::App& app, Common& common) {
  static std::string url, bucket, key, acl, content_type, endpoint, access_key, secret_key, region = "us-east-1";
  auto* cmd = app.add_subcommand("retrieve", "Make BUCKET/KEY hold the bytes at URL, fetched by the pool at most once");
  cmd->add_option("url", url, "http(s) URL of the remote file")->required();
  cmd->add_option("--bucket", bucket, "Your bucket")->required();
  cmd->add_option("--key", key, "Object key")->required();
  cmd->add_option("--acl", acl, "Canned ACL of the object (default private; public-read for media)");
  cmd->add_option("--content-type", content_type, "Content-Type of the object (default: the origin's)");
  cmd->add_option("--endpoint", endpoint, "The server's S3 endpoint (default: http:// + the configured listen)");
  cmd->add_option("--access-key", access_key, "Tenant access key (or $HERD_ACCESS_KEY, $AWS_ACCESS_KEY_ID)");
  cmd->add_option("--secret-key", secret_key, "Tenant secret key (or $HERD_SECRET_KEY, $AWS_SECRET_ACCESS_KEY)");
  cmd->add_option("--region", region, "Region to sign with");
  add_common_options(*cmd, common);
  cmd->callback([&] {
    if (endpoint.empty()) endpoint = "http://" + common.load().listen;
    while (!endpoint.empty() && endpoint.back() == '/') endpoint.pop_back();
    if (access_key.empty()) access_key = from_env({"HERD_ACCESS_KEY", "AWS_ACCESS_KEY_ID"});
    if (secret_key.empty()) secret_key = from_env({"HERD_SECRET_KEY", "AWS_SECRET_ACCESS_KEY"});
    if (access_key.empty() || secret_key.empty())
      throw std::runtime_error("retrieve needs a tenant's keys: --access-key and --secret-key (or $HERD_ACCESS_KEY "
                               "and $HERD_SECRET_KEY)");
    nlohmann::json request{{"url", url}, {"bucket", bucket}, {"key", key}};
    if (!acl.empty()) request["acl"] = acl;
    if (!content_type.empty()) request["content_type"] = content_type;
    const std::string body = request.dump();

    s3client::Target target{endpoint, "_herd", {access_key, secret_key, region}, std::chrono::seconds(120), false};
    s3client::Client client(target);
    s3client::Body payload;
    payload.memory = body;
    payload.sha256_hex = sha256_hex(body);
    auto reply = client.request("POST", "v1/retrieve", {}, {{"content-type", "application/json"}}, &payload);
    auto answer = nlohmann::json::parse(reply.body, nullptr, false);
    if (reply.status == 200 && answer.is_object()) {
      std::cout << answer.dump() << "\n";
      return;
    }
    std::string why = answer.is_object() && answer.contains("message")
                          ? answer.value("error", std::string()) + ": " + answer.value("message", std::string())
                          : reply.body;
    throw std::runtime_error("retrieve failed (HTTP " + std::to_string(reply.status) + "): " + why);
  });
}

}  // namespace herd::cli
