#include "authkeys/lint.hpp"

#include <map>

#include "authkeys/command.hpp"
#include "authkeys/from_list.hpp"
#include "authkeys/key_options.hpp"
#include "authkeys/line.hpp"
#include "authkeys/role.hpp"
#include "util/json.hpp"

namespace logship::authkeys {

namespace {

constexpr const char* kRestrictFix =
    "start the options with `restrict` (or add no-pty,no-port-forwarding,no-agent-forwarding,"
    "no-X11-forwarding)";

std::string key_label(const PublicKey& k) {
  if (!k.comment.empty()) return k.comment;
  return k.type + " " + k.base64.substr(0, 20) + "...";
}

class EntryLinter {
 public:
  EntryLinter(std::size_t line, std::string key, std::vector<Finding>& out)
      : line_(line), key_(std::move(key)), out_(out) {}

  void add(std::string code, std::string grants, std::string fix) {
    out_.push_back(Finding{line_, std::move(code), key_, std::move(grants), std::move(fix)});
  }

  void permissions(const KeyOptions& o) {
    const std::string how = o.restrict ? "re-enabled after restrict" : "no restrict";
    auto fix = [&](const char* option) {
      return o.restrict ? "remove `" + std::string(option) + "`, which re-enables it"
                        : std::string(kRestrictFix);
    };
    if (o.pty)
      add("pty", "allows a terminal (" + how + "): an interactive session if the command lets one",
          fix("pty"));
    if (o.port_forwarding) {
      std::string limits;
      if (!o.permitopen.empty()) limits = "; permitopen limits local forwarding";
      add("port-forwarding",
          "allows TCP forwarding (" + how +
              "): the key can reach the server's network and "
              "listen on its ports" +
              limits,
          fix("port-forwarding"));
    }
    if (o.agent_forwarding)
      add("agent-forwarding",
          "allows agent forwarding (" + how + "): the server side can use the client's agent",
          fix("agent-forwarding"));
    if (o.x11_forwarding)
      add("x11-forwarding", "allows X11 forwarding (" + how + ")", fix("X11-forwarding"));
  }

  void command(const KeyOptions& o) {
    if (!o.command) {
      add("no-command",
          "no command=: the key runs any command the client asks for, a shell included",
          "add command=\"" + forced_command(Role::push, "/vault/file") + "\" (push), command=\"" +
              forced_command(Role::tail, "/file") + "\" (tail) or command=\"" +
              forced_command(Role::pull, "") + "\" (pull)");
      return;
    }
    const auto check = check_forced_command(*o.command);
    if (!check.role)
      add("unsafe-command", check.problem,
          "use exactly one of: " + forced_command(Role::push, "FILE") + ", " +
              forced_command(Role::tail, "FILE") + ", " + forced_command(Role::pull, "") +
              " (logship-keys new prints them)");
  }

  void from(const KeyOptions& o, const LintOptions& opts) {
    if (!o.from) {
      if (opts.require_from)
        add("no-from", "no from=: the key works from every address",
            "add from=\"ADDRESS\" with the client's address or network");
      return;
    }
    bool positive = false;
    for (const auto& e : classify_from(*o.from)) {
      if (!e.negated) positive = true;
      if (e.negated) continue;
      switch (e.kind) {
        case FromPattern::address:
          break;
        case FromPattern::everything:
          add("from-any", "from= pattern '" + e.pattern + "' matches every address",
              "replace it with the client's address or network");
          break;
        case FromPattern::wide:
          add("from-wide", "from= network " + e.pattern + " is wider than a /16 (IPv6: /48)",
              "narrow it to the client's address or network");
          break;
        case FromPattern::wildcard:
          add("from-wildcard", "from= pattern '" + e.pattern + "' is a wildcard",
              "write the client's address or a CIDR network");
          break;
        case FromPattern::hostname:
          add("from-hostname",
              "from= pattern '" + e.pattern +
                  "' is a host name: it matches only with UseDNS yes, and then against reverse "
                  "DNS, which the client's network controls",
              "write the client's address or a CIDR network");
          break;
        case FromPattern::bad_network:
          add("bad-entry",
              "from= network '" + e.pattern +
                  "' has host bits set or a bad length: sshd refuses the entry, the key cannot "
                  "log in",
              "write the network address (e.g. 192.0.2.0/24)");
          break;
      }
    }
    if (!positive)
      add("bad-entry", "from= holds only negations: it matches no address, the key cannot log in",
          "add the client's address");
  }

  void expiry(const KeyOptions& o, const LintOptions& opts) {
    if (!opts.now) return;
    for (const auto& e : o.expiry_times) {
      if (auto t = expiry_time(e); t && *t <= *opts.now) {
        add("expired", "expiry-time=\"" + e + "\" has passed: sshd refuses the key",
            "remove the entry, or give the source a new key");
        return;
      }
    }
  }

  void extras(const KeyOptions& o) {
    if (o.cert_authority)
      add("cert-authority",
          "cert-authority: every certificate this CA signs (for a matching principal) gets the "
          "entry's access, and the CA can sign new ones",
          "list the dedicated key of each source instead (logship-keys new)");
    for (const auto& env : o.environment)
      add("environment",
          "environment=\"" + env.substr(0, env.find('=')) +
              "=...\" sets a variable for the command (with PermitUserEnvironment; LD_PRELOAD, "
              "PATH and the like change what the command does)",
          "remove environment=");
    if (o.tunnel)
      add("tunnel", "tunnel=\"" + *o.tunnel + "\" requests tun device forwarding",
          "remove tunnel=");
  }

  void key(const PublicKey& k) {
    if (k.type == "ssh-dss" || k.type == "ssh-dss-cert-v01@openssh.com" || k.type == "dsa") {
      add("weak-key", "a DSA key (1024 bits, refused by OpenSSH 7.0 and later by default)",
          "replace it with an ed25519 key (logship-keys new)");
    } else if (auto bits = rsa_bits(k.blob); bits && *bits < 2048) {
      add("weak-key", "an RSA key of " + std::to_string(*bits) + " bits",
          "replace it with an ed25519 key (logship-keys new)");
    }
  }

 private:
  std::size_t line_;
  std::string key_;
  std::vector<Finding>& out_;
};

}  // namespace

LintReport lint_authorized_keys(std::string_view text, const LintOptions& options) {
  LintReport report;
  std::map<std::string, std::size_t> seen;  // blob -> first line
  std::size_t start = 0;
  while (start < text.size()) {
    auto end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    const auto raw = text.substr(start, end - start);
    start = end + 1;
    const std::size_t number = ++report.lines;
    const auto line = parse_line(raw);
    if (line.kind == LineKind::blank || line.kind == LineKind::comment) continue;
    ++report.entries;
    if (line.kind == LineKind::broken) {
      report.findings.push_back(Finding{number, "bad-entry", std::string(raw.substr(0, 40)),
                                        line.problem,
                                        "fix the line (options, then the key type and blob)"});
      continue;
    }
    EntryLinter lint(number, key_label(line.key), report.findings);
    auto opts = parse_key_options(line.options);
    if (!opts) {
      lint.add(
          "bad-entry",
          "sshd refuses the entry (" + opts.error().message + "), so the key cannot log in with it",
          "correct the options");
      continue;
    }
    if (auto [it, fresh] = seen.emplace(line.key.blob, number); !fresh)
      lint.add("duplicate-key",
               "the same key is on line " + std::to_string(it->second) +
                   ": sshd uses the first entry whose from= matches, so the key has the access "
                   "of both",
               "keep one entry per key");
    lint.key(line.key);
    lint.permissions(*opts);
    lint.command(*opts);
    lint.from(*opts, options);
    lint.expiry(*opts, options);
    lint.extras(*opts);
  }
  return report;
}

std::string format_finding(const Finding& f) {
  return std::to_string(f.line) + ": " + f.code + ": " + f.grants + " [" + f.key +
         "]; fix: " + f.fix;
}

std::string to_json(const LintReport& report, std::string_view file) {
  JsonArray findings;
  for (const auto& f : report.findings)
    findings.add(JsonObject()
                     .add("line", f.line)
                     .add("code", f.code)
                     .add("key", f.key)
                     .add("grants", f.grants)
                     .add("fix", f.fix));
  return JsonObject()
      .add("file", file)
      .add("lines", report.lines)
      .add("entries", report.entries)
      .add("findings", findings)
      .str();
}

}  // namespace logship::authkeys
