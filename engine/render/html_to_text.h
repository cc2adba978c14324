// A readable text/plain alternative for a campaign that only has an HTML
// template: paragraphs and line breaks kept, links written as
// "label <URL>", images as their alt text, head/style/script dropped,
// character references decoded as HTML does (every named reference,
// html_entities.h). Not a full HTML parser: it needs to be good for
// newsletters, never to crash or loop, to lose no visible text, and to run
// in time linear in its input whatever the input is (it runs once per
// recipient, on content the shop wrote).
#pragma once

#include <string>
#include <string_view>

namespace tayori::render {

std::string HtmlToText(std::string_view html);

}  // namespace tayori::render
