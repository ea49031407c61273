// libFuzzer target: arbitrary bytes as a vault file through the streaming verifier with every
// check enabled (key, silence, tail, extraction), plus the control-line parsers. Must never
// crash, leak, hang or trip a sanitizer, whatever the input.
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "fuzz_key.hpp"
#include "vault/control_line.hpp"
#include "vault/report.hpp"
#include "vault/verifier.hpp"

using namespace logship;
using namespace logship::vault;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  (void)parse_begin(input.substr(0, input.find('\n')));
  (void)parse_end(input.substr(0, input.find('\n')));

  UniqueFd fd(::memfd_create("vault", MFD_CLOEXEC));
  if (!fd.valid() || !write_all(fd.get(), input, "memfd")) std::abort();
  VerifyOptions opt;
  opt.key = fuzz::seed_key();
  opt.max_silence = std::chrono::seconds(60);
  opt.expect_seq = 2;
  opt.max_line_bytes = 4096;  // small, so the fuzzer reaches the too-long path
  opt.max_key_steps = 1000;   // a huge seq must not make one input run for minutes
  StringSink sink;
  std::size_t findings = 0;
  Verifier v(
      opt, [&](const Finding& f) { findings += format_finding(f).empty() ? 0 : 1; }, &sink);
  if (!v.add_fd(std::move(fd), "fuzz.vault")) std::abort();
  if (!v.finish()) std::abort();
  const auto summary = v.summary();
  (void)to_json(summary, {}, {}, 0);
  if (summary.findings + summary.infos != findings) std::abort();  // every finding reported
  return 0;
}
