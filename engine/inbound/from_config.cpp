#include "inbound/from_config.h"

namespace tayori::inbound {

ServerOptions ServerOptionsFromConfig(const config::Inbound& in) {
  ServerOptions o;
  o.listen_address = in.listen_address;
  o.port = in.port;
  o.protocol = in.protocol == config::InboundProtocol::kLmtp ? Protocol::kLmtp : Protocol::kSmtp;
  o.hostname = in.hostname;
  o.max_message_bytes = static_cast<size_t>(in.max_message_bytes);
  o.max_connections = in.max_connections;
  o.command_timeout = std::chrono::seconds(in.command_timeout_s);
  o.session_deadline = std::chrono::seconds(in.session_deadline_s);
  return o;
}

RecipientClassifier ClassifierFromConfig(const config::Config& config) {
  return RecipientClassifier(config.envelope.return_path, config.inbound.bounce_domains,
                             config.inbound.complaint_addresses);
}

}  // namespace tayori::inbound
