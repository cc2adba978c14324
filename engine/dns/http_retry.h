// Sends one HTTP request with retries on transient failures (transport
// errors, and whatever the provider's classifier calls transient), backing
// off on a loop::Timer. Loop thread only; destroying it cancels pending
// retries and their callbacks never run.
#pragma once

#include <functional>
#include <list>
#include <memory>

#include "dns/provider.h"
#include "loop/loop.h"
#include "net/transfers.h"

namespace tayori::dns {

// Maps a received response (any status) to ok, a transient error (retried)
// or a permanent one, with the provider's message.
using Classifier = std::function<Status(const net::HttpResult&)>;

class HttpRetry {
 public:
  HttpRetry(loop::Loop& loop, net::Transfers& transfers, RetryPolicy policy, std::string what);
  ~HttpRetry();
  HttpRetry(const HttpRetry&) = delete;
  HttpRetry& operator=(const HttpRetry&) = delete;

  void Send(net::HttpRequest request, Classifier classify, std::function<void(Status)> done);

 private:
  struct Attempt;
  void Try(std::shared_ptr<Attempt> a);

  loop::Loop& loop_;
  net::Transfers& transfers_;
  RetryPolicy policy_;
  std::string what_;
  std::list<std::unique_ptr<loop::Timer>> timers_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace tayori::dns
