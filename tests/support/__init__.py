"""Helpers shared by the tests and the benchmarks: a scripted backend, process starters, a tiny GGUF writer and a
labelled corpus of personal data."""
