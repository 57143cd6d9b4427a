"""Sources: where log lines come from (files, directories, stdin, followed files)."""
