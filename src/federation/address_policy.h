#pragma once
// Which peer addresses the fetcher may connect to: public unicast only, unless an address falls in
// one of the configured exemptions ([fetch] allow_private). Refused: IPv4 this-network, private
// (RFC 1918), CGNAT, loopback, link-local, IETF/documentation/benchmarking ranges, 6to4 relay,
// multicast, reserved and broadcast; IPv6 unspecified, loopback, IPv4-compatible, NAT64, discard,
// Teredo, ORCHID, documentation, 6to4, unique-local, link-local, site-local, multicast, and anything
// outside global unicast 2000::/3. An IPv4-mapped IPv6 address (::ffff:a.b.c.d) is judged as the
// IPv4 address it reaches, exemptions included.
#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace herd::federation {

// Immutable after construction; thread-safe.
class AddressPolicy {
 public:
  // `allow_private_cidrs`: "a.b.c.d/n" or "ipv6/n", with no bits set past the prefix.
  // Throws std::invalid_argument naming a malformed CIDR.
  explicit AddressPolicy(const std::vector<std::string>& allow_private_cidrs);

  // True when connecting to `addr` (AF_INET or AF_INET6 sockaddr) is allowed; false for any other
  // family.
  bool allows(const sockaddr* addr) const;
  // Same for a textual IP ("10.0.0.1", "::ffff:127.0.0.1"); false for non-IPs (host names, zones).
  bool allows(const std::string& ip) const;

  // An address as 16 bytes, IPv4 held in its IPv4-mapped form; a range of them.
  using Ip = std::array<uint8_t, 16>;
  struct Range {
    Ip base{};
    int prefix = 0;  // bits, 0..128
  };

 private:
  bool allows(const Ip& ip) const;

  std::vector<Range> exempt_;
};

}  // namespace herd::federation
