

@pytest.mark.parametrize(("override", "message"), [
    ({"PROGRESS_STALLED_DAYS": 30, "PROGRESS_IDLE_DAYS": 45}, "PROGRESS_STALLED_DAYS must be larger"),
    ({"PROGRESS_REPORT_LATE_BUSINESS_DAYS": 0}, "PROGRESS_REPORT_LATE_BUSINESS_DAYS must be an integer between 1 and 30"),
    ({"PROGRESS_CAP_NEAR_PERCENT": "80"}, "PROGRESS_CAP_NEAR_PERCENT must be an integer"),
])
def test_contradicting_or_out_of_range_thresholds_are_refused_at_startup(
        make_app: Callable[..., Flask], override: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make_app(**override)
