"""Every state machine's statuses, one ``StrEnum`` each, with its sets beside it: ``OPEN`` (the
worker moves the row on), ``FINAL`` (nothing moves it any more) and, for some, the statuses in
which a row waits for operators. :func:`issuer.lifecycle.common.move` refuses a status its
machine does not have, and the OpenAPI document enumerates them.

The values are the strings stored in the database and answered by the API (a ``StrEnum``
member is equal to its string, so rows read back compare with either).
"""

from __future__ import annotations

from enum import StrEnum


def _values(*members: StrEnum) -> tuple[str, ...]:
    """Plain strings, for queries (a database driver may bind an enum by its member name)."""
    return tuple(member.value for member in members)


class CreationStatus(StrEnum):
    REQUESTED = "requested"
    AWAITING_APPROVAL = "awaiting_approval"
    ORDERED = "ordered"
    JOURNALED = "journaled"
    FILLED = "filled"
    SETTLED = "settled"
    ATTESTING = "attesting"
    MINTING = "minting"
    COMPLETED = "completed"
    FAILED = "failed"
    HALTED = "halted"
    CANCELED = "canceled"


class RedemptionStatus(StrEnum):
    REQUESTED = "requested"
    PAUSED = "paused"
    BURNING = "burning"
    BURNED = "burned"
    ORDERED = "ordered"
    FILLED = "filled"
    SETTLED = "settled"
    PAYING = "paying"
    COMPLETED = "completed"
    FAILED = "failed"
    HALTED = "halted"


class InvestorStatus(StrEnum):
    REQUESTED = "requested"
    DEPLOYING = "deploying"
    CLAIMING = "claiming"
    REGISTERING = "registering"
    ACTIVE = "active"
    OFFBOARDING = "offboarding"
    OFFBOARDED = "offboarded"
    FAILED = "failed"


class ItnStatus(StrEnum):
    """A mint (created -> confirmed -> minting -> minted -> completed) or a redemption
    (detected -> pending -> burning -> completed) over the tokenization network."""

    CREATED = "created"
    CONFIRMED = "confirmed"
    MINTING = "minting"
    MINTED = "minted"
    DETECTED = "detected"
    PENDING = "pending"
    REVIEW = "review"
    BURNING = "burning"
    COMPLETED = "completed"
    REJECTED = "rejected"
    HALTED = "halted"
    #: A stuck mint closed by the operators' dual control, its shares returned to the AP.
    CLOSED = "closed"


class CorporateActionStatus(StrEnum):
    ANNOUNCED = "announced"
    RECORDED = "recorded"
    PAID = "paid"
    REINVESTING = "reinvesting"
    PROPOSED = "proposed"
    AWAITING_APPROVAL = "awaiting_approval"
    APPROVED = "approved"
    SCHEDULING = "scheduling"
    SCHEDULED = "scheduled"
    #: A name change waits for the token's owner to send the new name and symbol.
    RENAMING = "renaming"
    #: A spin-off waits for the factory's owner to list the new company.
    LISTING = "listing"
    #: A spin-off attests the new company's custody and mints its holders' tokens.
    DISTRIBUTING = "distributing"
    #: A stock merger mints the acquirer's tokens and burns the acquired company's.
    MIGRATING = "migrating"
    CHECKING = "checking"
    CANCELING = "canceling"
    FUNDING = "funding"
    CLAIMABLE = "claimable"
    RECLAIMING = "reclaiming"
    COMPLETED = "completed"
    HALTED = "halted"
    CANCELED = "canceled"
    FAILED = "failed"


class CorporateActionKind(StrEnum):
    """What a corporate action does to the token (each kind has its own steps)."""

    DIVIDEND = "dividend"
    STOCK_DIVIDEND = "stock_dividend"
    FORWARD_SPLIT = "forward_split"
    REVERSE_SPLIT = "reverse_split"
    NAME_CHANGE = "name_change"
    CASH_MERGER = "cash_merger"
    WORTHLESS_REMOVAL = "worthless_removal"
    SPIN_OFF = "spin_off"
    STOCK_MERGER = "stock_merger"
    DELISTING = "delisting"


class MeetingStatus(StrEnum):
    ANNOUNCED = "announced"
    PUBLISHING = "publishing"
    OPEN = "open"
    INSTRUCTING = "instructing"
    INSTRUCTED = "instructed"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    FAILED = "failed"


class ApprovalStatus(StrEnum):
    PENDING = "pending"
    DECIDING = "deciding"
    APPROVED = "approved"
    REJECTED = "rejected"
    SUPERSEDED = "superseded"


C, R, V, T, A, M = (CreationStatus, RedemptionStatus, InvestorStatus, ItnStatus,
                    CorporateActionStatus, MeetingStatus)
#: The statuses the worker moves on, per machine (a halted creation or redemption is open: the
#: invariant check may clear it).
OPEN_CREATIONS = _values(C.REQUESTED, C.ORDERED, C.JOURNALED, C.FILLED, C.SETTLED,
                         C.ATTESTING, C.MINTING, C.HALTED)
OPEN_REDEMPTIONS = _values(R.REQUESTED, R.PAUSED, R.BURNING, R.BURNED, R.ORDERED, R.FILLED,
                           R.SETTLED, R.PAYING, R.HALTED)
OPEN_INVESTORS = _values(V.REQUESTED, V.DEPLOYING, V.CLAIMING, V.REGISTERING, V.OFFBOARDING)
OPEN_ITN = _values(T.CREATED, T.CONFIRMED, T.MINTING, T.MINTED, T.DETECTED, T.PENDING,
                   T.REVIEW, T.BURNING)
#: ``proposed`` and ``awaiting_approval`` wait for operators.
ACTIVE_CORPORATE_ACTIONS = _values(A.ANNOUNCED, A.RECORDED, A.PAID, A.REINVESTING, A.APPROVED,
                                   A.SCHEDULING, A.SCHEDULED, A.RENAMING, A.LISTING,
                                   A.DISTRIBUTING, A.MIGRATING, A.CHECKING,
                                   A.CANCELING,
                                   A.FUNDING, A.CLAIMABLE, A.RECLAIMING)
OPEN_MEETINGS = _values(M.ANNOUNCED, M.PUBLISHING, M.OPEN, M.INSTRUCTING, M.INSTRUCTED)
#: Nothing moves these any more.
FINAL_CREATIONS = _values(C.COMPLETED, C.FAILED, C.CANCELED)
FINAL_REDEMPTIONS = _values(R.COMPLETED, R.FAILED)
FINAL_INVESTORS = _values(V.OFFBOARDED, V.FAILED)
FINAL_ITN = _values(T.COMPLETED, T.REJECTED, T.CLOSED)
FINAL_CORPORATE_ACTIONS = _values(A.COMPLETED, A.CANCELED, A.FAILED)
FINAL_MEETINGS = _values(M.COMPLETED, M.CANCELLED, M.FAILED)
