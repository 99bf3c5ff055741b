#include "pool/object_cache.h"

namespace herd {

std::string ObjectCache::object_key(int64_t bucket_id, const std::string& key) {
  std::string k = std::to_string(bucket_id);
  k.push_back('\0');
  k += key;
  return k;
}

template <typename Map>
void ObjectCache::make_room(Map& map) {
  if (map.size() >= capacity_) map.clear();
}

uint64_t ObjectCache::epoch() {
  std::lock_guard lock(mu_);
  return epoch_;
}

std::optional<Bucket> ObjectCache::bucket(const std::string& name) {
  std::lock_guard lock(mu_);
  auto it = buckets_.find(name);
  if (it == buckets_.end()) return std::nullopt;
  if (Clock::now() >= it->second.expires) {
    buckets_.erase(it);
    return std::nullopt;
  }
  return it->second.value;
}

void ObjectCache::put_bucket(const Bucket& bucket, uint64_t read_epoch) {
  std::lock_guard lock(mu_);
  if (read_epoch != epoch_) return;
  make_room(buckets_);
  buckets_[bucket.name] = {bucket, Clock::now() + ttl_};
}

std::optional<std::optional<ObjectRecord>> ObjectCache::object(int64_t bucket_id, const std::string& key) {
  std::lock_guard lock(mu_);
  auto it = objects_.find(object_key(bucket_id, key));
  if (it == objects_.end()) return std::nullopt;
  if (Clock::now() >= it->second.expires) {
    objects_.erase(it);
    return std::nullopt;
  }
  return it->second.value;
}

void ObjectCache::put_object(int64_t bucket_id, const std::string& key, std::optional<ObjectRecord> object,
                             uint64_t read_epoch) {
  std::lock_guard lock(mu_);
  if (read_epoch != epoch_) return;
  make_room(objects_);
  objects_[object_key(bucket_id, key)] = {std::move(object), Clock::now() + ttl_};
}

void ObjectCache::invalidate_object(int64_t bucket_id, const std::string& key) {
  std::lock_guard lock(mu_);
  ++epoch_;
  objects_.erase(object_key(bucket_id, key));
}

void ObjectCache::invalidate_bucket(int64_t bucket_id) {
  std::lock_guard lock(mu_);
  ++epoch_;
  std::erase_if(buckets_, [&](const auto& kv) { return kv.second.value.id == bucket_id; });
  const std::string prefix = std::to_string(bucket_id) + '\0';
  std::erase_if(objects_, [&](const auto& kv) { return kv.first.starts_with(prefix); });
}

void ObjectCache::clear() {
  std::lock_guard lock(mu_);
  ++epoch_;
  buckets_.clear();
  objects_.clear();
}

}  // namespace herd
