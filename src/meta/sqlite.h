#pragma once
// A minimal RAII wrapper over the SQLite C API: connections, cached prepared statements, errors.
#include <sqlite3.h>

#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

namespace herd::sqlite {

// Any SQLite failure; `code` is the primary SQLite result code.
class Error : public std::runtime_error {
 public:
  Error(int code, const std::string& what) : std::runtime_error(what), code(code) {}
  int code;
};

// A prepared statement. Bind parameters are 1-based; columns 0-based. Reset after use.
class Statement {
 public:
  Statement(sqlite3* db, std::string_view sql);
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Statement& bind(int i, int64_t v);
  Statement& bind(int i, std::string_view text);        // bound as TEXT
  Statement& bind_blob(int i, std::string_view bytes);  // bound as BLOB
  Statement& bind_null(int i);
  // Steps once: true when a row is available, false when done. Throws on error.
  bool step();
  // Steps to completion (for statements that return no rows).
  void run();
  void reset();  // also clears bindings
  int64_t int64(int col) const;
  std::string text(int col) const;
  std::string blob(int col) const;
  bool is_null(int col) const;

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
};

// Resets a statement when it goes out of scope, so cached statements are always reusable.
class Use {
 public:
  explicit Use(Statement& s) : s_(s) {}
  ~Use() { s_.reset(); }
  Statement* operator->() { return &s_; }
  Statement& operator*() { return s_; }

 private:
  Statement& s_;
};

// One connection. Not thread-safe: use from one thread at a time.
class Connection {
 public:
  // Opens (creating if needed) the database at `path` with WAL and the given busy timeout.
  Connection(const std::string& path, int busy_timeout_ms);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  void exec(std::string_view sql);
  // A statement prepared once per connection and cached by its SQL text.
  Statement& prepare(const std::string& sql);
  int64_t changes() const { return sqlite3_changes64(db_); }
  int64_t last_insert_rowid() const { return sqlite3_last_insert_rowid(db_); }

 private:
  sqlite3* db_ = nullptr;
  std::map<std::string, std::unique_ptr<Statement>, std::less<>> cache_;
};

// Runs BEGIN IMMEDIATE on construction; rolls back on destruction unless commit() was called.
class Transaction {
 public:
  explicit Transaction(Connection& c);
  ~Transaction();
  void commit();

 private:
  Connection& c_;
  bool done_ = false;
};

}  // namespace herd::sqlite
