// TCP on the loop: a listening socket (TcpListener) and the connections it
// accepts (TcpStream), for servers that speak their protocol themselves (the
// inbound SMTP/LMTP listener). The same rules as loop.h: use from the loop
// thread only; each wrapper closes its libuv handle when destroyed and the
// handle's memory is freed in the close callback, so a wrapper may be
// destroyed inside its own callbacks; after that no callback of it runs.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "base/status.h"
#include "loop/loop.h"

namespace tayori::loop {

// One connected socket. Created by TcpListener; closed when destroyed
// (writes still queued are dropped: Shutdown first to deliver them).
class TcpStream {
 public:
  ~TcpStream();
  TcpStream(const TcpStream&) = delete;
  TcpStream& operator=(const TcpStream&) = delete;

  enum class ReadEvent { kData, kEof, kError };
  // kData with the bytes read; `data` points into a buffer the loop reuses,
  // valid only while the callback runs. After kEof or kError reading has
  // stopped and `data` is empty.
  using ReadCallback = std::function<void(ReadEvent event, std::string_view data)>;
  // ok is false when the bytes could not be sent (the peer is gone).
  using DoneCallback = std::function<void(bool ok)>;

  // Starts delivering reads to `on_read`; without one (a resume after
  // StopReading) to the callback given before. May be called from inside
  // the read callback.
  void StartReading(ReadCallback on_read = nullptr);
  // Pauses reading: the kernel buffers what arrives, then TCP flow control
  // slows the peer (backpressure). StartReading resumes.
  void StopReading();
  bool reading() const;

  // Queues `bytes` after every earlier write; `done` (optional) runs once
  // they are handed to the kernel. Returns false, without calling `done`,
  // when the stream no longer accepts writes (after Shutdown or an error).
  bool Write(std::string bytes, DoneCallback done = nullptr);
  // Bytes queued by Write that the kernel has not taken yet (a peer that does
  // not read makes this grow).
  size_t write_queue_bytes() const;
  // Half-closes after every queued write: the peer reads end of file. `done`
  // runs then (ok false when the connection broke first). No Write after it.
  // Returns false, without calling `done`, when the stream is already shut
  // down or broken (the owner may simply destroy it).
  bool Shutdown(DoneCallback done = nullptr);

  // The peer's address: "203.0.113.7:41234" or "[2001:db8::1]:41234"; and
  // the address alone ("203.0.113.7"), for per-client counts and logs.
  const std::string& peer() const;
  const std::string& peer_ip() const;

  struct Handle;

 private:
  friend class TcpListener;
  TcpStream() = default;
  Handle* h_ = nullptr;
};

// A listening TCP socket on the loop.
class TcpListener {
 public:
  // Receives each accepted connection; the callee owns it (dropping it
  // closes the connection at once).
  using AcceptCallback = std::function<void(std::unique_ptr<TcpStream> stream)>;

  explicit TcpListener(Loop& loop);
  // Closes the listening socket (connections already accepted are not
  // affected: their owners hold them).
  ~TcpListener();
  TcpListener(const TcpListener&) = delete;
  TcpListener& operator=(const TcpListener&) = delete;

  // Binds `address` (an IPv4 or IPv6 literal; "localhost" means 127.0.0.1)
  // and `port` (0: the kernel picks one, see port()) and listens with
  // `backlog`. kConfig when the address is not a literal, kTransient when it
  // cannot be bound (in use, not local). Once only. The first Listen in the
  // process sets SIGPIPE to be ignored (unless a handler is installed): a
  // write to a peer that reset the connection then fails with ok == false
  // instead of ending the process.
  Status Listen(const std::string& address, int port, int backlog, AcceptCallback on_accept);
  // The bound port; 0 before Listen.
  int port() const;
  // Stops accepting now: the socket is closed, connections still in the
  // kernel's backlog are refused. Idempotent; the destructor calls it.
  void Close();

  struct Handle;

 private:
  Loop& loop_;
  Handle* h_ = nullptr;
  int port_ = 0;
};

}  // namespace tayori::loop
