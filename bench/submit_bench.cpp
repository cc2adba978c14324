// Relay submission throughput: pre-signed ~6 KB messages to one relay over N
// connections, through the real Submitter (libcurl multi on libuv).
// Prints one line: messages, seconds, messages/s, CPU seconds per 1,000.
//
//   submit_bench --port P [--messages N] [--connections C] [--size BYTES] [--window W]
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "loop/loop.h"
#include "smtp/submitter.h"

using namespace tayori;

namespace {

double CpuSeconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

std::string MakeMessage(size_t size) {
  std::string m =
      "From: =?UTF-8?B?44OG44K544OI44K344On44OD44OX?= <news@shop.example>\r\n"
      "To: reader@dest.example\r\nSubject: =?UTF-8?B?5pyI5LqL44Gu44GK55+l44KJ44Gb?=\r\n"
      "Date: Sat, 28 Nov 2026 12:00:00 +0900\r\nMessage-ID: <bench@shop.example>\r\n"
      "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n";
  while (m.size() + 78 < size) m += "44GT44KT44Gr44Gh44Gv44CB5LiW55WM44CC44GT44KM44Gv44OG44K544OI44Gn44GZ44CC44GC44GE44GG\r\n";
  return m;
}

}  // namespace

int main(int argc, char** argv) {
  int port = 0, messages = 20000, connections = 8, window = 0;
  size_t size = 6000;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i];
    long v = std::atol(argv[i + 1]);
    if (k == "--port") port = static_cast<int>(v);
    else if (k == "--messages") messages = static_cast<int>(v);
    else if (k == "--connections") connections = static_cast<int>(v);
    else if (k == "--size") size = static_cast<size_t>(v);
    else if (k == "--window") window = static_cast<int>(v);
    else {
      std::fprintf(stderr, "submit_bench: unknown option %s\n", argv[i]);
      return 2;
    }
  }
  if (port <= 0) {
    std::fprintf(stderr, "usage: submit_bench --port P [--messages N] [--connections C] [--size BYTES]\n");
    return 2;
  }
  // Two messages per connection in flight: enough to keep every connection
  // busy, and libcurl's queue of pending transfers stays short (it rescans it).
  if (window <= 0) window = 2 * connections;
  config::Config cfg;
  config::Relay relay;
  relay.name = "bench";
  relay.host = "127.0.0.1";
  relay.port = port;
  relay.tls = TlsMode::kNone;
  relay.max_connections = connections;
  relay.max_messages_per_connection = 100000;
  cfg.relays.push_back(relay);
  cfg.envelope.return_path = "bounces+{delivery_id}@bounce.platform.example";

  auto message = std::make_shared<const std::string>(MakeMessage(size));
  loop::Loop loop;
  int submitted = 0, done = 0, delivered = 0;
  double cpu0 = CpuSeconds();
  auto t0 = std::chrono::steady_clock::now();
  {
    auto sub = smtp::Submitter::Create(loop, cfg, SystemClock::Instance());
    if (!sub.ok()) {
      std::fprintf(stderr, "submit_bench: %s\n", sub.status().ToString().c_str());
      return 1;
    }
    // Keep a bounded window in flight, as the engine does.
    std::function<void()> refill = [&] {
      while (submitted < messages && submitted - done < window) {
        ++submitted;
        (*sub)->Submit(smtp::Submission{static_cast<uint64_t>(submitted), "reader@dest.example", message},
                       [&](smtp::SubmitResult r) {
                         ++done;
                         delivered += r.classification.outcome == smtp::Outcome::kDelivered;
                         if (done == messages) loop.Stop();
                         else refill();
                       });
      }
    };
    loop.Post(refill);
    loop.Run();
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  double cpu = CpuSeconds() - cpu0;
  std::printf("tayori submit: %d messages (%d delivered) of %zu bytes over %d connections in %.3f s = %.0f msg/s, "
              "%.3f CPU s per 1000 messages\n",
              messages, delivered, message->size(), connections, secs, messages / secs, cpu * 1000 / messages);
  return delivered == messages ? 0 : 1;
}
