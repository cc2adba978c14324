// The listener's settings from the configuration file: [inbound] for the
// server, [envelope] return_path and [inbound] for the recipients it takes.
#pragma once

#include "config/config.h"
#include "inbound/recipient.h"
#include "inbound/server.h"

namespace tayori::inbound {

ServerOptions ServerOptionsFromConfig(const config::Inbound& in);
RecipientClassifier ClassifierFromConfig(const config::Config& config);

}  // namespace tayori::inbound
