// herd takedown SHA256|URL --reason TEXT: removes a blob from every tenant and refuses its bytes
// from then on; `herd takedown list` shows the takedowns in force, `herd takedown lift SHA256`
// ends one, `herd takedown log` prints the append-only audit log. A URL must be one of this
// pool's own public object, blob or hashlink URLs (app/public_urls.h).
#include <nlohmann/json.hpp>

#include <iostream>
#include <stdexcept>

#include "app/data_dir.h"
#include "app/public_urls.h"
#include "cli/commands.h"
#include "federation/content_digest.h"
#include "federation/own_urls.h"
#include "util/clock.h"
#include "util/hex.h"

namespace herd::cli {

namespace {

// The raw SHA-256 that `what` names: 64 hex digits, a hashlink, or a URL of this pool.
std::string resolve_blob(const std::string& what, const Config& c, Pool& pool) {
  std::string hex = what;
  for (char& ch : hex) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  if (is_lower_hex(hex, 64)) return *from_hex(hex);
  auto link = federation::parse_hashlink(what);
  if (link.status == federation::HashlinkParse::Status::kSha256) return link.sha256;
  auto target = federation::OwnUrls(own_public_urls(c)).resolve(what);
  if (!target)
    throw std::runtime_error("not a SHA-256, a hashlink or a URL of this pool's public endpoint: " + what);
  if (target->kind == federation::OwnUrls::Target::Kind::kBlob) return target->sha256;
  auto bucket = pool.meta().bucket_by_name(target->bucket);
  auto object = bucket ? pool.meta().get_object(bucket->id, target->key) : std::nullopt;
  if (!object) throw std::runtime_error("no object at " + what);
  return object->sha256;
}

}  // namespace

void add_takedown_command(CLI::App& app, Common& common) {
  static std::string what, reason;
  static bool json = false;
  auto* cmd = app.add_subcommand("takedown", "Remove a blob from every tenant and refuse its bytes from now on");
  cmd->add_option("blob", what, "SHA-256 (hex), hashlink, or a URL of this pool's public endpoint");
  cmd->add_option("--reason", reason, "Why (kept in the audit log)");
  add_common_options(*cmd, common);
  cmd->require_subcommand(0, 1);

  auto* list = cmd->add_subcommand("list", "The takedowns in force");
  list->add_flag("--json", json, "Print JSON");
  add_common_options(*list, common);
  auto* lift = cmd->add_subcommand("lift", "End a takedown: the bytes may be stored again");
  static std::string lift_what, lift_reason;
  lift->add_option("blob", lift_what, "SHA-256 (hex) or hashlink")->required();
  lift->add_option("--reason", lift_reason, "Why (kept in the audit log)")->required();
  add_common_options(*lift, common);
  auto* log = cmd->add_subcommand("log", "The audit log of takedowns and lifts, newest first");
  static size_t limit = 100;
  log->add_option("--limit", limit, "Entries to print");
  log->add_flag("--json", json, "Print JSON");
  add_common_options(*log, common);

  cmd->callback([&, list, lift, log] {
    if (list->parsed() || lift->parsed() || log->parsed()) return;
    if (what.empty()) throw std::runtime_error("takedown needs a blob (SHA-256, hashlink or URL), or list|lift|log");
    if (reason.empty()) throw std::runtime_error("takedown needs --reason TEXT (it is kept in the audit log)");
    Config c = common.load();
    DataDir dir(c.data_dir, c.meta, c.blobs);
    const std::string sha = resolve_blob(what, c, dir.pool());
    int64_t removed = dir.pool().take_down(sha, reason);
    std::cout << "takedown: " << to_hex(sha) << ": " << removed << " object(s) deleted in every tenant; "
              << "its bytes are refused from now on (GC removes them after the grace period)\n";
  });
  list->callback([&] {
    Config c = common.load();
    DataDir dir(c.data_dir, c.meta, c.blobs);
    auto all = dir.pool().meta().list_takedowns();
    if (json) {
      nlohmann::json out = nlohmann::json::array();
      for (const auto& t : all)
        out.push_back({{"sha256", to_hex(t.sha256)}, {"reason", t.reason}, {"since", format_iso8601_ms(t.created_ms)}});
      std::cout << out.dump() << "\n";
      return;
    }
    for (const auto& t : all) std::cout << to_hex(t.sha256) << "  " << format_iso8601_ms(t.created_ms) << "  " << t.reason << "\n";
    if (all.empty()) std::cout << "no takedowns\n";
  });
  lift->callback([&] {
    Config c = common.load();
    DataDir dir(c.data_dir, c.meta, c.blobs);
    const std::string sha = resolve_blob(lift_what, c, dir.pool());
    if (!dir.pool().lift_takedown(sha, lift_reason)) throw std::runtime_error(to_hex(sha) + " is not taken down");
    std::cout << "takedown lifted: " << to_hex(sha) << " may be stored again\n";
  });
  log->callback([&] {
    Config c = common.load();
    DataDir dir(c.data_dir, c.meta, c.blobs);
    auto entries = dir.pool().meta().audit_log(limit);
    if (json) {
      nlohmann::json out = nlohmann::json::array();
      for (const auto& e : entries)
        out.push_back({{"at", format_iso8601_ms(e.at_ms)}, {"action", e.action}, {"sha256", to_hex(e.sha256)}, {"detail", e.detail}});
      std::cout << out.dump() << "\n";
      return;
    }
    for (const auto& e : entries)
      std::cout << format_iso8601_ms(e.at_ms) << "  " << e.action << "  " << to_hex(e.sha256) << "  " << e.detail << "\n";
  });
}

}  // namespace herd::cli
