// Placeholder until the hook lands.
process.stderr.write("actk-hook: not implemented yet\n");
process.exitCode = 1;
