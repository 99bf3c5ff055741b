// herd tenant create|list|delete|set|usage
#include <nlohmann/json.hpp>

#include <iostream>

#include "cli/commands.h"
#include "app/data_dir.h"
#include "pool/tenants.h"

namespace herd::cli {

void add_tenant_commands(CLI::App& app, Common& common) {
  auto* tenant = app.add_subcommand("tenant", "Manage tenants (instances): each has its own keys and buckets");
  tenant->require_subcommand(1);

  static std::string name;
  static bool json = false;
  static bool purge = false;

  auto* create = tenant->add_subcommand("create", "Create a tenant and print its access key and secret (shown once)");
  create->add_option("NAME", name, "Tenant name (a-z 0-9 . _ -)")->required();
  create->add_flag("--json", json, "Print {\"name\",\"access_key\",\"secret_key\"} as JSON");
  add_common_options(*create, common);
  create->callback([&] {
    Config c = common.load();
    DataDir dir(c.data_dir, c.meta, c.blobs);
    Tenant t = create_tenant(dir.pool().meta(), name);
    if (json) {
      std::cout << nlohmann::json{{"name", t.name}, {"access_key", t.access_key}, {"secret_key", t.secret_key}}.dump()
                << "\n";
    } else {
      std::cout << "tenant:     " << t.name << "\naccess key: " << t.access_key << "\nsecret key: " << t.secret_key
                << "\n(the secret is shown only now; store it safely)\n";
    }
  });

  auto* list = tenant->add_subcommand("list", "List tenants (names, access keys, bucket counts)");
  list->add_flag("--json", json, "Print a JSON array");
  add_common_options(*list, common);
  list->callback([&] {
    Config c = common.load();
    DataDir dir(c.data_dir, c.meta, c.blobs);
    MetaStore& meta = dir.pool().meta();
    nlohmann::json out = nlohmann::json::array();
    for (const auto& t : meta.list_tenants()) {
      int64_t buckets = meta.count_buckets(t.id);
      if (json) out.push_back({{"name", t.name}, {"access_key", t.access_key}, {"buckets", buckets}});
      else std::cout << t.name << "\t" << t.access_key << "\t" << buckets << " bucket(s)\n";
    }
    if (json) std::cout << out.dump() << "\n";
  });

  static std::string quota_bytes, quota_objects;
  auto* set = tenant->add_subcommand("set", "Set a tenant's quotas (uploads past one are refused: 403 QuotaExceeded)");
  set->add_option("NAME", name, "Tenant name")->required();
  set->add_option("--quota-bytes", quota_bytes, "Most bytes it may store (what it uploaded; \"none\" removes it)");
  set->add_option("--quota-objects", quota_objects, "Most objects it may store (\"none\" removes it)");
  add_common_options(*set, common);
  set->callback([&] {
    if (quota_bytes.empty() && quota_objects.empty()) throw std::runtime_error("set needs --quota-bytes or --quota-objects");
    Config c = common.load();
    DataDir dir(c.data_dir, c.meta, c.blobs);
    MetaStore& meta = dir.pool().meta();
    auto t = meta.tenant_by_name(name);
    if (!t) throw std::runtime_error("no tenant named '" + name + "'");
    TenantUsage u = meta.tenant_usage(t->id);
    auto parse = [](const std::string& text, const char* what, std::optional<int64_t> keep) -> std::optional<int64_t> {
      if (text.empty()) return keep;
      if (text == "none") return std::nullopt;
      size_t used = 0;
      int64_t v = -1;
      try {
        v = std::stoll(text, &used);
      } catch (const std::exception&) {
      }
      if (used != text.size() || v < 0) throw std::runtime_error(std::string(what) + " must be a number or \"none\"");
      return v;
    };
    auto objects = parse(quota_objects, "--quota-objects", u.quota_objects);
    auto bytes = parse(quota_bytes, "--quota-bytes", u.quota_bytes);
    meta.set_tenant_quota(t->id, objects, bytes);
    auto show = [](const std::optional<int64_t>& q) { return q ? std::to_string(*q) : std::string("none"); };
    std::cout << "tenant " << name << ": quota " << show(bytes) << " bytes, " << show(objects) << " objects\n";
  });

  auto* usage = tenant->add_subcommand("usage", "What tenants store (objects, bytes uploaded) against their quotas");
  usage->add_option("NAME", name, "Tenant name (default: every tenant)");
  usage->add_flag("--json", json, "Print a JSON array");
  add_common_options(*usage, common);
  usage->callback([&] {
    Config c = common.load();
    DataDir dir(c.data_dir, c.meta, c.blobs);
    MetaStore& meta = dir.pool().meta();
    std::vector<Tenant> tenants;
    if (name.empty()) {
      tenants = meta.list_tenants();
    } else {
      auto t = meta.tenant_by_name(name);
      if (!t) throw std::runtime_error("no tenant named '" + name + "'");
      tenants.push_back(*t);
    }
    nlohmann::json out = nlohmann::json::array();
    for (const auto& t : tenants) {
      TenantUsage u = meta.tenant_usage(t.id);
      auto q = [](const std::optional<int64_t>& v) { return v ? nlohmann::json(*v) : nlohmann::json(nullptr); };
      if (json) {
        out.push_back({{"name", t.name}, {"objects", u.objects}, {"logical_bytes", u.logical_bytes},
                       {"quota_objects", q(u.quota_objects)}, {"quota_bytes", q(u.quota_bytes)}});
      } else {
        std::cout << t.name << "\t" << u.objects << " object(s)"
                  << (u.quota_objects ? " of " + std::to_string(*u.quota_objects) : "") << "\t" << u.logical_bytes
                  << " bytes" << (u.quota_bytes ? " of " + std::to_string(*u.quota_bytes) : "") << "\n";
      }
    }
    if (json) std::cout << out.dump() << "\n";
  });

  auto* del = tenant->add_subcommand("delete", "Delete a tenant (its keys stop working at once)");
  del->add_option("NAME", name, "Tenant name")->required();
  del->add_flag("--purge", purge, "Also delete its buckets and objects (blobs are freed by GC)");
  add_common_options(*del, common);
  del->callback([&] {
    Config c = common.load();
    DataDir dir(c.data_dir, c.meta, c.blobs);
    MetaStore& meta = dir.pool().meta();
    auto t = meta.tenant_by_name(name);
    if (!t) throw std::runtime_error("no tenant named '" + name + "'");
    int64_t buckets = meta.count_buckets(t->id);
    if (buckets > 0 && !purge)
      throw std::runtime_error("tenant '" + name + "' still owns " + std::to_string(buckets) +
                               " bucket(s); delete them first or pass --purge");
    dir.pool().delete_tenant(t->id);
    std::cout << "deleted tenant " << name << "\n";
  });
}

}  // namespace herd::cli
