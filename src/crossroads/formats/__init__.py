"""Wire formats other than Chat Completions, translated to and from it (the gateway's internal format)."""
