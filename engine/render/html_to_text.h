// A readable text/plain alternative for a campaign that only has an HTML
// template: paragraphs and line breaks kept, links written as
// "label <URL>", images as their alt text, head/style/script dropped,
// character references decoded. Not a full HTML parser: it needs to be good
// for newsletters, never to crash or loop, and to lose no visible text.
#pragma once

#include <string>
#include <string_view>

namespace tayori::render {

std::string HtmlToText(std::string_view html);

}  // namespace tayori::render
