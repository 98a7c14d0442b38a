#include "schema/status.h"

namespace tpd {

std::string_view Status::CodeName(Code code) {
  switch (code) {
    case Code::kOk: return "OK";
    case Code::kInvalidArgument: return "InvalidArgument";
    case Code::kNotFound: return "NotFound";
    case Code::kFailedPrecondition: return "FailedPrecondition";
    case Code::kUnavailable: return "Unavailable";
    case Code::kCancelled: return "Cancelled";
    case Code::kInternal: return "Internal";
  }
  return "Unknown";
}

std::string Status::ToString() const {
  if (ok()) return "OK";
  std::string s(CodeName(code_));
  s += ": ";
  s += message_;
  if (path_ && !path_->empty()) s += " (at " + path_->ToString() + ")";
  return s;
}

}  // namespace tpd

namespace tpd::schema {

std::string AttributePath::ToString() const {
  std::string out;
  for (const PathStep& s : steps_) {
    switch (s.kind) {
      case PathStep::Kind::kAttribute:
        if (!out.empty()) out += '.';
        out += s.name;
        break;
      case PathStep::Kind::kElementKeyString:
        out.append("[\"").append(s.name).append("\"]");
        break;
      case PathStep::Kind::kElementKeyInt:
        out.append("[").append(std::to_string(s.index)).append("]");
        break;
    }
  }
  return out;
}

}  // namespace tpd::schema
