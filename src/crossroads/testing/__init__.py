"""Test doubles that ship with crossroads.

The fake OpenAI-compatible upstream (with fault injection and a request record) lives in
``fake_upstream``; serve it on a real socket with ``crossroads.testing.server.serving``:

    from crossroads.testing.fake_upstream import FakeConfig, create_fake_upstream
    from crossroads.testing.fake_faults import Fault
"""
