// AddressPolicy: the addresses the fetcher refuses to connect to (SSRF), and the allow_private
// exemption.
#include "federation/address_policy.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/un.h>

#include <stdexcept>
#include <string>
#include <vector>

namespace herd::federation {
namespace {

const AddressPolicy kDefault({});

// An address and the range it stands for.
struct Case {
  const char* ip;
  const char* range;
};

TEST(AddressPolicy, RefusesEveryNonPublicIpv4Range) {
  for (const Case& c : std::vector<Case>{
           {"0.0.0.0", "0/8 unspecified"},
           {"0.1.2.3", "0/8"},
           {"10.0.0.1", "10/8"},
           {"10.255.255.255", "10/8"},
           {"100.64.0.1", "100.64/10 CGNAT"},
           {"100.127.255.254", "100.64/10 CGNAT"},
           {"127.0.0.1", "127/8"},
           {"127.0.0.2", "127/8"},
           {"127.255.255.255", "127/8"},
           {"169.254.169.254", "169.254/16 (cloud metadata)"},
           {"172.16.0.1", "172.16/12"},
           {"172.31.255.255", "172.16/12"},
           {"192.0.0.1", "192.0.0/24 IETF"},
           {"192.0.2.1", "192.0.2/24 TEST-NET-1"},
           {"192.88.99.1", "192.88.99/24 6to4 relay"},
           {"192.168.0.1", "192.168/16"},
           {"192.168.255.255", "192.168/16"},
           {"198.18.0.1", "198.18/15 benchmarking"},
           {"198.19.255.255", "198.18/15 benchmarking"},
           {"198.51.100.1", "198.51.100/24 TEST-NET-2"},
           {"203.0.113.1", "203.0.113/24 TEST-NET-3"},
           {"224.0.0.1", "224/4 multicast"},
           {"239.255.255.255", "224/4 multicast"},
           {"240.0.0.1", "240/4 reserved"},
           {"255.255.255.254", "240/4 reserved"},
           {"255.255.255.255", "broadcast"},
       })
    EXPECT_FALSE(kDefault.allows(std::string(c.ip))) << c.ip << " in " << c.range;
}

TEST(AddressPolicy, RefusesEveryNonPublicIpv6Range) {
  for (const Case& c : std::vector<Case>{
           {"::", "unspecified"},
           {"::1", "loopback"},
           {"::10.0.0.1", "IPv4-compatible ::/96"},
           {"::8.8.8.8", "IPv4-compatible ::/96"},
           {"::ffff:10.0.0.1", "IPv4-mapped private"},
           {"::ffff:127.0.0.1", "IPv4-mapped loopback"},
           {"::ffff:169.254.169.254", "IPv4-mapped link-local"},
           {"::ffff:0.0.0.0", "IPv4-mapped unspecified"},
           {"::ffff:0:7f00:1", "IPv4-translated (outside 2000::/3)"},
           {"::ffff:0:808:808", "IPv4-translated (outside 2000::/3)"},
           {"64:ff9b::a00:1", "NAT64 64:ff9b::/96, refused outright"},
           {"64:ff9b::808:808", "NAT64 64:ff9b::/96, refused outright"},
           {"64:ff9b:1::1", "NAT64 local-use 64:ff9b:1::/48"},
           {"100::1", "discard 100::/64"},
           {"2001::1", "Teredo 2001::/32"},
           {"2001:0:ffff::1", "Teredo 2001::/32"},
           {"2001:10::1", "ORCHID 2001:10::/28"},
           {"2001:20::1", "ORCHIDv2 2001:20::/28"},
           {"2001:2f:ffff::1", "ORCHIDv2 2001:20::/28"},
           {"2001:db8::1", "documentation 2001:db8::/32"},
           {"2002::1", "6to4 2002::/16"},
           {"2002:7f00:1::1", "6to4 2002::/16"},
           {"3fff::1", "documentation 3fff::/20"},
           {"3fff:fff::1", "documentation 3fff::/20"},
           {"fc00::1", "unique local fc00::/7"},
           {"fd12:3456::1", "unique local fc00::/7"},
           {"fe80::1", "link-local fe80::/10"},
           {"febf::1", "link-local fe80::/10"},
           {"fec0::1", "site-local fec0::/10"},
           {"ff02::1", "multicast ff00::/8"},
           {"ff0e::1", "multicast ff00::/8"},
           {"4000::1", "not global unicast"},
           {"e000::1", "not global unicast"},
       })
    EXPECT_FALSE(kDefault.allows(std::string(c.ip))) << c.ip << " in " << c.range;
}

TEST(AddressPolicy, AllowsPublicAddresses) {
  for (const Case& c : std::vector<Case>{
           {"93.184.216.34", "public"},
           {"1.1.1.1", "public"},
           {"8.8.8.8", "public"},
           {"9.255.255.255", "just below 10/8"},
           {"11.0.0.0", "just above 10/8"},
           {"100.63.255.255", "just below 100.64/10"},
           {"100.128.0.0", "just above 100.64/10"},
           {"172.15.255.255", "just below 172.16/12"},
           {"172.32.0.0", "just above 172.16/12"},
           {"198.17.255.255", "just below 198.18/15"},
           {"198.20.0.0", "just above 198.18/15"},
           {"223.255.255.255", "just below 224/4"},
           {"::ffff:93.184.216.34", "IPv4-mapped public"},
           {"2606:2800:220:1::1", "public"},
           {"2001:4860:4860::8888", "public"},
           {"2a00:1450:4001::1", "public"},
           {"2001:30::1", "just above 2001:20::/28"},
           {"3ffe::1", "just below 3fff::/20"},
           {"3fff:1000::1", "just above 3fff::/20"},
       })
    EXPECT_TRUE(kDefault.allows(std::string(c.ip))) << c.ip << ": " << c.range;
}

TEST(AddressPolicy, NonIpsAreRefused) {
  for (const char* text : {"", "localhost", "example.com", "127.1", "0x7f.0.0.1", "2130706433", "[::1]", "fe80::1%lo",
                           "1.2.3.4/32", " 1.1.1.1"})
    EXPECT_FALSE(kDefault.allows(std::string(text))) << text;
}

TEST(AddressPolicy, ExemptionCoversExactlyItsRange) {
  AddressPolicy p({"127.0.0.1/32"});
  EXPECT_TRUE(p.allows(std::string("127.0.0.1")));
  EXPECT_TRUE(p.allows(std::string("::ffff:127.0.0.1")));  // the same IPv4 address, mapped
  EXPECT_FALSE(p.allows(std::string("127.0.0.2")));
  EXPECT_FALSE(p.allows(std::string("::1")));
  EXPECT_FALSE(p.allows(std::string("10.0.0.1")));
  EXPECT_TRUE(p.allows(std::string("1.1.1.1")));
}

TEST(AddressPolicy, Ipv6AndWiderExemptions) {
  AddressPolicy p({"::1/128", "10.1.0.0/16", "fd00::/8"});
  EXPECT_TRUE(p.allows(std::string("::1")));
  EXPECT_FALSE(p.allows(std::string("::2")));
  EXPECT_FALSE(p.allows(std::string("127.0.0.1")));
  EXPECT_TRUE(p.allows(std::string("10.1.2.3")));
  EXPECT_TRUE(p.allows(std::string("::ffff:10.1.2.3")));
  EXPECT_FALSE(p.allows(std::string("10.2.0.1")));
  EXPECT_TRUE(p.allows(std::string("fd12::1")));
  EXPECT_FALSE(p.allows(std::string("fc00::1")));
}

TEST(AddressPolicy, MalformedCidrsThrowNamingTheCidr) {
  for (const char* bad : {"127.0.0.1", "127.0.0.1/33", "::1/129", "127.0.0.1/", "127.0.0.1/-1", "127.0.0.1/+8",
                          "localhost/32", "10.0.0.1/8", "fe80::1/10", "1.2.3/24", "/8", "10.0.0.0/8 ", "::/1000"}) {
    try {
      AddressPolicy p({"10.0.0.0/8", bad});
      ADD_FAILURE() << "accepted " << bad;
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find(std::string("\"") + bad + "\""), std::string::npos) << e.what();
    }
  }
  EXPECT_NO_THROW(AddressPolicy({"0.0.0.0/0", "::/0", "192.168.1.0/24", "fd00::/8", "127.0.0.1/32"}));
}

TEST(AddressPolicy, JudgesSockaddrs) {
  AddressPolicy p({"127.0.0.1/32"});
  sockaddr_in v4{};
  v4.sin_family = AF_INET;
  ::inet_pton(AF_INET, "127.0.0.1", &v4.sin_addr);
  EXPECT_TRUE(p.allows(reinterpret_cast<const sockaddr*>(&v4)));
  EXPECT_FALSE(kDefault.allows(reinterpret_cast<const sockaddr*>(&v4)));
  ::inet_pton(AF_INET, "93.184.216.34", &v4.sin_addr);
  EXPECT_TRUE(kDefault.allows(reinterpret_cast<const sockaddr*>(&v4)));

  sockaddr_in6 v6{};
  v6.sin6_family = AF_INET6;
  ::inet_pton(AF_INET6, "::ffff:127.0.0.1", &v6.sin6_addr);
  EXPECT_TRUE(p.allows(reinterpret_cast<const sockaddr*>(&v6)));
  EXPECT_FALSE(kDefault.allows(reinterpret_cast<const sockaddr*>(&v6)));
  ::inet_pton(AF_INET6, "2606:2800:220:1::1", &v6.sin6_addr);
  EXPECT_TRUE(kDefault.allows(reinterpret_cast<const sockaddr*>(&v6)));
  ::inet_pton(AF_INET6, "fe80::1", &v6.sin6_addr);
  EXPECT_FALSE(kDefault.allows(reinterpret_cast<const sockaddr*>(&v6)));

  sockaddr_un unix_addr{};
  unix_addr.sun_family = AF_UNIX;
  EXPECT_FALSE(AddressPolicy({"0.0.0.0/0", "::/0"}).allows(reinterpret_cast<const sockaddr*>(&unix_addr)));
  EXPECT_FALSE(kDefault.allows(static_cast<const sockaddr*>(nullptr)));
}

}  // namespace
}  // namespace herd::federation
