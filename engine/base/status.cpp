#include "base/status.h"

namespace tayori {

std::string_view ErrorClassName(ErrorClass c) {
  switch (c) {
    case ErrorClass::kTransient: return "transient";
    case ErrorClass::kPermanent: return "permanent";
    case ErrorClass::kInvalidInput: return "invalid input";
    case ErrorClass::kConfig: return "configuration";
    case ErrorClass::kNotFound: return "not found";
    case ErrorClass::kInternal: return "internal";
  }
  return "unknown";
}

const std::string& Status::message() const {
  static const std::string kEmpty;
  return ok() ? kEmpty : error_->message;
}

Status Status::WithContext(std::string_view context) const {
  if (ok()) return *this;
  return Status(error_->cls, std::string(context) + ": " + error_->message);
}

std::string Status::ToString() const {
  if (ok()) return "ok";
  return std::string(ErrorClassName(error_->cls)) + ": " + error_->message;
}

}  // namespace tayori
