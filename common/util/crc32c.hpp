// CRC-32C (Castagnoli), the checksum on spool records and state slots.
#pragma once

#include <cstdint>
#include <string_view>

namespace logship {

// Extends `crc` (0 to start) over `bytes`.
std::uint32_t crc32c(std::string_view bytes, std::uint32_t crc = 0);

}  // namespace logship
