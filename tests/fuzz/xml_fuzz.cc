// libFuzzer target: request XML (src/s3/xml.cc parse_xml) and the walks the handlers do over it:
// CompleteMultipartUpload (src/s3/multipart.cc), Delete (src/s3/delete.cc) and
// AccessControlPolicy (src/s3/acl.cc), then the response each would write with XmlWriter.
// The walks are mirrored here because the handlers' helpers are file-local.
//
// Oracles: parse_xml refuses every DOCTYPE/ENTITY (no entity expansion can happen), NUL bytes and
// documents without exactly one root element; a key the
// DeleteObjects walk accepts round-trips through xml_escape and back through pugixml unchanged
// (so the DeleteResult Herd writes is well-formed and names the same key).
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "s3/error.h"
#include "s3/names.h"
#include "s3/xml.h"

#include "fuzz_check.h"

using namespace herd::s3;

namespace {

// multipart.cc parse_int
int parse_int(const std::string& v, int min, int max) {
  int n = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec != std::errc() || p != v.data() + v.size() || n < min || n > max) throw invalid_argument("bad integer");
  return n;
}

std::string unquoted(std::string s) {
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') s = s.substr(1, s.size() - 2);
  return s;
}

void walk_complete(const pugi::xml_document& doc) {
  auto root = doc.child("CompleteMultipartUpload");
  if (!root) throw malformed_xml();
  int previous = 0;
  size_t parts = 0;
  for (auto el : root.children("Part")) {
    int number = parse_int(std::string(el.child_value("PartNumber")), 1, 10000);
    if (number <= previous) throw Error(400, "InvalidPartOrder", "order");
    previous = number;
    std::string etag = unquoted(el.child_value("ETag"));
    std::string crc = el.child_value("ChecksumCRC32");
    (void)etag;
    (void)crc;
    ++parts;
  }
  if (parts == 0) throw malformed_xml();
  CHECK(parts <= 10000);
}

void walk_delete(const pugi::xml_document& doc) {
  auto root = doc.child("Delete");
  if (!root) throw malformed_xml();
  const std::string quiet = root.child_value("Quiet");
  std::vector<std::string> keys;
  XmlWriter x;
  x.open("DeleteResult", true);
  for (auto object : root.children("Object")) {
    if (keys.size() == 1000) throw malformed_xml();
    std::string key = object.child_value("Key");
    if (key.empty() || key.size() > kMaxKeyBytes || !valid_utf8(key)) {
      x.open("Error").leaf("Key", key).leaf("Code", "InvalidArgument").leaf("Message", "Invalid key").close("Error");
      continue;
    }
    keys.push_back(std::move(key));
  }
  if (quiet != "true")
    for (const auto& key : keys) x.open("Deleted").leaf("Key", key).close("Deleted");
  x.close("DeleteResult");
  // The response must parse, and list the accepted keys unchanged (parsed as a conforming client
  // would: whitespace-only text is data, e.g. the key "\t").
  pugi::xml_document out;
  CHECK(static_cast<bool>(out.load_string(x.str().c_str(), pugi::parse_default | pugi::parse_ws_pcdata_single)));
  if (quiet != "true") {
    size_t i = 0;
    for (auto d : out.child("DeleteResult").children("Deleted")) {
      CHECK(i < keys.size());
      CHECK(keys[i] == d.child_value("Key"));
      ++i;
    }
    CHECK(i == keys.size());
  }
}

void walk_acl(const pugi::xml_document& doc) {
  auto policy = doc.child("AccessControlPolicy");
  if (!policy) throw malformed_xml();
  auto list = policy.child("AccessControlList");
  if (!list) throw Error(400, "MalformedACLError", "acl");
  bool public_read = false;
  for (auto grant : list.children("Grant")) {
    std::string_view uri = grant.child("Grantee").child_value("URI");
    std::string_view permission = grant.child_value("Permission");
    if (uri == "http://acs.amazonaws.com/groups/global/AllUsers" && (permission == "READ" || permission == "FULL_CONTROL"))
      public_read = true;
  }
  (void)public_read;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string body(reinterpret_cast<const char*>(data), size);
  pugi::xml_document doc;
  try {
    doc = parse_xml(body);
  } catch (const Error& e) {
    CHECK(e.code == "MalformedXML");
    return 0;
  }
  // Accepted: no DOCTYPE or ENTITY declaration and no NUL was in it, and there is one root element
  // (parse_xml's contract in src/s3/xml.h).
  CHECK(body.find("<!DOCTYPE") == std::string::npos && body.find("<!ENTITY") == std::string::npos);
  CHECK(body.find('\0') == std::string::npos);
  int roots = 0;
  for (auto child : doc.children()) roots += child.type() == pugi::node_element;
  CHECK(roots == 1);
  for (auto walk : {walk_complete, walk_delete, walk_acl}) {
    try {
      walk(doc);
    } catch (const Error&) {
    }
  }
  // Escaping arbitrary text never produces markup.
  std::string escaped = xml_escape(body);
  CHECK(escaped.find('<') == std::string::npos && escaped.find('>') == std::string::npos);
  return 0;
}
