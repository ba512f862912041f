"""A fake OpenAI-compatible upstream (also Azure-flavoured) that records requests and injects faults.

    from crossroads.testing.fake_upstream import FakeConfig, Fault, create_fake_upstream

``app`` builds the Starlette app and its routes; ``endpoints`` answers each generation endpoint from ``content``
(deterministic text, one token per word) in the ``wire`` shapes, streamed by ``stream``; ``faults`` parses the
faults a test asks for and ``state`` holds what the fake received. ``crossroads fake-upstream`` serves it.
"""

from crossroads.testing.fake_upstream.app import create_fake_upstream, run_fake_upstream
from crossroads.testing.fake_upstream.faults import Fault, FaultSpecError
from crossroads.testing.fake_upstream.state import FakeConfig, FakeState

__all__ = ["FakeConfig", "FakeState", "Fault", "FaultSpecError", "create_fake_upstream", "run_fake_upstream"]
