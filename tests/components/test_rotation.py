"""Two password slots re-issued on a schedule derived from configuration alone."""

from __future__ import annotations

import datetime

from hypothesis import given
from hypothesis import strategies as st

from components import rotation

START = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
FAR = datetime.datetime(2099, 1, 1, tzinfo=datetime.UTC)


def schedule(epoch: int, period: int = 90, overlap: int = 14) -> rotation.RotationSchedule:
    """A schedule starting 2026-01-01 at ``epoch``."""
    return rotation.RotationSchedule(
        start=START, period_days=period, overlap_days=overlap, epoch=epoch
    )


def slots(epoch: int, period: int = 90, overlap: int = 14, end: datetime.datetime = FAR) -> dict:
    """The slots at ``epoch``, by slot name."""
    policy = rotation.PasswordPolicy(end_date=end, schedule=schedule(epoch, period, overlap))
    return {slot.slot: slot for slot in rotation.password_slots(policy)}


def test_without_rotation_one_password_carries_the_end_date() -> None:
    """No schedule gives a single slot 'a', the newer one, ending on the configured date."""
    policy = rotation.PasswordPolicy(end_date=datetime.datetime(2027, 6, 30, tzinfo=datetime.UTC))
    assert rotation.password_slots(policy) == (
        rotation.PasswordSlot("a", "2027-06-30T00:00:00Z", None, newer=True),
    )


def test_epoch_zero_issues_slot_a_and_carries_slot_b_from_the_step_before() -> None:
    """At epoch 0 slot a is newer (step 0) and slot b dates from step -1."""
    at_zero = slots(0)
    assert (at_zero["a"].generation, at_zero["a"].newer) == (0, True)
    assert (at_zero["b"].generation, at_zero["b"].newer) == (-1, False)
    assert at_zero["a"].end_date == "2026-07-14T00:00:00Z"  # start + 2 * 90 + 14 days
    assert at_zero["b"].end_date == "2026-04-15T00:00:00Z"  # start + 1 * 90 + 14 days


@given(
    st.integers(min_value=0, max_value=2000),
    st.integers(min_value=1, max_value=365),
    st.integers(min_value=0, max_value=365),
)
def test_one_epoch_step_reissues_exactly_one_slot(epoch: int, period: int, overlap: int) -> None:
    """From epoch N to N+1 exactly one slot is re-issued, and it becomes the newer one."""
    before, after = slots(epoch, period, overlap), slots(epoch + 1, period, overlap)
    changed = [
        name
        for name in rotation.SLOTS
        if (before[name].generation, before[name].end_date)
        != (after[name].generation, after[name].end_date)
    ]
    assert len(changed) == 1, f"Exactly one slot should change, got {changed}."
    (slot,) = changed
    assert after[slot].newer, "The re-issued slot should be the newer one."
    assert after[slot].generation == epoch + 1
    (kept,) = [name for name in rotation.SLOTS if name != slot]
    assert before[kept].newer, "The kept slot was the newer one before the step."
    assert not after[kept].newer


@given(st.integers(min_value=0, max_value=2000), st.integers(min_value=1, max_value=365))
def test_the_older_slot_outlives_the_start_of_the_next_epoch(epoch: int, period: int) -> None:
    """Before capping, the older slot stays valid until overlap days into the next epoch."""
    plan = schedule(epoch, period, overlap=7)
    older = rotation.SLOTS[(epoch + 1) % 2]
    assert plan.valid_until(older) == plan.step_start(epoch + 1) + datetime.timedelta(days=7)


def test_the_configured_end_date_caps_every_slot() -> None:
    """No slot outlives the configured password end date."""
    capped = slots(3, end=datetime.datetime(2026, 12, 31, tzinfo=datetime.UTC))
    assert capped["b"].end_date == "2026-12-31T00:00:00Z"  # uncapped: 2027-04-10
    assert capped["a"].end_date == "2026-12-31T00:00:00Z"  # uncapped: 2027-01-10


def test_an_end_date_within_30_days_of_the_epoch_warns() -> None:
    """An end date 30 days or less after the epoch's start gives a warning naming both."""
    epoch_start = schedule(2).epoch_start
    policy = rotation.PasswordPolicy(
        end_date=epoch_start + datetime.timedelta(days=30), schedule=schedule(2)
    )
    warning = rotation.expiry_warning(policy)
    assert warning is not None
    assert "30 days after the start of rotation epoch 2 (2026-06-30T00:00:00Z)" in warning


def test_an_end_date_further_away_does_not_warn() -> None:
    """An end date more than 30 days after the epoch's start gives no warning."""
    epoch_start = schedule(2).epoch_start
    policy = rotation.PasswordPolicy(
        end_date=epoch_start + datetime.timedelta(days=31), schedule=schedule(2)
    )
    assert rotation.expiry_warning(policy) is None
