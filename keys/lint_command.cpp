#include "keys/lint_command.hpp"

#include <ctime>
#include <iostream>
#include <iterator>

#include "authkeys/lint.hpp"
#include "util/files.hpp"

namespace logship::keys {

namespace po = cli::po;

po::options_description lint_options() {
  po::options_description o("Options of `lint`");
  o.add_options()("json", po::bool_switch(),
                  "print one JSON object per FILE on stdout (line, code, key, grants, fix of "
                  "every finding) instead of text")(
      "allow-missing-from", po::bool_switch(),
      "do not report entries without from= (when source addresses are enforced elsewhere, "
      "e.g. by a firewall or an sshd Match Address block)");
  return o;
}

int run_lint(const po::variables_map& vm, const std::vector<std::string>& files) {
  if (files.empty())
    throw cli::UsageError("lint needs a FILE: logship-keys lint ~/.ssh/authorized_keys");
  std::vector<std::string> texts;
  for (const auto& f : files) {
    if (f == "-") {
      texts.emplace_back(std::istreambuf_iterator<char>(std::cin),
                         std::istreambuf_iterator<char>());
      continue;
    }
    std::error_code ec;
    if (std::filesystem::is_directory(f, ec))
      throw cli::UsageError(f + " is a directory; give the authorized_keys file itself");
    auto text = read_file(f);
    if (!text) {
      auto why = text.error().message;  // "open FILE: reason"
      if (why.rfind("open ", 0) == 0) why = why.substr(5);
      throw cli::UsageError("cannot read " + why +
                            "; check the path and run as the account that owns it");
    }
    texts.push_back(std::move(*text));
  }
  authkeys::LintOptions options;
  options.require_from = !vm["allow-missing-from"].as<bool>();
  options.now = static_cast<std::int64_t>(std::time(nullptr));
  const bool json = vm["json"].as<bool>();
  std::size_t total = 0;
  for (std::size_t i = 0; i < files.size(); ++i) {
    const auto name = files[i] == "-" ? std::string("(stdin)") : files[i];
    const auto report = authkeys::lint_authorized_keys(texts[i], options);
    total += report.findings.size();
    if (json) {
      std::cout << authkeys::to_json(report, name) << "\n";
    } else {
      for (const auto& f : report.findings)
        std::cout << name << ":" << authkeys::format_finding(f) << "\n";
    }
    std::cerr << "logship-keys: " << name << ": " << report.entries << " entries, "
              << report.findings.size() << " findings\n";
  }
  std::cout << std::flush;
  return total == 0 ? cli::kExitOk : cli::kExitFailure;
}

}  // namespace logship::keys
