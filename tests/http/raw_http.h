// A deliberately dumb HTTP/1.1 client for tests: writes the exact bytes a
// test gives it (so tests can send malformed requests) to 127.0.0.1:port and
// reads until the server closes. Header-only; blocking.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <map>
#include <string>
#include <string_view>

namespace tayori::testing {

struct RawResponse {
  int status = 0;                              // 0: no response (connection closed or timed out)
  std::map<std::string, std::string> headers;  // names lower-case
  std::string body;
  std::string raw;
};

// Connects to 127.0.0.1:port; with `source` (another 127.x.y.z address),
// from that address, so a test can be several clients as the server counts
// them (all of 127.0.0.0/8 is loopback on Linux).
inline int ConnectLoopback(int port, const char* source = nullptr) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (source) {
    sockaddr_in from{};
    from.sin_family = AF_INET;
    if (::inet_pton(AF_INET, source, &from.sin_addr) != 1 ||
        ::bind(fd, reinterpret_cast<sockaddr*>(&from), sizeof from) != 0) {
      ::close(fd);
      return -1;
    }
  }
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_port = htons(static_cast<uint16_t>(port));
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&sin), sizeof sin) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// Reads until EOF or `timeout_ms`; returns what arrived.
inline std::string ReadAll(int fd, int timeout_ms) {
  std::string out;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  char buf[16384];
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
    if (left <= 0) break;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left)) <= 0) break;
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

inline RawResponse ParseRawResponse(std::string raw) {
  RawResponse r;
  r.raw = std::move(raw);
  size_t end = r.raw.find("\r\n\r\n");
  if (r.raw.compare(0, 9, "HTTP/1.1 ") != 0 || end == std::string::npos) return r;
  r.status = std::atoi(r.raw.c_str() + 9);
  size_t pos = r.raw.find("\r\n") + 2;
  while (pos < end) {
    size_t eol = r.raw.find("\r\n", pos);
    std::string line = r.raw.substr(pos, eol - pos);
    pos = eol + 2;
    size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string name = line.substr(0, colon);
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    size_t v = line.find_first_not_of(' ', colon + 1);
    r.headers[name] = v == std::string::npos ? "" : line.substr(v);
  }
  r.body = r.raw.substr(end + 4);
  return r;
}

// Sends `request` as is and reads the answer until the server closes.
inline RawResponse SendRaw(int port, std::string_view request, int timeout_ms = 10000, const char* source = nullptr) {
  int fd = ConnectLoopback(port, source);
  if (fd < 0) return {};
  size_t off = 0;
  while (off < request.size()) {
    ssize_t n = ::send(fd, request.data() + off, request.size() - off, MSG_NOSIGNAL);
    if (n <= 0) break;  // the server may answer (413) and close before reading it all
    off += static_cast<size_t>(n);
  }
  ::shutdown(fd, SHUT_WR);
  RawResponse r = ParseRawResponse(ReadAll(fd, timeout_ms));
  ::close(fd);
  return r;
}

// A well-formed request with Connection: close; `headers` are extra lines
// ("Name: value\r\n" each).
inline std::string BuildRequest(std::string_view method, std::string_view target, std::string_view headers = "",
                                std::string_view body = "", bool with_length = true) {
  std::string req = std::string(method) + " " + std::string(target) + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n";
  req += headers;
  if (with_length && (!body.empty() || method == "POST")) req += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  req += "\r\n";
  req += body;
  return req;
}

}  // namespace tayori::testing
