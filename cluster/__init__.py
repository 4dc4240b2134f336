"""Ray: shard actors, the Ray backend of the runner, cluster configurations and job entry.

Nothing outside the entry points that choose a backend imports this package.
"""
