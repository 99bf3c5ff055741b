#include "s3client/request_signer.h"

#include <algorithm>

namespace herd::s3client {

SignedHeaders sign_request(const std::string& method, const std::string& host, const std::string& path,
                           const sigv4::Pairs& query, const sigv4::Pairs& extra_headers,
                           const std::string& payload_sha256, const Credentials& credentials,
                           const std::string& amz_date) {
  sigv4::Credential scope{credentials.access_key, amz_date.substr(0, 8), credentials.region, "s3"};
  sigv4::Pairs headers = extra_headers;
  headers.emplace_back("host", host);
  headers.emplace_back("x-amz-content-sha256", payload_sha256);
  headers.emplace_back("x-amz-date", amz_date);
  std::vector<std::string> names;
  for (const auto& [k, v] : headers) names.push_back(k);
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  sigv4::CanonicalRequest cr{method, path, query, headers, names, payload_sha256};
  std::string sts = sigv4::string_to_sign(amz_date, scope.scope(), sigv4::canonical_request_text(cr));
  std::string signature = sigv4::signature(sigv4::signing_key(credentials.secret_key, scope), sts);
  std::string signed_list;
  for (const auto& n : names) signed_list += (signed_list.empty() ? "" : ";") + n;
  return {"AWS4-HMAC-SHA256 Credential=" + credentials.access_key + "/" + scope.scope() +
              ", SignedHeaders=" + signed_list + ", Signature=" + signature,
          amz_date, payload_sha256};
}

}  // namespace herd::s3client
