"""The mirror's git repository, its remotes and the lock that keeps runs apart."""
