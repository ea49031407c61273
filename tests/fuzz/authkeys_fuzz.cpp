// libFuzzer target: arbitrary bytes as an authorized_keys file through the parser and every
// lint rule, and as a vault path through new's quoting and lint's command check. Must never
// crash or trip a sanitizer; and whatever path `new` accepts, lint must read its forced
// command back as the same role and the same path.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "authkeys/command.hpp"
#include "authkeys/from_list.hpp"
#include "authkeys/key_options.hpp"
#include "authkeys/line.hpp"
#include "authkeys/lint.hpp"
#include "authkeys/quoting.hpp"
#include "authkeys/role.hpp"

using namespace logship::authkeys;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  LintOptions opts;
  opts.now = 1796083200;
  const auto report = lint_authorized_keys(input, opts);
  for (const auto& f : report.findings) {
    if (f.line == 0 || f.line > report.lines || f.code.empty() || f.fix.empty()) std::abort();
    (void)format_finding(f);
  }
  (void)to_json(report, "fuzz");

  const auto first = input.substr(0, input.find('\n'));
  (void)parse_key_options(first);
  (void)check_forced_command(first);
  (void)classify_from(first);
  if (auto from = parse_from_list(first)) {
    for (const auto& e : classify_from(*from->begin())) {
      if (e.kind == FromPattern::hostname || e.kind == FromPattern::bad_network) std::abort();
    }
  }

  // The quoting round trip, with the first line as a vault path.
  if (!vault_path_problem(first)) {
    for (const auto role : {Role::push, Role::tail}) {
      const std::string command = forced_command(role, first);
      const auto back = check_forced_command(sshd_unquote(sshd_quote(command)));
      if (!back.role || *back.role != role || back.path != first) std::abort();
      EntrySpec spec{role,
                     std::string(first),
                     {"192.0.2.1"},
                     "ssh-ed25519",
                     "AAAAC3NzaC1lZDI1NTE5AAAAIGFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFh",
                     "logship push fuzz"};
      if (!lint_authorized_keys(authorized_keys_line(spec)).findings.empty()) std::abort();
    }
  }
  return 0;
}
