#pragma once
// Wall-clock time and the date formats S3 uses.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace herd {

// Milliseconds since the Unix epoch, now.
int64_t now_ms();

// Parses SigV4's basic ISO 8601 form "20130524T000000Z" to seconds since the epoch.
std::optional<int64_t> parse_amz_date(std::string_view s);
// Parses an RFC 1123 HTTP date "Fri, 24 May 2013 00:00:00 GMT" to seconds since the epoch.
std::optional<int64_t> parse_http_date(std::string_view s);

// "20130524T000000Z"
std::string format_amz_date(int64_t epoch_seconds);
// "Fri, 24 May 2013 00:00:00 GMT" (Last-Modified, Date headers)
std::string format_http_date(int64_t epoch_seconds);
// "2013-05-24T00:00:00.000Z" (XML timestamps in listings)
std::string format_iso8601_ms(int64_t epoch_ms);

}  // namespace herd
