"""The stateless generator: content requests in, guarded copy out."""
