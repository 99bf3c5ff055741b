#include "meta/postgres.h"

#include <poll.h>

#include <charconv>
#include <vector>

#include "util/hex.h"
#include "util/unavailable.h"

namespace herd::pg {

namespace {

// Throws unless `r` reports success; takes ownership of `r`.
Result check(PGconn* conn, PGresult* r) {
  Result owned(r);
  ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
  if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) return owned;
  const char* state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
  std::string message = r ? PQresultErrorMessage(r) : PQerrorMessage(conn);
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
  // A lost connection or a server shutting down: the database is unavailable, not the request wrong.
  std::string_view code = state ? state : "";
  if (PQstatus(conn) == CONNECTION_BAD || code.starts_with("08") || code.starts_with("57P0"))
    throw Unavailable("postgresql unavailable: " + message);
  throw Error(state ? state : "", "postgresql: " + message);
}

}  // namespace

Param param(std::string_view text) {
  if (text.find('\0') != std::string_view::npos) throw Error("22021", "postgresql: text parameter holds a NUL byte");
  return std::string(text);
}

Param bytea(std::string_view bytes) { return "\\x" + to_hex(bytes); }

int64_t Result::affected() const {
  const char* n = PQcmdTuples(r_);
  int64_t v = 0;
  std::from_chars(n, n + std::char_traits<char>::length(n), v);
  return v;
}

int64_t Result::int64(int row, int col) const {
  const char* s = PQgetvalue(r_, row, col);
  int len = PQgetlength(r_, row, col);
  int64_t v = 0;
  auto [p, ec] = std::from_chars(s, s + len, v);
  if (ec != std::errc() || p != s + len) throw Error("", "postgresql: column " + std::to_string(col) + " is not an integer");
  return v;
}

std::string Result::bytes(int row, int col) const {
  std::string text = this->text(row, col);
  if (text.size() < 2 || text[0] != '\\' || text[1] != 'x') throw Error("", "postgresql: bytea not in hex format");
  auto raw = from_hex(std::string_view(text).substr(2));
  if (!raw) throw Error("", "postgresql: malformed bytea");
  return *raw;
}

Connection::Connection(const std::string& conninfo) : conn_(PQconnectdb(conninfo.c_str())) {
  if (!conn_ || PQstatus(conn_) != CONNECTION_OK) {
    std::string message = conn_ ? PQerrorMessage(conn_) : "out of memory";
    while (!message.empty() && message.back() == '\n') message.pop_back();
    PQfinish(conn_);
    throw Unavailable("cannot connect to PostgreSQL: " + message);
  }
  // Herd's SQL needs these whatever the server's defaults: bytewise text, UTF-8, hex bytea.
  exec("SET client_encoding = 'UTF8'; SET bytea_output = 'hex'; SET client_min_messages = 'warning'");
}

Connection::~Connection() { PQfinish(conn_); }

std::vector<std::string> Connection::notifications(std::chrono::milliseconds timeout) {
  std::vector<std::string> out;
  auto drain = [&] {
    if (PQconsumeInput(conn_) == 0) throw Unavailable(std::string("postgresql notifications: ") + PQerrorMessage(conn_));
    while (PGnotify* n = PQnotifies(conn_)) {
      out.emplace_back(n->extra);
      PQfreemem(n);
    }
  };
  drain();  // some may have arrived with an earlier reply
  if (!out.empty()) return out;
  pollfd p{PQsocket(conn_), POLLIN, 0};
  if (p.fd < 0) throw Unavailable("postgresql notifications: the connection is closed");
  int ready = ::poll(&p, 1, static_cast<int>(timeout.count()));
  if (ready > 0) drain();
  return out;
}

std::string Connection::exec(const std::string& sql) {
  Result r = check(conn_, PQexec(conn_, sql.c_str()));
  return r.tag();
}

Result Connection::query(const std::string& sql, std::initializer_list<Param> params) {
  return query(sql, std::vector<Param>(params));
}

Result Connection::query(const std::string& sql, const std::vector<Param>& params) {
  auto it = prepared_.find(sql);
  if (it == prepared_.end()) {
    std::string name = "s" + std::to_string(prepared_.size());
    check(conn_, PQprepare(conn_, name.c_str(), sql.c_str(), 0, nullptr));
    it = prepared_.emplace(sql, std::move(name)).first;
  }
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const Param& p : params) values.push_back(p ? p->c_str() : nullptr);
  return check(conn_, PQexecPrepared(conn_, it->second.c_str(), static_cast<int>(values.size()), values.data(),
                                     nullptr, nullptr, 0));
}

bool Connection::reusable() const {
  return PQstatus(conn_) == CONNECTION_OK && PQtransactionStatus(conn_) == PQTRANS_IDLE;
}

Transaction::Transaction(Connection& c, const char* begin) : c_(c) { c_.exec(begin); }

Transaction::~Transaction() {
  if (done_) return;
  try {
    c_.exec("ROLLBACK");
  } catch (...) {
  }
}

void Transaction::commit() {
  std::string tag = c_.exec("COMMIT");
  done_ = true;
  if (tag != "COMMIT") throw Error("", "postgresql: the transaction was rolled back (" + tag + ")");
}

}  // namespace herd::pg
