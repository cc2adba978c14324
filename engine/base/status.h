// Module base/: Status/Result (errors as values), Clock, logging, the metrics text writer, TLS
// mode, UTF-8 text helpers and the version; no third-party library. May include: nothing of the
// project (its links in CMakeLists.txt, and what they link publicly; scripts/check-layering checks
// both).
//
// Status and Result<T>: errors as values at every module edge.
//
// A Status carries an ErrorClass that tells the caller what to do about it:
// retry later (transient), give up on this item (permanent), fix the input or
// configuration (invalid_input / config), or treat it as a bug (internal).
// Status is cheap to copy when ok (no allocation) and [[nodiscard]].
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace tayori {

enum class ErrorClass {
  kTransient,     // the network, the database, a relay said "later": retry
  kPermanent,     // this item can never succeed: record and move on
  kInvalidInput,  // bad data from a user or a shop (address, template, token)
  kConfig,        // operator configuration is wrong: exit 2
  kNotFound,      // the named thing does not exist
  kInternal,      // a bug or a broken invariant in Tayori itself
};

std::string_view ErrorClassName(ErrorClass c);

class [[nodiscard]] Status {
 public:
  Status() = default;  // ok
  Status(ErrorClass c, std::string message) : error_(Error{c, std::move(message)}) {}

  static Status Ok() { return Status(); }

  bool ok() const { return !error_.has_value(); }
  // Precondition: !ok().
  ErrorClass error_class() const { return error_->cls; }
  // Empty when ok.
  const std::string& message() const;
  bool transient() const { return !ok() && error_->cls == ErrorClass::kTransient; }

  // Returns a copy whose message is "context: message", keeping the class.
  Status WithContext(std::string_view context) const;
  // "ok" or "<class>: <message>".
  std::string ToString() const;

 private:
  struct Error {
    ErrorClass cls;
    std::string message;
  };
  std::optional<Error> error_;
};

inline Status Transient(std::string m) { return Status(ErrorClass::kTransient, std::move(m)); }
inline Status Permanent(std::string m) { return Status(ErrorClass::kPermanent, std::move(m)); }
inline Status InvalidInput(std::string m) { return Status(ErrorClass::kInvalidInput, std::move(m)); }
inline Status ConfigError(std::string m) { return Status(ErrorClass::kConfig, std::move(m)); }
inline Status NotFound(std::string m) { return Status(ErrorClass::kNotFound, std::move(m)); }
inline Status Internal(std::string m) { return Status(ErrorClass::kInternal, std::move(m)); }

// Result<T> holds either a T or a non-ok Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {  // NOLINT
    if (std::get<Status>(v_).ok()) v_ = Status(ErrorClass::kInternal, "Result built from an ok Status");
  }

  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(v_);
  }
  // Precondition: ok().
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace tayori

// Early-return helpers for functions returning Status or Result<T>.
#define TAYORI_RETURN_IF_ERROR(expr)              \
  do {                                            \
    ::tayori::Status tayori_status_ = (expr);     \
    if (!tayori_status_.ok()) return tayori_status_; \
  } while (0)

#define TAYORI_CONCAT_INNER(a, b) a##b
#define TAYORI_CONCAT(a, b) TAYORI_CONCAT_INNER(a, b)
#define TAYORI_ASSIGN_OR_RETURN(lhs, expr) \
  TAYORI_ASSIGN_OR_RETURN_IMPL(TAYORI_CONCAT(tayori_result_, __LINE__), lhs, expr)
#define TAYORI_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                 \
  if (!tmp.ok()) return tmp.status();                \
  lhs = std::move(tmp).value()
