#pragma once
// Canned ACLs: what PutObjectAcl/PutBucketAcl and x-amz-acl set, and the AccessControlPolicy
// documents Get*Acl return. Herd keeps one canned ACL per object and per bucket.
// Pure functions; thread-safe.
#include <string>
#include <string_view>

#include "http/exchange.h"

namespace herd::s3 {

// One of S3's canned ACL names.
bool valid_canned_acl(std::string_view acl);
// Whether an ACL lets anyone (anonymous clients, other tenants) read.
bool acl_is_public_read(std::string_view acl);

// The ACL a Put*Acl request asks for: the x-amz-acl header, x-amz-grant-read / -write /
// -full-control headers, or an AccessControlPolicy XML body (acl_from_policy_xml).
// Throws InvalidArgument / MissingSecurityHeader / MalformedXML / MalformedACLError.
std::string acl_from_request(const http::Exchange& ex, const std::string& body);

// The canned ACL closest to an AccessControlPolicy body's group grants: AllUsers READ and WRITE →
// public-read-write, AllUsers READ → public-read, AuthenticatedUsers READ → authenticated-read,
// otherwise private (FULL_CONTROL counts as both). Throws MalformedXML / MalformedACLError.
std::string acl_from_policy_xml(const std::string& body);

// <AccessControlPolicy> for the owner and the canned ACL, with S3's grants in S3's order: the
// owner's FULL_CONTROL, then each group grant (Grantee with URI only).
std::string acl_policy_xml(const std::string& owner, std::string_view acl);

}  // namespace herd::s3
