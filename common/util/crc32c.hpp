// CRC-32C (Castagnoli), the checksum on spool records and state slots.
#pragma once

#include <cstdint>
#include <string_view>

namespace logship {

// Extends `crc` (0 to start) over `bytes`.
std::uint32_t crc32c(std::string_view bytes, std::uint32_t crc = 0);

// The CRCs of three byte strings (each from 0), the same as three crc32c calls. On x86-64 the
// three run side by side: the crc32 instruction waits on its own previous result, so one
// string at a time leaves two thirds of the unit idle (spool records are ~150 bytes, too short
// to split one of them three ways).
void crc32c_x3(std::string_view a, std::string_view b, std::string_view c, std::uint32_t out[3]);

}  // namespace logship
