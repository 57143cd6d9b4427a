"""kerio-watch: find hijacked mail accounts on a Kerio Connect server from its own logs."""

__version__ = "0.1.0"
