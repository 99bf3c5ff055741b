#pragma once
// A minimal RAII wrapper over libpq: connections, parameters as text, results, errors with their
// SQLSTATE. Statements are prepared once per connection and reused.
#include <libpq-fe.h>

#include <chrono>
#include <vector>

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>

namespace herd::pg {

// Any PostgreSQL failure; `sqlstate` is the five-character SQLSTATE ("" for connection loss).
class Error : public std::runtime_error {
 public:
  Error(std::string sqlstate, const std::string& what) : std::runtime_error(what), sqlstate(std::move(sqlstate)) {}
  std::string sqlstate;
};

// One statement parameter in text format; nullopt is SQL NULL.
using Param = std::optional<std::string>;
inline Param param(int64_t v) { return std::to_string(v); }
// Text. One holding a NUL byte (which text parameters cannot carry) throws Error with SQLSTATE
// 22021, as PostgreSQL itself answers text that is not valid UTF-8.
Param param(std::string_view text);
inline Param param(const char* text) { return param(std::string_view(text)); }
inline Param param(const std::string& text) { return param(std::string_view(text)); }
// Raw bytes as a bytea literal ("\x" and hex).
Param bytea(std::string_view bytes);
inline Param null() { return std::nullopt; }

// A query's result rows. Columns and rows are 0-based.
class Result {
 public:
  explicit Result(PGresult* r) : r_(r) {}
  ~Result() { PQclear(r_); }
  Result(Result&& o) noexcept : r_(o.r_) { o.r_ = nullptr; }
  Result(const Result&) = delete;
  Result& operator=(const Result&) = delete;

  int rows() const { return PQntuples(r_); }
  bool empty() const { return rows() == 0; }
  // The command tag ("INSERT 0 1", "COMMIT", …).
  std::string tag() const { return PQcmdStatus(r_); }
  // Rows changed by INSERT/UPDATE/DELETE.
  int64_t affected() const;
  bool is_null(int row, int col) const { return PQgetisnull(r_, row, col) != 0; }
  std::string text(int row, int col) const { return std::string(PQgetvalue(r_, row, col), PQgetlength(r_, row, col)); }
  int64_t int64(int row, int col) const;
  // A bytea column (hex output format) as raw bytes.
  std::string bytes(int row, int col) const;

 private:
  PGresult* r_;
};

// One connection. Not thread-safe: use from one thread at a time.
class Connection {
 public:
  // Connects with a libpq connection string ("host=… dbname=…" or "postgresql://…"). Throws
  // Unavailable when the server cannot be reached.
  explicit Connection(const std::string& conninfo);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Runs SQL without parameters (may hold several statements); returns the last one's command
  // tag ("COMMIT", "ROLLBACK", …). Throws Error.
  std::string exec(const std::string& sql);
  // Runs one statement with parameters ($1, $2, …), prepared on first use on this connection.
  // Throws Error.
  Result query(const std::string& sql, std::initializer_list<Param> params = {});
  Result query(const std::string& sql, const std::vector<Param>& params);
  // True while the connection is usable and no transaction is open on it (so it can be reused).
  bool reusable() const;
  // Waits up to `timeout` for notifications on the channels this connection LISTENs to; returns
  // their payloads (none on timeout). Throws Unavailable when the connection is lost.
  std::vector<std::string> notifications(std::chrono::milliseconds timeout);

 private:
  PGconn* conn_;
  std::unordered_map<std::string, std::string> prepared_;  // SQL -> statement name
};

// A transaction on a connection: BEGIN now, ROLLBACK on destruction unless committed.
class Transaction {
 public:
  // `begin` is the statement that opens it ("BEGIN", "BEGIN ISOLATION LEVEL REPEATABLE READ", …).
  explicit Transaction(Connection& c, const char* begin = "BEGIN");
  ~Transaction();
  // Commits; throws Error when the server rolled back instead (the transaction had failed).
  void commit();

 private:
  Connection& c_;
  bool done_ = false;
};

}  // namespace herd::pg
