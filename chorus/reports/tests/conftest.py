from datetime import UTC, datetime

import pytest

from chorus.analytics.store import AccountReading, MetricsStore, PostFacts, PostReading


@pytest.fixture(autouse=True)
def _files_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def at(day: str, hour: int = 12) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC)


@pytest.fixture
def coffee_history(channel):
    """The coffee channel's autumn: 900 followers in September growing to 1,000 in October; one September post
    with 20 interactions, two October posts with 50 and 30 (the second's reach was never reported)."""
    store = MetricsStore()
    store.ingest_accounts([AccountReading(channel.pk, at("2026-09-10"), followers=900),
                           AccountReading(channel.pk, at("2026-09-30"), followers=950),
                           AccountReading(channel.pk, at("2026-10-05"), followers=1000),
                           AccountReading(channel.pk, at("2026-10-20"), followers=1000),
                           AccountReading(channel.pk, at("2026-10-31", 18), followers=1040)])
    september, *october = store.register(channel, [
        PostFacts(published_at=at("2026-09-10", 13), remote_id="sep-1", kind="photo"),
        PostFacts(published_at=at("2026-10-05", 13), remote_id="oct-1", kind="photo"),
        PostFacts(published_at=at("2026-10-20", 13), remote_id="oct-2", kind="status")])
    store.ingest_posts([
        PostReading(september.pk, at("2026-09-12"), views=2000, likes=15, comments=3, reposts=2, reach=1500),
        PostReading(october[0].pk, at("2026-10-07"), views=3000, likes=40, comments=6, reposts=4, reach=2000),
        PostReading(october[1].pk, at("2026-10-22"), views=2500, likes=25, comments=3, reposts=2)])
    return {"september": september, "october": october}
