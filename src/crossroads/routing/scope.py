"""Key scope: a key with a model list is served only by what those models are served by.

Admission checks the model the client asked for; routing may then change the model that serves the
call — a rule, a fallback, a cascade step, a shadow mirror. Each of those asks here again, with the
key's own list, so no client-settable input (a header, ``metadata``) and no failure upstream can carry
a call to a model its key may not use:

    rule      a matching rule whose ``use`` model the key may not use is passed over
    fallback  only deployments of models on the key's list are candidates (cascade steps are candidates)
    shadow    a mirror to a deployment of no model on the key's list is skipped

A call without a key, or a key without a model list, may use everything. Judge calls made by a cascade
validator are the operator's choice (``routing`` config), not the client's, and are not limited here.
"""

from __future__ import annotations

from collections.abc import Mapping

from crossroads.pipeline.call import Call
from crossroads.routing.groups import Group


def models_of(call: Call) -> frozenset[str] | None:
    """The key's model list, or None when the call may use every model."""
    return call.key.models if call.key is not None else None


def allows_model(call: Call, model: str) -> bool:
    models = models_of(call)
    return models is None or model in models


def deployments(call: Call, groups: Mapping[str, Group]) -> frozenset[str] | None:
    """Keys (``backend:upstream``) of the deployments that serve a model on the call's key list;
    None when the call is not limited."""
    models = models_of(call)
    if models is None:
        return None
    return frozenset(d.key for name in models if name in groups for d in groups[name].prepared.deployments)
