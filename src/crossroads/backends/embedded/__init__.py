"""The embedded backend: llama-cpp-python in process (``backend``), its model slots (``engine``), how a request
becomes a llama.cpp call (``request``, ``tools``) and one generation run (``run``)."""
