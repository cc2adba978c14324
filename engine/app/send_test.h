// `tayori send-test --campaign ID --to ADDRESS`: renders and signs the
// campaign for one test recipient and submits it through the configured
// relays at once, printing the relay's answer. Nothing is recorded as a
// delivery (an event notes the test send), and the campaign's state is not
// touched; a shop owner previews the real thing in a real mailbox.
#pragma once

#include <cstdint>
#include <string>

namespace tayori::app {

int RunSendTest(const std::string& config_path, uint64_t campaign_id, const std::string& to);

}  // namespace tayori::app
