#include "follow/genesis.hpp"

#include "vault/hashing.hpp"

namespace logship::follow {

namespace {

// The record is a seal-state line (FORMAT.md §10) with seq = j and key = G_j, as `init` of
// earlier versions wrote it with j = 0 and key = K_0.
std::string record(std::uint64_t position, const crypto::Digest& g) {
  auto state = vault::SealState::at(position, crypto::Digest{}, g);
  return state.persist();
}

}  // namespace

Result<void> GenesisKey::create(const std::filesystem::path& path, const crypto::Digest& g0) {
  auto file = SlotFile::open(path);
  if (!file) return file.error();
  auto old = file->read();
  if (!old) return old.error();
  if (old->has_value())
    return make_error(ErrorKind::config, path.string() + " already holds a genesis key");
  return file->write(record(0, g0));
}

Result<GenesisKey> GenesisKey::open(const std::filesystem::path& path) {
  auto file = SlotFile::open(path);
  if (!file) return file.error();
  auto text = file->read();
  if (!text) return text.error();
  if (!text->has_value())
    return make_error(ErrorKind::config,
                      path.string() + " is empty; run logship-pull init for a new state directory");
  auto state = vault::SealState::restore(**text);
  if (!state) return make_error(ErrorKind::data, path.string() + ": " + state.error().message);
  return GenesisKey(std::move(*file), path, state->seq(), state->key());
}

GenesisKey::GenesisKey(GenesisKey&& o) noexcept
    : file_(std::move(o.file_)), path_(std::move(o.path_)), position_(o.position_), g_(o.g_) {
  crypto::wipe(o.g_);
}

GenesisKey::~GenesisKey() {
  crypto::wipe(g_);
}

Result<vault::SealState> GenesisKey::start_stream(std::string_view src, std::string_view stream) {
  auto next = vault::next_genesis(g_);
  const auto j = position_;
  // First the next position on disk: a crash after it wastes position j, never reuses it.
  if (auto st = file_.write(record(j + 1, next)); !st) {
    crypto::wipe(next);
    return make_error(st.error().kind, path_.string() + ": " + st.error().message);
  }
  auto k0 = vault::stream_key(g_, j, src, stream);
  crypto::wipe(g_);
  g_ = next;
  crypto::wipe(next);
  position_ = j + 1;
  auto state = vault::SealState::initial(k0, j);
  crypto::wipe(k0);
  return state;
}

}  // namespace logship::follow
