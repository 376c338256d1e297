// A value that is replaced whole while readers use it: a reader takes the
// current one and keeps it, unchanged, for as long as it holds it.
#pragma once

#include <memory>
#include <mutex>

namespace tsodso::core {

template <typename T>
class Swappable {
 public:
  std::shared_ptr<const T> Get() const {
    std::lock_guard lock(mu_);
    return value_;
  }
  void Set(std::shared_ptr<const T> value) {
    std::lock_guard lock(mu_);
    value_ = std::move(value);
  }

 private:
  mutable std::mutex mu_;
  std::shared_ptr<const T> value_ = std::make_shared<T>();
};

}  // namespace tsodso::core
