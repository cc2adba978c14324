#include "testing/child_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>

#include <gtest/gtest.h>

#include "testing/test_env.h"

extern char** environ;

namespace tayori::testing {

ChildProcess::ChildProcess(std::vector<std::string> argv, int ready_timeout_ms) {
  int pipefd[2];
  if (pipe2(pipefd, O_CLOEXEC) != 0) {
    ADD_FAILURE() << "pipe: " << std::strerror(errno);
    return;
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pipefd[1], STDOUT_FILENO);
  std::vector<char*> args;
  for (auto& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  pid_t pid = -1;
  int rc = posix_spawn(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(pipefd[1]);
  out_fd_ = pipefd[0];
  if (rc != 0) {
    ADD_FAILURE() << "cannot start " << argv[0] << ": " << std::strerror(rc);
    return;
  }
  pid_ = pid;
  std::string out;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(ready_timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{out_fd_, POLLIN, 0};
    if (poll(&p, 1, 100) <= 0) continue;
    char buf[256];
    ssize_t n = read(out_fd_, buf, sizeof buf);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
    auto pos = out.find("READY ");
    if (pos != std::string::npos && out.find('\n', pos) != std::string::npos) {
      port_ = std::atoi(out.c_str() + pos + 6);
      return;
    }
  }
  ADD_FAILURE() << argv[0] << " did not become ready; output: " << out;
  Stop();
}

void ChildProcess::Stop() {
  if (pid_ > 0) {
    kill(pid_, SIGTERM);
    for (int i = 0; i < 100; ++i) {
      if (waitpid(pid_, nullptr, WNOHANG) == pid_) {
        pid_ = -1;
        break;
      }
      usleep(50000);
    }
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
      pid_ = -1;
    }
  }
  if (out_fd_ >= 0) {
    close(out_fd_);
    out_fd_ = -1;
  }
}

ChildProcess::~ChildProcess() { Stop(); }

std::vector<std::string> FaultRelayCommand(std::vector<std::string> extra) {
  std::vector<std::string> argv{"/usr/bin/python3", SourcePath("tests/tools/fault_relay.py")};
  argv.insert(argv.end(), extra.begin(), extra.end());
  return argv;
}

}  // namespace tayori::testing
