"""agentpprof: pprof-style semantic profiles of local AI coding-agent history."""

__version__ = "0.1.0"
