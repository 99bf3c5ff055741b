// Tests for s3/acl.h: the AccessControlPolicy documents Get*Acl return (S3's grants, in S3's
// order: the owner's FULL_CONTROL first, then group grants carrying only a URI), and the canned
// ACL an AccessControlPolicy body stands for.
#include "s3/acl.h"

#include <gtest/gtest.h>

#include <string>
#include <tuple>
#include <vector>

#include "s3/error.h"
#include "s3/xml.h"

namespace herd::s3 {
namespace {

constexpr const char* kAllUsers = "http://acs.amazonaws.com/groups/global/AllUsers";
constexpr const char* kAuthenticatedUsers = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers";

// (xsi:type, ID, DisplayName, URI, Permission) of each grant, in document order.
using Grant = std::tuple<std::string, std::string, std::string, std::string, std::string>;

std::vector<Grant> grants(const std::string& xml) {
  pugi::xml_document doc;
  EXPECT_TRUE(doc.load_string(xml.c_str()));
  std::vector<Grant> out;
  for (auto g : doc.child("AccessControlPolicy").child("AccessControlList").children("Grant")) {
    auto grantee = g.child("Grantee");
    out.emplace_back(grantee.attribute("xsi:type").value(), grantee.child_value("ID"),
                     grantee.child_value("DisplayName"), grantee.child_value("URI"), g.child_value("Permission"));
    EXPECT_EQ(grantee.child("ID").empty(), !std::get<3>(out.back()).empty()) << "a group grant has no ID";
  }
  return out;
}

const Grant kOwner{"CanonicalUser", "alice", "alice", "", "FULL_CONTROL"};

TEST(AclPolicyTest, PrivateGrantsTheOwnerOnly) {
  EXPECT_EQ(grants(acl_policy_xml("alice", "private")), std::vector<Grant>{kOwner});
  for (const char* acl : {"bucket-owner-read", "bucket-owner-full-control", "aws-exec-read"})
    EXPECT_EQ(grants(acl_policy_xml("alice", acl)), std::vector<Grant>{kOwner}) << acl;
}

TEST(AclPolicyTest, GroupGrantsFollowTheOwnersInS3Order) {
  EXPECT_EQ(grants(acl_policy_xml("alice", "public-read")),
            (std::vector<Grant>{kOwner, {"Group", "", "", kAllUsers, "READ"}}));
  EXPECT_EQ(grants(acl_policy_xml("alice", "public-read-write")),
            (std::vector<Grant>{kOwner, {"Group", "", "", kAllUsers, "READ"}, {"Group", "", "", kAllUsers, "WRITE"}}));
  EXPECT_EQ(grants(acl_policy_xml("alice", "authenticated-read")),
            (std::vector<Grant>{kOwner, {"Group", "", "", kAuthenticatedUsers, "READ"}}));
}

TEST(AclPolicyTest, OwnerIsNamed) {
  pugi::xml_document doc;
  ASSERT_TRUE(doc.load_string(acl_policy_xml("bob", "private").c_str()));
  EXPECT_STREQ(doc.child("AccessControlPolicy").child("Owner").child_value("ID"), "bob");
  EXPECT_STREQ(doc.child("AccessControlPolicy").child("Owner").child_value("DisplayName"), "bob");
}

std::string policy(const std::vector<std::pair<std::string, std::string>>& group_grants) {
  std::string xml =
      "<AccessControlPolicy><Owner><ID>alice</ID></Owner><AccessControlList><Grant><Grantee><ID>alice</ID>"
      "</Grantee><Permission>FULL_CONTROL</Permission></Grant>";
  for (const auto& [uri, permission] : group_grants)
    xml += "<Grant><Grantee><URI>" + uri + "</URI></Grantee><Permission>" + permission + "</Permission></Grant>";
  return xml + "</AccessControlList></AccessControlPolicy>";
}

TEST(AclFromPolicyTest, GroupGrantsMapToTheirCannedAcl) {
  EXPECT_EQ(acl_from_policy_xml(policy({})), "private");
  EXPECT_EQ(acl_from_policy_xml(policy({{kAllUsers, "READ"}})), "public-read");
  EXPECT_EQ(acl_from_policy_xml(policy({{kAllUsers, "READ"}, {kAllUsers, "WRITE"}})), "public-read-write");
  EXPECT_EQ(acl_from_policy_xml(policy({{kAllUsers, "FULL_CONTROL"}})), "public-read-write");
  EXPECT_EQ(acl_from_policy_xml(policy({{kAllUsers, "WRITE"}})), "private");
  EXPECT_EQ(acl_from_policy_xml(policy({{kAuthenticatedUsers, "READ"}})), "authenticated-read");
  EXPECT_EQ(acl_from_policy_xml(policy({{"http://example.org/not-a-group", "READ"}})), "private");
}

TEST(AclFromPolicyTest, EveryCannedPolicyReadsBackAsItself) {
  for (const char* acl : {"private", "public-read", "public-read-write", "authenticated-read"})
    EXPECT_EQ(acl_from_policy_xml(acl_policy_xml("alice", acl)), acl);
}

TEST(AclFromPolicyTest, MalformedPoliciesAreRefused) {
  auto code = [](const std::string& body) {
    try {
      acl_from_policy_xml(body);
    } catch (const Error& e) {
      return e.code;
    }
    return std::string("none");
  };
  EXPECT_EQ(code("<NotAPolicy/>"), "MalformedXML");
  EXPECT_EQ(code("<AccessControlPolicy><Owner/></AccessControlPolicy>"), "MalformedACLError");
  EXPECT_EQ(code("not xml"), "MalformedXML");
}

}  // namespace
}  // namespace herd::s3
