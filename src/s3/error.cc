#include "s3/error.h"

#include "s3/xml.h"

namespace herd::s3 {

Error access_denied() { return {403, "AccessDenied", "Access Denied"}; }
Error invalid_access_key_id() {
  return {403, "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records."};
}
Error signature_does_not_match() {
  return {403, "SignatureDoesNotMatch",
          "The request signature we calculated does not match the signature you provided. Check your key and "
          "signing method."};
}
Error request_time_too_skewed() {
  return {403, "RequestTimeTooSkewed", "The difference between the request time and the current time is too large."};
}
Error authorization_malformed(const std::string& why) {
  return {400, "AuthorizationHeaderMalformed", "The authorization header is malformed; " + why};
}
Error no_such_bucket() { return {404, "NoSuchBucket", "The specified bucket does not exist"}; }
Error no_such_key() { return {404, "NoSuchKey", "The specified key does not exist."}; }
Error bucket_not_empty() { return {409, "BucketNotEmpty", "The bucket you tried to delete is not empty"}; }
Error bucket_already_exists() {
  return {409, "BucketAlreadyExists",
          "The requested bucket name is not available. The bucket namespace is shared by all users of the "
          "system. Please select a different name and try again."};
}
Error bucket_already_owned_by_you() {
  return {409, "BucketAlreadyOwnedByYou",
          "Your previous request to create the named bucket succeeded and you already own it."};
}
Error invalid_bucket_name() { return {400, "InvalidBucketName", "The specified bucket is not valid."}; }
Error key_too_long() { return {400, "KeyTooLongError", "Your key is too long"}; }
Error entity_too_large() {
  return {400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed object size."};
}
Error incomplete_body() {
  return {400, "IncompleteBody", "You did not provide the number of bytes specified by the Content-Length HTTP header"};
}
Error content_sha256_mismatch() {
  return {400, "XAmzContentSHA256Mismatch", "The provided 'x-amz-content-sha256' header does not match what was computed."};
}
Error bad_digest() { return {400, "BadDigest", "The Content-MD5 you specified did not match what we received."}; }
Error bad_checksum(std::string_view algorithm) {
  return {400, "BadDigest", "The " + std::string(algorithm) + " you specified did not match the calculated checksum."};
}
Error invalid_digest() { return {400, "InvalidDigest", "The Content-MD5 you specified is not valid."}; }
Error missing_content_length() {
  return {411, "MissingContentLength", "You must provide the Content-Length HTTP header."};
}
Error method_not_allowed() {
  return {405, "MethodNotAllowed", "The specified method is not allowed against this resource."};
}
Error not_implemented(const std::string& what) {
  return {501, "NotImplemented", "A header or query you provided implies functionality that is not implemented: " + what};
}
Error invalid_argument(const std::string& why) { return {400, "InvalidArgument", why}; }
Error invalid_request(const std::string& why) { return {400, "InvalidRequest", why}; }
Error malformed_xml() {
  return {400, "MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema."};
}
Error metadata_too_large() {
  return {400, "MetadataTooLarge", "Your metadata headers exceed the maximum allowed metadata size."};
}
Error invalid_range(int64_t size) {
  Error e{416, "InvalidRange", "The requested range is not satisfiable"};
  e.headers.emplace_back("Content-Range", "bytes */" + std::to_string(size));
  return e;
}
Error internal_error() { return {500, "InternalError", "We encountered an internal error. Please try again."}; }

std::string error_xml(const std::string& code, const std::string& message, const std::string& resource,
                      const std::string& request_id) {
  XmlWriter x;
  x.open("Error", false);
  x.leaf("Code", code);
  x.leaf("Message", message);
  if (!resource.empty()) x.leaf("Resource", resource);
  x.leaf("RequestId", request_id);
  x.close("Error");
  return x.str();
}

}  // namespace herd::s3
