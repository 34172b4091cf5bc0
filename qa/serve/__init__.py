"""People and scripts: the CLI, batch files, progress bars, serving snapshots and the web chat."""
