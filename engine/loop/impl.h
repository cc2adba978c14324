// What the handle wrappers of this module share: the libuv loop behind a
// Loop. Internal to engine/loop/ (includes <uv.h>).
#pragma once

#include <uv.h>

#include <array>
#include <functional>
#include <mutex>
#include <vector>

#include "loop/loop.h"

namespace tayori::loop {

struct Loop::Impl {
  uv_loop_t uv;
  uv_async_t wake;
  std::mutex mu;
  std::vector<std::function<void()>> queue;
  // One read buffer for every stream of the loop: libuv asks for a buffer
  // right before each read and hands the bytes to the read callback at once,
  // and the loop reads one stream at a time, so the buffer is never shared by
  // two reads in flight (TcpStream's callback sees the bytes only while it runs).
  std::array<char, 64 * 1024> read_buffer;
};

// The Impl of the loop a handle belongs to.
inline Loop::Impl* ImplOf(const uv_handle_t* h) { return static_cast<Loop::Impl*>(h->loop->data); }

}  // namespace tayori::loop
