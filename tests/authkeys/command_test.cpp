// The known safe forced commands, and what is not one of them.
#include "authkeys/command.hpp"

#include <gtest/gtest.h>

namespace logship::authkeys {
namespace {

TEST(ForcedCommand, TheThreeShapesWithPlainOrQuotedPaths) {
  const struct {
    const char* command;
    Role role;
    const char* path;
  } cases[] = {
      {"cat >> '/srv/vault/web1.log'", Role::push, "/srv/vault/web1.log"},
      {"cat >> /srv/vault/web1.log", Role::push, "/srv/vault/web1.log"},
      {"cat >>'/srv/a b'", Role::push, "/srv/a b"},
      {"cat  >>  '/srv/it'\\''s $x `y`'", Role::push, "/srv/it's $x `y`"},
      {"cat >> /srv/'a b'/c", Role::push, "/srv/a b/c"},
      {"tail -F '/var/log/auth.log'", Role::tail, "/var/log/auth.log"},
      {"tail -F /var/log/auth.log", Role::tail, "/var/log/auth.log"},
      {"/usr/lib/openssh/sftp-server -R", Role::pull, ""},
      {"/usr/libexec/openssh/sftp-server -R -l INFO -f AUTHPRIV -e", Role::pull, ""},
      {"internal-sftp -R", Role::pull, ""},
      {"flock -w 60 '/srv/vault/web1.log' cat >> '/srv/vault/web1.log'", Role::push,
       "/srv/vault/web1.log"},
      {"/usr/bin/flock -w 5 /srv/a cat >>/srv/a", Role::push, "/srv/a"},
      {"flock -w 60 '/srv/it'\\''s' cat >> /srv/it\\'s", Role::push, "/srv/it's"},
      // exec: the shell becomes the command (what logship-keys mints for push)
      {"exec flock -w 20 '/srv/a' cat >> '/srv/a'", Role::push, "/srv/a"},
      {"exec cat >> /srv/a", Role::push, "/srv/a"},
      {"exec tail -F /var/log/x", Role::tail, "/var/log/x"},
      {"exec /usr/lib/openssh/sftp-server -R", Role::pull, ""},
  };
  for (const auto& c : cases) {
    const auto r = check_forced_command(c.command);
    ASSERT_TRUE(r.role) << c.command << ": " << r.problem;
    EXPECT_EQ(*r.role, c.role) << c.command;
    EXPECT_EQ(r.path, c.path) << c.command;
    EXPECT_EQ(r.serialised, std::string_view(c.command).find("flock") != std::string_view::npos)
        << c.command;
  }
}

TEST(ForcedCommand, EverythingElseIsAProblemThatSaysWhy) {
  const std::pair<const char*, const char*> cases[] = {
      {"cat >> /srv/x; sh", "';' (runs a second command)"},
      {"cat >> /srv/x && sh", "'&'"},
      {"cat >> /srv/x | sh", "'|'"},
      {"cat >> /srv/$USER.log", "'$'"},
      {"cat >> /srv/`id`", "'`'"},
      {"cat >> \"/srv/x\"", "double-quoted"},
      {"cat >> /srv/x\\ y", "'\\' outside single quotes"},
      {"cat >> /srv/*.log", "'*'"},
      {"cat >> /srv/x\nsh", "line break"},
      {"cat >> '/srv/x", "unterminated single quote"},
      {"cat > /srv/x", "truncates"},
      {"cat >>| /srv/x", "after a redirection"},
      {"cat >> /srv/x /etc/shadow", "exactly one file"},
      {"cat >> relative.log", "relative"},
      {"cat >> /srv/../etc/x", "'..' component"},
      {"cat /etc/shadow", "cat without >> FILE"},
      {"cat", "cat without >> FILE"},
      {"tail -f /var/log/x", "other options"},
      {"tail -F /var/log/x /etc/shadow", "exactly one file"},
      {"tail -F /var/log/x; sh", "';'"},
      {"tail -n +1 -F /var/log/x", "other options"},
      {"/usr/lib/openssh/sftp-server", "without -R"},
      {"internal-sftp", "without -R"},
      {"/usr/lib/openssh/sftp-server -R -d /", "'-d' is not known"},
      {"sftp-server -R", "none of the known"},
      {"/bin/sh", "none of the known"},
      {"rsync --server -vlogDtpre.iLsfxC . /srv/", "none of the known"},
      {"flock /srv/x cat >> /srv/x", "without -w"},
      {"flock -w 0 /srv/x cat >> /srv/x", "1 to 3600"},
      {"flock -w 99999 /srv/x cat >> /srv/x", "1 to 3600"},
      {"flock -w 1e3 /srv/x cat >> /srv/x", "1 to 3600"},
      {"flock -w 60 /srv/x cat >> /srv/y", "another file"},
      {"flock -w 60 /srv/x sh -c id", "exactly `cat >> FILE`"},
      {"flock -w 60 /srv/x cat > /srv/x", "exactly `cat >> FILE`"},
      {"flock -w 60 /srv/x cat >> /srv/x /etc/shadow", "exactly `cat >> FILE`"},
      {"flock -w 60 /srv/x cat >> /srv/x; sh", "';'"},
      {"flock -w 60 rel cat >> rel", "relative"},
      {"flock -x /srv/x cat >> /srv/x", "without -w"},
      {"", "empty"},
      {"   ", "empty"},
      {"exec", "`exec` with no command after it runs nothing"},
      {"exec exec cat >> /srv/x", "none of the known"},
      {"exec -a x cat >> /srv/x", "none of the known"},
      {"exec sh", "none of the known"},
      {"exec cat > /srv/x", "truncates"},
      {"exec >> /srv/x", "none of the known"},
      {"exec flock -w 60 /srv/x cat >> /srv/x; sh", "';'"},
  };
  for (const auto& [command, why] : cases) {
    const auto r = check_forced_command(command);
    EXPECT_FALSE(r.role) << command;
    EXPECT_NE(r.problem.find(why), std::string::npos) << command << ": " << r.problem;
  }
}

}  // namespace
}  // namespace logship::authkeys
