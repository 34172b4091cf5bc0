"""People and scripts: the CLI, batch files, progress bars, the live assistant over serving snapshots, the web chat."""
