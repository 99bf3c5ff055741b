#include "federation/address_policy.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstring>
#include <initializer_list>
#include <optional>
#include <stdexcept>

namespace herd::federation {

namespace {

using Ip = AddressPolicy::Ip;
using Range = AddressPolicy::Range;

std::optional<Ip> parse_ip(const std::string& text, bool* was_v4 = nullptr) {
  Ip ip{};
  in_addr v4{};
  if (::inet_pton(AF_INET, text.c_str(), &v4) == 1) {
    ip[10] = ip[11] = 0xff;
    std::memcpy(ip.data() + 12, &v4, 4);
    if (was_v4) *was_v4 = true;
    return ip;
  }
  in6_addr v6{};
  if (::inet_pton(AF_INET6, text.c_str(), &v6) == 1) {
    std::memcpy(ip.data(), &v6, 16);
    if (was_v4) *was_v4 = false;
    return ip;
  }
  return std::nullopt;
}

std::optional<Range> parse_cidr(const std::string& text) {
  auto slash = text.find('/');
  if (slash == std::string::npos) return std::nullopt;
  std::string bits = text.substr(slash + 1);
  if (bits.empty() || bits.size() > 3) return std::nullopt;
  for (char c : bits)
    if (c < '0' || c > '9') return std::nullopt;
  bool v4 = false;
  auto ip = parse_ip(text.substr(0, slash), &v4);
  if (!ip) return std::nullopt;
  int prefix = std::stoi(bits);
  if (prefix > (v4 ? 32 : 128)) return std::nullopt;
  Range r{*ip, v4 ? prefix + 96 : prefix};
  for (int bit = r.prefix; bit < 128; ++bit)  // no host bits: "10.0.0.1/8" is a typo, not a range
    if (r.base[bit / 8] & (0x80 >> (bit % 8))) return std::nullopt;
  return r;
}

bool contains(const Range& r, const Ip& ip) {
  int whole = r.prefix / 8;
  if (std::memcmp(r.base.data(), ip.data(), whole) != 0) return false;
  int rest = r.prefix % 8;
  if (rest == 0) return true;
  uint8_t mask = static_cast<uint8_t>(0xff << (8 - rest));
  return (r.base[whole] & mask) == (ip[whole] & mask);
}

std::vector<Range> ranges(std::initializer_list<const char*> cidrs) {
  std::vector<Range> out;
  for (const char* c : cidrs) out.push_back(*parse_cidr(c));
  return out;
}

// Not publicly routable IPv4 (IANA special-purpose registry, as Mastodon's PrivateAddressCheck).
const std::vector<Range>& refused_v4() {
  static const std::vector<Range> r = ranges({
      "0.0.0.0/8",        // this network, unspecified
      "10.0.0.0/8",       // private
      "100.64.0.0/10",    // CGNAT shared address space
      "127.0.0.0/8",      // loopback
      "169.254.0.0/16",   // link-local (cloud metadata endpoints)
      "172.16.0.0/12",    // private
      "192.0.0.0/24",     // IETF protocol assignments
      "192.0.2.0/24",     // TEST-NET-1
      "192.88.99.0/24",   // 6to4 relay anycast
      "192.168.0.0/16",   // private
      "198.18.0.0/15",    // benchmarking
      "198.51.100.0/24",  // TEST-NET-2
      "203.0.113.0/24",   // TEST-NET-3
      "224.0.0.0/4",      // multicast
      "240.0.0.0/4",      // reserved, and 255.255.255.255 broadcast
  });
  return r;
}

// The entries outside 2000::/3 are also caught by the global-unicast rule in allows(); they are
// listed so that this table reads like Mastodon's.
const std::vector<Range>& refused_v6() {
  static const std::vector<Range> r = ranges({
      "::/96",           // unspecified, loopback, IPv4-compatible ::a.b.c.d
      "64:ff9b::/96",    // NAT64 well-known prefix
      "64:ff9b:1::/48",  // NAT64 local-use
      "100::/64",        // discard
      "2001::/32",       // Teredo
      "2001:10::/28",    // ORCHID
      "2001:20::/28",    // ORCHIDv2
      "2001:db8::/32",   // documentation
      "2002::/16",       // 6to4
      "3fff::/20",       // documentation
      "fc00::/7",        // unique local
      "fe80::/10",       // link-local
      "fec0::/10",       // site-local (deprecated)
      "ff00::/8",        // multicast
  });
  return r;
}

const Range& v4_mapped() {
  static const Range r = *parse_cidr("::ffff:0.0.0.0/96");
  return r;
}

const Range& global_unicast() {
  static const Range r = *parse_cidr("2000::/3");
  return r;
}

}  // namespace

AddressPolicy::AddressPolicy(const std::vector<std::string>& allow_private_cidrs) {
  for (const std::string& text : allow_private_cidrs) {
    auto r = parse_cidr(text);
    if (!r) throw std::invalid_argument("[fetch] allow_private: malformed CIDR \"" + text + "\"");
    exempt_.push_back(*r);
  }
}

bool AddressPolicy::allows(const Ip& ip) const {
  for (const Range& r : exempt_)
    if (contains(r, ip)) return true;
  if (contains(v4_mapped(), ip)) {
    for (const Range& r : refused_v4())
      if (contains(r, ip)) return false;
    return true;
  }
  for (const Range& r : refused_v6())
    if (contains(r, ip)) return false;
  // Everything else outside 2000::/3 (e.g. IPv4-translated ::ffff:0:a.b.c.d) is not global unicast.
  return contains(global_unicast(), ip);
}

bool AddressPolicy::allows(const sockaddr* addr) const {
  if (!addr) return false;
  Ip ip{};
  if (addr->sa_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(addr);
    ip[10] = ip[11] = 0xff;
    std::memcpy(ip.data() + 12, &in->sin_addr, 4);
    return allows(ip);
  }
  if (addr->sa_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(addr);
    std::memcpy(ip.data(), &in6->sin6_addr, 16);
    return allows(ip);
  }
  return false;
}

bool AddressPolicy::allows(const std::string& ip) const {
  auto parsed = parse_ip(ip);
  return parsed && allows(*parsed);
}

}  // namespace herd::federation
