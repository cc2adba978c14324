// What a returned (DSN, text bounce) or reported (ARF) message's header
// offers for matching it to a delivery: Message-ID, Return-Path,
// List-Unsubscribe token, Feedback-ID. Pure.
#pragma once

#include <string>
#include <string_view>

#include "feedback/fields.h"
#include "feedback/report.h"

namespace tayori::feedback {

// The candidates in `headers`; present = !headers.empty().
ReturnedMessage FromReturnedHeaders(const Fields& headers);

// The unsubscribe token (engine/unsubscribe/token.h: key id, '.', base64url
// payload) at the end of the first https URI in a List-Unsubscribe value,
// as a path segment or a query value; "" when there is none of that shape.
// Only its shape is checked here: the HMAC is the matcher's to verify.
std::string UnsubscribeTokenIn(std::string_view list_unsubscribe);

// Why a returned message is itself a delivery report (a multipart/report
// of type delivery-status, a null Return-Path, a MAILER-DAEMON sender),
// or "" when it is not. A report about a report is a bounce loop.
std::string DeliveryReportSignal(const Fields& headers, std::string_view content_type, std::string_view report_type);

}  // namespace tayori::feedback
