// inbound_harness: the listener as a process, for smtplib_test.py to drive
// with real clients. Recipients are judged by the real RecipientClassifier
// (return path "bounces+{delivery_id}.{mac}@bounce.test", complaint address
// "fbl@test.example"); deliveries are "committed" on a worker thread, as the
// database thread will, and answered back on the loop:
//   delivery id 451…: 451 the first time that address is seen, then 250
//   delivery id 550…: 550 5.1.1 (the report names no delivery of ours)
//   anything else:    250
// Prints "READY <port>", then "DELIVERED <message-id> <bytes> <recipients>"
// per message. SIGTERM drains the listener and exits 0.
//
// usage: inbound_harness [--lmtp] [--max-connections N] [--command-timeout-ms N]
//                        [--deadline-ms N] [--max-bytes N]
#include <signal.h>

#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <deque>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "base/log.h"
#include "inbound/recipient.h"
#include "inbound/server.h"
#include "loop/loop.h"

using namespace tayori;

namespace {

std::string MessageId(const std::string& data) {
  size_t p = data.find("Message-ID: ");
  if (p == std::string::npos) p = data.find("Message-Id: ");
  if (p == std::string::npos) return "-";
  size_t end = data.find_first_of("\r\n ", p + 12);
  return data.substr(p + 12, end == std::string::npos ? std::string::npos : end - p - 12);
}

// The delivery id of a VERP recipient ("bounces+451001.xxx@…" → "451001").
std::string DeliveryId(const std::string& address) {
  size_t plus = address.find('+'), dot = address.find('.');
  if (plus == std::string::npos || dot == std::string::npos || dot < plus) return "";
  return address.substr(plus + 1, dot - plus - 1);
}

struct Job {
  inbound::Delivery delivery;
  std::shared_ptr<inbound::DeliveryReply> reply;
};

}  // namespace

int main(int argc, char** argv) {
  log::Configure(log::Level::kWarn, log::Format::kText);
  inbound::ServerOptions options;
  options.port = 0;
  options.hostname = "harness.test";
  options.max_connections = 20;
  options.command_timeout = std::chrono::milliseconds(10'000);
  options.session_deadline = std::chrono::milliseconds(120'000);
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> long { return i + 1 < argc ? std::atol(argv[++i]) : 0; };
    if (a == "--lmtp") options.protocol = inbound::Protocol::kLmtp;
    else if (a == "--max-connections") options.max_connections = static_cast<int>(next());
    else if (a == "--command-timeout-ms") options.command_timeout = std::chrono::milliseconds(next());
    else if (a == "--deadline-ms") options.session_deadline = std::chrono::milliseconds(next());
    else if (a == "--max-bytes") options.max_message_bytes = static_cast<size_t>(next());
    else {
      std::fprintf(stderr, "inbound_harness: unknown flag %s\n", a.c_str());
      return 2;
    }
  }
  inbound::RecipientClassifier classifier("bounces+{delivery_id}.{mac}@bounce.test", {"bounce.test"},
                                          {"fbl@test.example"});
  loop::Loop loop;

  // The "database thread": takes jobs, decides, posts the replies back.
  std::mutex mu;
  std::condition_variable cv;
  std::deque<Job> jobs;
  bool stopping = false;
  std::set<std::string> failed_once;
  std::thread db([&] {
    for (;;) {
      Job job;
      {
        std::unique_lock<std::mutex> lock(mu);
        cv.wait(lock, [&] { return stopping || !jobs.empty(); });
        if (jobs.empty()) return;
        job = std::move(jobs.front());
        jobs.pop_front();
      }
      std::vector<inbound::Reply> replies;
      for (const inbound::Recipient& r : job.delivery.recipients) {
        std::string id = DeliveryId(r.address);
        if (id.rfind("451", 0) == 0 && failed_once.insert(r.address).second)
          replies.push_back(inbound::Reply::TryLater("database unavailable, try again later"));
        else if (id.rfind("550", 0) == 0)
          replies.push_back({550, "5.1.1 no such delivery"});
        else
          replies.push_back(inbound::Reply::Accepted());
      }
      bool any_ok = false;
      for (const auto& r : replies) any_ok |= r.positive();
      if (any_ok)
        std::printf("DELIVERED %s %zu %zu\n", MessageId(job.delivery.data).c_str(), job.delivery.data.size(),
                    job.delivery.recipients.size());
      std::fflush(stdout);
      loop.Post([reply = std::move(job.reply), replies = std::move(replies)]() mutable {
        reply->Send(std::move(replies));
      });
    }
  });

  auto server = std::make_unique<inbound::Server>(
      loop, options, classifier.AsCheck(), [&](inbound::Delivery d, inbound::DeliveryReply reply) {
        std::lock_guard<std::mutex> lock(mu);
        jobs.push_back({std::move(d), std::make_shared<inbound::DeliveryReply>(std::move(reply))});
        cv.notify_one();
      });
  Status st = server->Start();
  if (!st.ok()) {
    std::fprintf(stderr, "inbound_harness: %s\n", st.ToString().c_str());
    return 1;
  }
  std::printf("READY %d\n", server->port());
  std::fflush(stdout);
  {
    loop::SignalWatcher term(loop, SIGTERM, [&] { server->Drain([&] { loop.Stop(); }); });
    loop.Run();
  }
  {
    std::lock_guard<std::mutex> lock(mu);
    stopping = true;
  }
  cv.notify_one();
  db.join();
  server.reset();
  return 0;
}
