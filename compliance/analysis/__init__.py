"""Pure analysis of what was read: the assessed system (zones over reachability), change approvals, drift, the
effects of history, and policy changes."""
