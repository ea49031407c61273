// Floors of the logship-push benchmark: libssh's send path and the format's per-line hashing.
#pragma once

int cmd_libssh_send(int argc, char** argv);
int cmd_hash_lines(int argc, char** argv);
