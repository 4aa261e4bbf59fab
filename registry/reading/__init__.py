"""The read path: what the public may see (visibility), project and disclosure queries,
OGC API features and vector tiles. Framework-free and async."""
