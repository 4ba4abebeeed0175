"""Investor onboarding and offboarding, one idempotent chain step per worker pass.

deploy: requested -> deploying -> claiming -> registering -> active
link:   requested -> registering -> active
off:    offboarding -> offboarded

- ``deploying``: the registrar key deploys an ONCHAINID identity (``InvestorIdentity``) with
  itself as management key (outbox key ``identity:deploy:<wallet>``).
- ``claiming``: the configured claim key signs a KYC claim bound to this chain and registry with
  an expiry, and the registrar adds it to the identity (``identity:claim:<wallet>``).
- ``registering``: the registry records wallet, identity and country
  (``identity:register:<wallet>``); ``active`` once the wallet is verified.
- A linked identity must already carry a valid KYC claim: registration that leaves the wallet
  unverified fails with that reason.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from issuer.chain import ChainError
from issuer.claims import ECDSA_SCHEME, KYC_TOPIC, claim_data, sign_claim
from issuer.lifecycle.common import advance, chain_step, dispatch, move, outcome_of
from issuer.models import ChainTx, Investor
from issuer.service import Issuer
from issuer.statuses import OPEN_INVESTORS

OPEN = OPEN_INVESTORS


def _key(investor: Investor, step: str) -> str:
    """Outbox key of a step; an onboarding started again (after offboarding) gets new keys."""
    return f"identity:{step}:{investor.wallet}:{int(investor.created_at.timestamp() * 1000)}"


def step(issuer: Issuer, db: Session, investor: Investor) -> None:
    dispatch(_STEPS, issuer, db, investor)


def _outcome(db: Session, investor: Investor, result: ChainTx | ChainError,
             next_status: str) -> ChainTx | None:
    """The mined transaction (the investor moved to ``next_status``), or None: failed, or in
    flight."""
    return advance(db, investor, outcome_of(result), done=next_status, refused="failed")


def _requested(issuer: Issuer, db: Session,  # noqa: ARG001 (the dispatcher's signature)
               investor: Investor) -> None:
    if investor.mode == "link":
        move(db, investor, "registering")
    else:
        move(db, investor, "deploying")


def _deploying(issuer: Issuer, db: Session, investor: Investor) -> None:
    registrar = issuer.chain.signers["registrar"].address
    result = chain_step(issuer, db, _key(investor, "deploy"), "registrar",
                        lambda: issuer.chain.calls.deploy_identity(registrar))
    mined = _outcome(db, investor, result, "claiming")
    if mined is not None:
        investor.identity = mined.contract_address


def _claiming(issuer: Issuer, db: Session, investor: Investor) -> None:
    assert investor.identity is not None
    identity_address = investor.identity
    chain = issuer.chain
    claim_issuer = chain.contract("KycClaimIssuer").address

    def call():  # noqa: ANN202  (signed once: the outbox keeps the transaction)
        expires = chain.block_time() + issuer.settings.claim_validity_days * 86_400
        data = claim_data(chain.chain_id, chain.registry.address, claim_issuer, expires)
        claim = sign_claim(issuer.settings.claim_key.get_secret_value(), identity_address,
                           claim_issuer, KYC_TOPIC, data)
        return chain.calls.add_claim(identity_address, KYC_TOPIC, ECDSA_SCHEME, claim_issuer,
                                     claim.signature, claim.data)

    result = chain_step(issuer, db, _key(investor, "claim"), "registrar", call)
    _outcome(db, investor, result, "registering")


def _registering(issuer: Issuer, db: Session, investor: Investor) -> None:
    assert investor.identity is not None
    identity = investor.identity
    result = chain_step(issuer, db, _key(investor, "register"), "registrar",
                        lambda: issuer.chain.calls.register_identity(
                            investor.wallet, identity, investor.country))
    if _outcome(db, investor, result, "active") is not None and not issuer.chain.is_verified(
            investor.wallet):
        move(db, investor, "failed", "registered, but the identity has no valid KYC claim")


def _offboarding(issuer: Issuer, db: Session, investor: Investor) -> None:
    result = chain_step(issuer, db, _key(investor, "delete"), "registrar",
                        lambda: issuer.chain.calls.delete_identity(investor.wallet))
    _outcome(db, investor, result, "offboarded")


_STEPS = {
    "requested": _requested,
    "deploying": _deploying,
    "claiming": _claiming,
    "registering": _registering,
    "offboarding": _offboarding,
}
