// Small pieces the client's SVG charts share.
#pragma once

#include <string>

namespace tsodso::client {

// Return a "nice" tick step (1, 2 or 5 times a power of ten) giving about
// eight ticks over `span`.
double SvgTickStep(double span);
// Escape text for an SVG element or attribute.
std::string SvgEscaped(const std::string& text);
// Format a coordinate or label compactly, -0 as 0.
std::string SvgNum(double v);
// Return the opening of a W x H document: white background and the title.
std::string SvgOpen(double width, double height, const std::string& title);

}  // namespace tsodso::client
