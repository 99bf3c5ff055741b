#include "s3/xml.h"

#include <cstdio>

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

pugi::xml_document parse_xml(const std::string& body) {
  pugi::xml_document doc;
  if (body.find("<!DOCTYPE") != std::string::npos || body.find("<!ENTITY") != std::string::npos) throw malformed_xml();
  auto result = doc.load_buffer(body.data(), body.size(), pugi::parse_default & ~pugi::parse_doctype);
  if (!result) throw malformed_xml();
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
