// Writing a minted key pair: KEYFILE (private, 0600) and KEYFILE.pub (0644), as ssh-keygen
// lays them out, never over an existing file unless asked.
#pragma once

#include <filesystem>
#include <string_view>

#include "util/result.hpp"

namespace logship::authkeys {

// KEYFILE.pub for KEYFILE.
std::filesystem::path public_key_path(const std::filesystem::path& private_key);

// Checks where a key pair will go, before anything is minted: the directory exists, is a
// directory, and is not writable by group or others (who could swap the key file); and,
// unless `replace`, neither KEYFILE nor KEYFILE.pub exists. kind config, naming the fix.
Result<void> check_key_destination(const std::filesystem::path& private_key, bool replace);

// Writes both files and fsyncs them and their directory. The private key is created with
// O_CREAT|O_EXCL|O_NOFOLLOW and mode 0600 whatever the umask; with `replace`, each file is
// written to a temporary name and renamed over the old one, so a reader sees the old or the
// new file, never a mix. If the public key cannot be written, a private key this call created
// is removed again.
Result<void> write_key_files(const std::filesystem::path& private_key,
                             std::string_view private_text, std::string_view public_line,
                             bool replace);

}  // namespace logship::authkeys
