"""The shared lifecycle mixin: each model's state machine, written out here by hand, and its refusals."""
from __future__ import annotations

import pytest

from web.codes import ENGAGEMENT_STATUSES, ISSUE_STATUSES, REQUEST_STATUSES, VISIT_STATUSES
from web.models import Engagement, EngagementRequest, IllegalTransition, Issue, Lifecycle, Visit

ALLOWED = {
    Issue: {("draft", "open"), ("draft", "withdrawn"), ("open", "matching"), ("open", "withdrawn"),
            ("matching", "engaged"), ("matching", "open"), ("matching", "withdrawn"), ("engaged", "closed"),
            ("engaged", "matching")},
    EngagementRequest: {("pending", "accepted"), ("pending", "declined"), ("pending", "expired"),
                        ("pending", "withdrawn")},
    Engagement: {("active", "completed"), ("active", "cancelled")},
    Visit: {("proposed", "confirmed"), ("proposed", "cancelled"), ("confirmed", "proposed"),
            ("confirmed", "done"), ("confirmed", "cancelled")},
}

REFUSED = [
    (EngagementRequest, "accepted", "declined", "依頼の状態を「承諾」から「辞退」に変更することはできません。"),
    (EngagementRequest, "declined", "accepted", "依頼の状態を「辞退」から「承諾」に変更することはできません。"),
    (EngagementRequest, "expired", "pending", "依頼の状態を「期限切れ」から「回答待ち」に変更することはできません。"),
    (EngagementRequest, "withdrawn", "accepted", "依頼の状態を「取り下げ」から「承諾」に変更することはできません。"),
    (Engagement, "completed", "active", "支援の状態を「完了」から「支援中」に変更することはできません。"),
    (Engagement, "cancelled", "completed", "支援の状態を「中止」から「完了」に変更することはできません。"),
    (Visit, "proposed", "done", "訪問の状態を「日程調整中」から「実施済み」に変更することはできません。"),
    (Visit, "done", "proposed", "訪問の状態を「実施済み」から「日程調整中」に変更することはできません。"),
    (Visit, "cancelled", "confirmed", "訪問の状態を「中止」から「確定」に変更することはできません。"),
    (Issue, "draft", "closed", "課題の状態を「下書き」から「完了」に変更することはできません。"),
    (Issue, "closed", "open", "課題の状態を「完了」から「公開中」に変更することはできません。"),
]


@pytest.mark.parametrize("model", list(ALLOWED), ids=lambda m: m.__name__)
def test_each_state_machine_allows_exactly_the_transitions_written_here(model):
    actual = {(source, target) for source, targets in model.TRANSITIONS.items() for target in targets}
    assert actual == ALLOWED[model]


@pytest.mark.parametrize("model, labels", [(Issue, ISSUE_STATUSES), (EngagementRequest, REQUEST_STATUSES),
                                           (Engagement, ENGAGEMENT_STATUSES), (Visit, VISIT_STATUSES)],
                         ids=lambda m: getattr(m, "__name__", ""))
def test_each_state_machine_covers_every_status_code_of_its_table(model, labels):
    assert set(model.TRANSITIONS) == set(labels) and model.STATUS_LABELS is labels


ALLOWED_ROWS = [(model, source, target) for model, pairs in ALLOWED.items() for source, target in sorted(pairs)]


@pytest.mark.parametrize("model, source, target", ALLOWED_ROWS, ids=lambda v: getattr(v, "__name__", v))
def test_an_allowed_transition_changes_the_status(model, source, target):
    record = model(status=source)
    assert record.can_transition_to(target)
    record.transition_to(target)
    assert record.status == target


@pytest.mark.parametrize("model, source, target, message", REFUSED, ids=lambda v: getattr(v, "__name__", None))
def test_a_refused_transition_says_so_in_japanese_and_keeps_the_status(model, source, target, message):
    record = model(status=source)
    assert not record.can_transition_to(target)
    with pytest.raises(IllegalTransition) as refused:
        record.transition_to(target)
    assert str(refused.value) == message and record.status == source
    assert (refused.value.current, refused.value.target) == (source, target)


@pytest.mark.parametrize("model, status", [(EngagementRequest, "accepted"), (Engagement, "completed"),
                                           (Visit, "done"), (Visit, "cancelled"), (Issue, "withdrawn")])
def test_a_final_status_has_no_next_status(model, status):
    assert model(status=status).next_statuses == frozenset()


def test_sources_of_lists_where_a_status_can_be_reached_from():
    assert EngagementRequest.sources_of("accepted") == {"pending"}
    assert Visit.sources_of("cancelled") == {"proposed", "confirmed"}
    assert Issue.sources_of("draft") == frozenset()


def test_the_status_label_comes_from_the_code_table():
    assert Visit(status="confirmed").status_label == "確定"
    assert EngagementRequest(status="expired").status_label == "期限切れ"


def test_an_issue_still_records_its_publication_time_when_it_opens():
    issue = Issue(status="draft")
    issue.transition_to("open")
    assert issue.published_at is not None


def test_a_machine_without_a_row_for_every_status_is_refused_when_the_class_is_defined():
    with pytest.raises(TypeError, match="one row per status"):
        type("Broken", (Lifecycle,), {"TRANSITIONS": {"a": frozenset({"b"})},
                                      "STATUS_LABELS": {"a": "A", "b": "B"}, "SUBJECT": "x"})


def test_a_machine_naming_an_unknown_target_is_refused_when_the_class_is_defined():
    with pytest.raises(TypeError, match="unknown statuses"):
        type("Broken", (Lifecycle,), {"TRANSITIONS": {"a": frozenset({"c"}), "b": frozenset()},
                                      "STATUS_LABELS": {"a": "A", "b": "B"}, "SUBJECT": "x"})
