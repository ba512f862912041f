"""Test doubles that ship with crossroads, for users' tests and ``crossroads fake-upstream``.

The fake OpenAI-compatible upstream (with fault injection and a request record) is the ``fake_upstream``
package; serve it on a real socket with ``crossroads.testing.server.serving``:

    from crossroads.testing.fake_upstream import FakeConfig, Fault, create_fake_upstream
    from crossroads.testing.server import serving
"""
