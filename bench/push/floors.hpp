// Floors of the logship-push benchmark: libssh's send path, the format's per-line hashing, a
// durable intake, and the three as one pipeline.
#pragma once

int cmd_libssh_send(int argc, char** argv);
int cmd_hash_lines(int argc, char** argv);
int cmd_intake(int argc, char** argv);
int cmd_pipeline(int argc, char** argv);
