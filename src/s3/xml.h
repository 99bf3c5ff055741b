#pragma once
// A tiny streaming XML writer for S3 response bodies (escapes text; no pretty-printing).
#include <pugixml.hpp>

#include <string>
#include <string_view>

namespace herd::s3 {

class XmlWriter {
 public:
  XmlWriter() { out_ = R"(<?xml version="1.0" encoding="UTF-8"?>)"; }
  // Opens <name>; with s3_namespace, adds xmlns="http://s3.amazonaws.com/doc/2006-03-01/".
  XmlWriter& open(std::string_view name, bool s3_namespace = false);
  XmlWriter& close(std::string_view name);
  // <name>escaped text</name>
  XmlWriter& leaf(std::string_view name, std::string_view text);
  // Escaped text inside the current element.
  XmlWriter& text(std::string_view text);
  // Markup written as is (for the rare element with attributes).
  XmlWriter& raw(std::string_view markup);
  const std::string& str() const { return out_; }

 private:
  std::string out_;
};

// Escapes &, <, >, ", ' and control characters for element text.
std::string xml_escape(std::string_view text);

// Parses a request body: one root element, no DOCTYPE (no entity tricks), only the predefined
// entities and character references to allowed characters (never NUL). Throws MalformedXML.
pugi::xml_document parse_xml(const std::string& body);

}  // namespace herd::s3
