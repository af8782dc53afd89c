"""The library API: one workflow per thing a user asks segproof to do, called by the command line."""
