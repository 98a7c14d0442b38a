#include "resources/plan_cache.h"

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <system_error>
#include <utility>

#include <nlohmann/json.hpp>

#include "schema/codec.h"

namespace tpd::resources {
namespace {

uint64_t Fnv1a64(std::string_view data, uint64_t seed) {
  uint64_t h = seed;
  for (unsigned char c : data) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h;
}

bool ValidKey(std::string_view key) {
  if (key.size() != 32) return false;
  for (char c : key) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

int64_t UnixSeconds(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

}  // namespace

std::string PlanCacheKey(std::string_view decision_inputs, std::string_view prior_active_url,
                         std::string_view prior_current_version) {
  // Length-prefixed fields so that moving bytes between fields changes the key.
  std::string joined;
  for (std::string_view part : {decision_inputs, prior_active_url, prior_current_version}) {
    joined += std::to_string(part.size());
    joined += ':';
    joined += part;
    joined += '\n';
  }
  char buf[33];
  std::snprintf(buf, sizeof(buf), "%016llx%016llx",
                static_cast<unsigned long long>(Fnv1a64(joined, 14695981039346656037ULL)),
                static_cast<unsigned long long>(Fnv1a64(joined, 0x9e3779b97f4a7c15ULL)));
  return std::string(buf, 32);
}

PlanCache::PlanCache(std::filesystem::path work_dir, std::chrono::seconds ttl)
    : dir_(std::move(work_dir) / "plans"), ttl_(ttl) {}

std::filesystem::path PlanCache::PathFor(std::string_view key) const { return dir_ / (std::string(key) + ".json"); }

std::optional<schema::Value> PlanCache::Get(std::string_view key, const schema::Type& type,
                                            std::chrono::system_clock::time_point now) const {
  if (!ValidKey(key)) return std::nullopt;
  std::ifstream in(PathFor(key), std::ios::binary);
  if (!in) return std::nullopt;
  std::stringstream ss;
  ss << in.rdbuf();
  try {
    nlohmann::json j = nlohmann::json::parse(ss.str());
    if (!j.is_object() || j.value("v", 0) != 1 || !j.contains("saved_at") || !j["saved_at"].is_number_integer() ||
        !j.contains("values")) {
      return std::nullopt;
    }
    const int64_t saved = j["saved_at"].get<int64_t>();
    const int64_t age = UnixSeconds(now) - saved;
    if (age < -60 || age >= ttl_.count()) return std::nullopt;
    Result<schema::Value> v = schema::DecodeJson(j["values"].dump(), type);
    if (!v.ok() || v->IsNull()) return std::nullopt;
    return *v;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

Status PlanCache::Put(std::string_view key, const schema::Value& values, const schema::Type& type,
                      std::chrono::system_clock::time_point now) const {
  if (!ValidKey(key)) return Status::InvalidArgument("plan cache key must be 32 hex digits");
  Result<std::string> encoded = schema::EncodeJson(values, type);
  if (!encoded.ok()) return encoded.status().WithContext("plan cache");
  std::string text;
  try {
    nlohmann::json j;
    j["v"] = 1;
    j["saved_at"] = UnixSeconds(now);
    j["values"] = nlohmann::json::parse(*encoded);
    text = j.dump();
  } catch (const std::exception& e) {
    return Status::Internal(std::string("plan cache: ") + e.what());
  }
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  if (ec) return Status::Internal("plan cache: cannot create " + dir_.string() + ": " + ec.message());
  const std::filesystem::path final_path = PathFor(key);
  const std::filesystem::path tmp = final_path.string() + ".tmp" + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text;
    out.flush();
    if (!out) return Status::Internal("plan cache: cannot write " + tmp.string());
  }
  std::filesystem::rename(tmp, final_path, ec);
  if (ec) {
    std::filesystem::remove(tmp, ec);
    return Status::Internal("plan cache: cannot rename into " + final_path.string());
  }
  return Status::Ok();
}

}  // namespace tpd::resources
