// herd tenant create|list|delete
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
