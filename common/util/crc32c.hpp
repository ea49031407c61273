// CRC-32C (Castagnoli), the checksum on spool records and state slots.
#pragma once

#include <cstdint>
#include <string_view>

namespace logship {

// Extends `crc` (0 to start) over `bytes`.
std::uint32_t crc32c(std::string_view bytes, std::uint32_t crc = 0);

// The CRCs (from 0) of three independent byte strings at once: the crc32 instruction takes three
// cycles to give its result but can start one every cycle, so three streams run at once.
void crc32c_x3(const std::string_view (&bytes)[3], std::uint32_t (&crcs)[3]);

}  // namespace logship
