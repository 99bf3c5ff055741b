#include "s3/xml.h"

#include <cstdio>
#include <cstring>
#include <utility>

#include "s3/error.h"

namespace herd::s3 {

std::string xml_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default:
        if (c < 0x20 && c != '\t' && c != '\n') {
          char buf[8];
          std::snprintf(buf, sizeof buf, "&#x%X;", c);
          out += buf;
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  return out;
}

XmlWriter& XmlWriter::open(std::string_view name, bool s3_namespace) {
  out_ += '<';
  out_ += name;
  if (s3_namespace) out_ += R"( xmlns="http://s3.amazonaws.com/doc/2006-03-01/")";
  out_ += '>';
  return *this;
}

XmlWriter& XmlWriter::close(std::string_view name) {
  out_ += "</";
  out_ += name;
  out_ += '>';
  return *this;
}

XmlWriter& XmlWriter::raw(std::string_view markup) {
  out_ += markup;
  return *this;
}

namespace {

// A code point XML allows in a document (the Char production).
bool xml_char(unsigned long c) {
  return c == 0x9 || c == 0xA || c == 0xD || (c >= 0x20 && c <= 0xD7FF) || (c >= 0xE000 && c <= 0xFFFD) ||
         (c >= 0x10000 && c <= 0x10FFFF);
}

// True when every '&' starts one of XML's predefined entities or a character reference to an
// allowed character. pugixml leaves unknown entities in place and decodes &#0; to a NUL that
// would silently truncate a key, so both are refused here.
bool only_valid_references(const std::string& body) {
  size_t p = 0;
  while ((p = body.find_first_of("<&", p)) != std::string::npos) {
    if (body[p] == '<') {
      // CDATA sections, comments and processing instructions hold no references: skip them.
      for (auto [open, close] : {std::pair{"<![CDATA[", "]]>"}, std::pair{"<!--", "-->"}, std::pair{"<?", "?>"}}) {
        if (body.compare(p, std::strlen(open), open) == 0) {
          size_t end = body.find(close, p + std::strlen(open));
          if (end == std::string::npos) return false;
          p = end + std::strlen(close) - 1;
          break;
        }
      }
      ++p;
      continue;
    }
    size_t semi = body.find(';', p);
    if (semi == std::string::npos || semi - p > 12) return false;
    std::string_view name(body.data() + p + 1, semi - p - 1);
    p = semi + 1;
    if (name == "amp" || name == "lt" || name == "gt" || name == "quot" || name == "apos") continue;
    if (name.size() < 2 || name[0] != '#') return false;
    const bool hex = name[1] == 'x';
    std::string digits(name.substr(hex ? 2 : 1));
    if (digits.empty() || digits.size() > 8 ||
        digits.find_first_not_of(hex ? "0123456789abcdefABCDEF" : "0123456789") != std::string::npos)
      return false;
    if (!xml_char(std::stoul(digits, nullptr, hex ? 16 : 10))) return false;
  }
  return true;
}

}  // namespace

pugi::xml_document parse_xml(const std::string& body) {
  pugi::xml_document doc;
  if (body.find("<!DOCTYPE") != std::string::npos || body.find("<!ENTITY") != std::string::npos ||
      body.find('\0') != std::string::npos || !only_valid_references(body))
    throw malformed_xml();
  // parse_ws_pcdata_single keeps whitespace-only text (a key may be " "); no DOCTYPE parsing.
  auto result = doc.load_buffer(body.data(), body.size(),
                                (pugi::parse_default | pugi::parse_ws_pcdata_single) & ~pugi::parse_doctype);
  if (!result) throw malformed_xml();
  // Exactly one root element (pugixml accepts fragments with several).
  int roots = 0;
  for (auto child : doc.children())
    if (child.type() == pugi::node_element) ++roots;
  if (roots != 1) throw malformed_xml();
  return doc;
}

XmlWriter& XmlWriter::text(std::string_view text) {
  out_ += xml_escape(text);
  return *this;
}

XmlWriter& XmlWriter::leaf(std::string_view name, std::string_view content) {
  open(name);
  text(content);
  return close(name);
}

}  // namespace herd::s3
