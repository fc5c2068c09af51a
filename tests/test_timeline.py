"""The timeline's own bookkeeping, below what the registry shows."""

from __future__ import annotations

import attrs
import pendulum
import pytest
from hypothesis import given
from hypothesis import strategies as st

from aes_membership import (
    BlocFounded,
    EventRetracted,
    InvariantError,
    KindChanged,
    StateJoined,
    StateRegistered,
    StateReinstated,
    StateSuspended,
    StateWithdrew,
    UnknownIdError,
)
from aes_membership.dates import PartialDate
from aes_membership.timeline import Timeline, shared_day

LAST_DAY = pendulum.Date.max.toordinal()


@given(st.integers(min_value=1, max_value=LAST_DAY))
def test_a_day_ordinal_is_one_shared_int_of_that_value(ordinal: int) -> None:
    """A day ordinal, asked for twice from ints made apart, is one object equal to it."""
    first = shared_day(int(str(ordinal)))
    again = shared_day(int(str(ordinal)))
    assert first == ordinal
    assert first is again


def test_events_of_one_day_share_its_ordinal_across_batches() -> None:
    """Events on the same date, recorded in different batches, hold one int for that day."""
    day = "2023-09-16"
    timeline = Timeline().apply(
        [StateRegistered(state="MLI", name="Mali"), StateRegistered(state="NER", name="Niger"),
         BlocFounded(bloc="AES", name="AES", on=pendulum.Date(2023, 9, 16))], 1)
    timeline = timeline.apply([StateJoined(state="MLI", bloc="AES", on=day)], 4)
    timeline = timeline.apply([StateJoined(state="NER", bloc="AES", on=day),
                               StateWithdrew(state="NER", bloc="AES", on="2024")], 5)
    founded = timeline.lifecycle("bloc", "AES")[0]
    mali = timeline.memberships[("MLI", "AES")].entries[0]
    niger = timeline.memberships[("NER", "AES")].entries
    assert founded[0] is mali[0] is mali[1] is niger[0][0]
    assert niger[1][:2] == (pendulum.Date(2024, 1, 1).toordinal(),
                            pendulum.Date(2024, 12, 31).toordinal())
    assert niger[1][0] is shared_day(PartialDate(year=2024).first.toordinal())


def test_an_event_retracted_in_its_own_batch_is_not_live() -> None:
    """An event retracted by a later event of its own batch leaves neither the live map nor
    its line holding it, and the events around it stay."""
    joined = StateJoined(state="MLI", bloc="AES", on="2023-09-16")
    withdrew = StateWithdrew(state="MLI", bloc="AES", on="2024-01-01")
    timeline = Timeline().apply(
        [StateRegistered(state="MLI", name="Mali"),
         BlocFounded(bloc="AES", name="AES", on="2023-09-16"),
         joined, withdrew, EventRetracted(target=withdrew.id, reason="announced, not done")], 1)
    assert joined.id.int in timeline.live and withdrew.id.int not in timeline.live
    assert withdrew.id.int in timeline.retractions
    assert [timeline.event_of(entry) for entry in timeline.memberships[("MLI", "AES")].entries] == [
        joined]
    assert timeline.event_count == 3


@attrs.frozen
class _Joined(StateJoined):
    pass


@attrs.frozen
class _Changed(KindChanged):
    pass


@attrs.frozen
class _Suspended(StateSuspended):
    pass


@attrs.frozen
class _Reinstated(StateReinstated):
    pass


@attrs.frozen
class _Withdrew(StateWithdrew):
    pass


def _spells(joined: type[StateJoined], changed: type[KindChanged], suspended: type[StateSuspended],
            reinstated: type[StateReinstated], withdrew: type[StateWithdrew]) -> object:
    timeline = Timeline().apply([
        StateRegistered(state="MLI", name="Mali"),
        BlocFounded(bloc="AES", name="Alliance of Sahel States", on="2023-09-16"),
        joined(state="MLI", bloc="AES", on="2023-09-16", kind="observer"),
        changed(state="MLI", bloc="AES", on="2023-12-01", kind="full"),
        suspended(state="MLI", bloc="AES", on="2024-01-01"),
        reinstated(state="MLI", bloc="AES", on="2024-02-01"),
        withdrew(state="MLI", bloc="AES", on="2024-09-16"),
    ], 1)
    line = timeline.memberships.get(("MLI", "AES"))
    assert line is not None
    return line.points, line.codes, [
        (s.start, s.end, s.kinds, s.suspensions) for s in timeline.spells("MLI", "AES")]


def test_subclasses_of_membership_events_fold_as_their_classes_do() -> None:
    """Events of subclasses of the membership events make the same line and spells."""
    plain = _spells(StateJoined, KindChanged, StateSuspended, StateReinstated, StateWithdrew)
    assert plain == _spells(_Joined, _Changed, _Suspended, _Reinstated, _Withdrew)
    with pytest.raises(InvariantError, match="the state is not suspended at that date"):
        Timeline().apply([
            StateRegistered(state="MLI", name="Mali"),
            BlocFounded(bloc="AES", name="Alliance of Sahel States", on="2023-09-16"),
            _Joined(state="MLI", bloc="AES", on="2023-09-16"),
            _Reinstated(state="MLI", bloc="AES", on="2024-02-01"),
        ], 1)


def test_a_validated_batch_that_gives_an_id_again_is_refused() -> None:
    """Validation refuses an event whose id the batch gave before, or that is live already,
    naming both events; a replay (unvalidated) does not look, and keeps the event once."""
    mali = StateRegistered(state="MLI", name="Mali")
    niger = StateRegistered(state="NER", name="Niger")
    with pytest.raises(InvariantError, match=f"event id {mali.id} is given twice") as caught:
        Timeline().apply([mali, niger, mali], 1)
    assert (caught.value.event, caught.value.conflicting) == (mali, mali)
    recorded = Timeline().apply([mali], 1)
    with pytest.raises(InvariantError, match="or is recorded already"):
        recorded.apply([niger, mali], 2)
    replayed = recorded.apply([niger, mali], 2, validate=False)  # does not raise
    assert replayed.event_count == 2 and len(replayed.live) == 2  # mali counted once


@pytest.mark.parametrize("known_first", [False, True])
def test_a_batch_is_checked_against_the_ids_that_exist_whether_or_not_they_were_worked_out(
        known_first: bool) -> None:
    """Ids a snapshot worked out (known) answer for subjects a batch leaves alone; one the
    batch registers or retracts is looked at again; an unknown id is refused either way."""
    founded = BlocFounded(bloc="AES", name="Alliance of Sahel States", on="2023-09-16")
    registered = StateRegistered(state="MLI", name="Mali")
    base = Timeline().apply([founded, registered], 1)
    if known_first:
        assert base.known("state") == {"MLI"} and base.known("bloc") == {"AES"}
    joined = base.apply([StateJoined(state="MLI", bloc="AES", on="2023-09-16")], 3)
    assert joined.memberships[("MLI", "AES")].code_on(founded.effective.toordinal()) > 0
    with pytest.raises(UnknownIdError, match="unknown state 'NER'"):
        base.apply([StateJoined(state="NER", bloc="AES", on="2023-09-16")], 3)
    with pytest.raises(UnknownIdError, match="unknown bloc 'G5'"):
        base.apply([StateJoined(state="MLI", bloc="G5", on="2023-09-16")], 3)
    niger = StateRegistered(state="NER", name="Niger")
    both = base.apply([niger, StateJoined(state="NER", bloc="AES", on="2023-09-16")], 3)
    assert ("NER", "AES") in both.memberships
    with pytest.raises(UnknownIdError, match="unknown state 'MLI'"):
        base.apply([EventRetracted(target=registered.id, reason="a test"),
                    StateJoined(state="MLI", bloc="AES", on="2023-09-16")], 3)


def test_timelines_grown_from_one_base_share_its_log_and_keep_their_own_events() -> None:
    """A batch applied to the log's last timeline extends the log in place, a refused one
    leaves it as it was, and one applied to an earlier timeline gets a copy: each timeline
    finds its own events."""
    founded = BlocFounded(bloc="AES", name="Alliance of Sahel States", on="2023-09-16")
    base = Timeline().apply([founded, StateRegistered(state="MLI", name="Mali")], 1)
    with pytest.raises(UnknownIdError):
        base.apply([StateJoined(state="NER", bloc="AES", on="2023-09-16")], 3)
    assert len(base.events) == 2
    mali = StateJoined(state="MLI", bloc="AES", on="2023-09-16")
    grown = base.apply([mali], 3)
    assert grown.events is base.events and len(base.events) == 3
    niger = StateRegistered(state="NER", name="Niger")
    other = base.apply([niger], 3)
    assert other.events is not base.events
    assert grown.history("MLI")[-1] is mali and other.history("NER") == (niger,)
    assert grown.history("NER") == () and other.history("MLI")[-1] is not mali
