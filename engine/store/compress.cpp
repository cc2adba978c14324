#include "store/compress.h"

#include <zlib.h>

namespace tayori::store {

std::string Deflate(std::string_view data) {
  uLongf size = compressBound(static_cast<uLong>(data.size()));
  std::string out(size, '\0');
  // Level 6: bounce reports and returned newsletters compress about 4:1; the
  // listener commits every message before it answers, so speed matters more
  // than the last percent.
  int rc = compress2(reinterpret_cast<Bytef*>(out.data()), &size, reinterpret_cast<const Bytef*>(data.data()),
                     static_cast<uLong>(data.size()), 6);
  if (rc != Z_OK) return std::string();  // cannot happen with compressBound's size
  out.resize(size);
  return out;
}

Result<std::string> Inflate(std::string_view data, size_t max_bytes) {
  z_stream z{};
  if (inflateInit(&z) != Z_OK) return Internal("zlib: inflateInit failed");
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  std::string out;
  char buf[65536];
  int rc = Z_OK;
  while (rc == Z_OK) {
    z.next_out = reinterpret_cast<Bytef*>(buf);
    z.avail_out = sizeof buf;
    rc = inflate(&z, Z_NO_FLUSH);
    out.append(buf, sizeof buf - z.avail_out);
    if (out.size() > max_bytes) {
      inflateEnd(&z);
      return InvalidInput("stored message inflates past " + std::to_string(max_bytes) + " bytes");
    }
  }
  inflateEnd(&z);
  if (rc != Z_STREAM_END) return InvalidInput("stored message is not a complete zlib stream");
  return out;
}

}  // namespace tayori::store
