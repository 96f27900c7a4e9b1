"""Client secret rotation in two slots, scheduled from configuration alone.

The scheme. Time is cut into rotation steps of ``period_days``, counted from
``start``; step ``n`` begins at ``start + n * period``. The configuration names
the step in force, the *epoch* ``N`` (an integer someone, or a scheduled job,
raises by one each period). The clock is never read, so the same configuration
gives the same inputs on every run.

Each identity has two password slots, ``a`` and ``b``. Slot ``a`` is issued at
even steps and slot ``b`` at odd ones, so at epoch ``N``:

- the slot of ``N``'s parity was issued at step ``N``: it is the *newer* one,
  and the Harness secret holds it;
- the other slot was issued at step ``N - 1`` (step ``-1`` for slot ``b`` at
  epoch 0) and stays valid while Harness switches over.

A slot issued at step ``m`` is valid until ``start + (m + 2) * period +
overlap``: through its own step, the next one, and ``overlap_days`` beyond the
step that replaces it, which covers an ``up`` that runs late. It never
outlives the configured password end date, which caps every slot.

Raising the epoch from ``N`` to ``N + 1`` re-issues exactly one slot (the one of
``N + 1``'s parity, whose generation moves from ``N - 1`` to ``N + 1``); the
other slot's generation, end date and therefore inputs stay as they were. The
slot's generation is also its ``rotate_when_changed`` key, so a re-issue is a
replacement even when the cap makes two end dates equal.
"""

from __future__ import annotations

import dataclasses
import datetime

SLOTS = ("a", "b")

# A configured end date closer than this to the epoch's start earns a warning.
EXPIRY_WARNING = datetime.timedelta(days=30)


@dataclasses.dataclass(frozen=True)
class RotationSchedule:
    """When the two password slots are re-issued."""

    start: datetime.datetime
    """When step 0 begins (time zone aware)."""
    period_days: int
    """Days between two rotation steps."""
    overlap_days: int
    """Days a replaced slot stays valid after the step that replaces it."""
    epoch: int
    """The rotation step in force."""

    def step_start(self, step: int) -> datetime.datetime:
        """When rotation step ``step`` begins."""
        return self.start + datetime.timedelta(days=self.period_days * step)

    @property
    def epoch_start(self) -> datetime.datetime:
        """When the step in force began: the 'now' of this configuration."""
        return self.step_start(self.epoch)

    @property
    def newer_slot(self) -> str:
        """The slot issued at the epoch, whose value the Harness secret holds."""
        return SLOTS[self.epoch % 2]

    def generation(self, slot: str) -> int:
        """The step at which ``slot`` was last issued (the epoch or the one before)."""
        parity = SLOTS.index(slot)
        return self.epoch - (self.epoch - parity) % 2

    def valid_until(self, slot: str) -> datetime.datetime:
        """When the current issue of ``slot`` expires, before any cap."""
        end = self.step_start(self.generation(slot) + 2)
        return end + datetime.timedelta(days=self.overlap_days)


@dataclasses.dataclass(frozen=True)
class PasswordPolicy:
    """How an identity's client secrets are issued."""

    end_date: datetime.datetime
    """The configured end date: no password outlives it."""
    schedule: RotationSchedule | None = None
    """Two rotating slots when set; one password until ``end_date`` otherwise."""


@dataclasses.dataclass(frozen=True)
class PasswordSlot:
    """One application password to register."""

    slot: str
    """'a' or 'b'."""
    end_date: str
    """RFC 3339 end date."""
    generation: int | None
    """Rotation step the slot was issued at; None without rotation."""
    newer: bool
    """True for the slot whose value the Harness secret holds."""


def rfc3339(moment: datetime.datetime) -> str:
    """``moment`` in UTC as Entra ID expects it, like 2027-06-30T00:00:00Z."""
    return moment.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def password_slots(policy: PasswordPolicy) -> tuple[PasswordSlot, ...]:
    """The passwords ``policy`` asks for, slot 'a' first."""
    schedule = policy.schedule
    if schedule is None:
        return (PasswordSlot("a", rfc3339(policy.end_date), None, newer=True),)
    return tuple(
        PasswordSlot(
            slot,
            rfc3339(min(schedule.valid_until(slot), policy.end_date)),
            schedule.generation(slot),
            newer=slot == schedule.newer_slot,
        )
        for slot in SLOTS
    )


def expiry_warning(policy: PasswordPolicy) -> str | None:
    """A warning when the end date lies within 30 days of the epoch's start."""
    schedule = policy.schedule
    if schedule is None:
        return None
    left = policy.end_date - schedule.epoch_start
    if left > EXPIRY_WARNING:
        return None
    return (
        f"passwordEndDate {rfc3339(policy.end_date)} is {left.days} days after the start "
        f"of rotation epoch {schedule.epoch} ({rfc3339(schedule.epoch_start)}); every "
        "client secret expires by then: move passwordEndDate later"
    )
