"""The ``/v1`` endpoints, one module per resource; the decisions live in the service layer
(:mod:`issuer.operations`, :mod:`issuer.controls`, :mod:`issuer.reserves`), where the CLI and
the tests reach them too."""

from __future__ import annotations

from fastapi import APIRouter

from issuer.api.routes import (
    admin,
    audit,
    controls,
    corporate_actions,
    creations,
    investors,
    itn,
    meetings,
    redemptions,
    register,
    reserves,
)

router = APIRouter(prefix="/v1")
for module in (admin, creations, redemptions, corporate_actions, reserves, controls, investors,
               audit, itn, meetings, register):
    router.include_router(module.router)
#: The tokenization network's endpoints (no prefix: the paths the broker knows).
network_router = itn.network_router
