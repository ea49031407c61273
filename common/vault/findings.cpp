#include "vault/findings.hpp"

namespace logship::vault {

std::string_view to_string(FindingKind kind) {
  switch (kind) {
    case FindingKind::torn_batch:
      return "torn-batch";
    case FindingKind::torn_mismatch:
      return "torn-mismatch";
    case FindingKind::bad_end_line:
      return "bad-end-line";
    case FindingKind::sequence_gap:
      return "sequence-gap";
    case FindingKind::sequence_repeat:
      return "sequence-repeat";
    case FindingKind::sequence_backwards:
      return "sequence-backwards";
    case FindingKind::chain_break:
      return "chain-break";
    case FindingKind::mac_failure:
      return "mac-failure";
    case FindingKind::mac_unchecked:
      return "mac-unchecked";
    case FindingKind::silence:
      return "silence";
    case FindingKind::dropped:
      return "dropped";
    case FindingKind::stream_mixed:
      return "stream-mixed";
    case FindingKind::head_missing:
      return "head-missing";
    case FindingKind::tail_short:
      return "tail-short";
    case FindingKind::stray_line:
      return "stray-line";
    case FindingKind::line_too_long:
      return "line-too-long";
    case FindingKind::file_shrunk:
      return "file-shrunk";
    case FindingKind::file_replaced:
      return "file-replaced";
    case FindingKind::rescan_failed:
      return "rescan-failed";
    case FindingKind::silence_ended:
      return "silence-ended";
    case FindingKind::file_rotated:
      return "file-rotated";
    case FindingKind::interrupted_transfer:
      return "interrupted-transfer";
    case FindingKind::transfer_remnant:
      return "transfer-remnant";
    case FindingKind::mid_stream_start:
      return "mid-stream-start";
    case FindingKind::open_batch:
      return "open-batch";
  }
  return "unknown";
}

std::string format_finding(const Finding& f) {
  std::string out = f.file + ":" + std::to_string(f.line) + ": ";
  if (is_info(f.kind)) out += "info: ";
  out += to_string(f.kind);
  out += ": ";
  out += f.message;
  return out;
}

}  // namespace logship::vault
