"""An owner builds the coffee shop's October report; the client reads it on screen and as a PDF."""

import io
import re
from base64 import b64decode
from datetime import timedelta

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from pypdf import PdfReader

from chorus.reports import services
from chorus.reports.models import Report
from chorus.reports.periods import parse_period
from chorus.workspaces.roles import Role
from chorus.workspaces.services import update_branding


def pdf_text(report: Report) -> str:
    with report.pdf.open("rb") as pdf:
        return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.read())).pages)


def png(colour="red", size=(64, 32)) -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, format="PNG")
    return SimpleUploadedFile("logo.png", out.getvalue(), content_type="image/png")


def test_the_october_report_compares_each_number_with_september(owner, workspace, coffee_history):
    report = services.build_report(actor=owner, workspace=workspace, period=parse_period("2026-10"))

    figures = services.figures.report_figures(workspace, parse_period("2026-10"))
    lines = {line.key: line for line in figures["summary"]}
    assert lines["followers"].value == 1040 and lines["followers"].previous == 950
    assert lines["followers-growth"].value == 1040 - 950  # from the last count before October to its last
    assert lines["posts"].value == 2 and lines["posts"].previous == 1
    assert lines["interactions"].value == 50 + 30
    assert lines["interactions"].change == pytest.approx((80 - 20) / 20 * 100)
    er = lines["er-followers:per-post"]
    assert er.value == pytest.approx((50 / 1000 + 30 / 1000) / 2 * 100)  # followers when each post went out
    assert er.previous == pytest.approx(20 / 900 * 100) and er.change == pytest.approx(er.value - er.previous)
    assert lines["reach"].value == 2000  # the second post's reach is missing, not zero
    assert report.title == "Отчёт Demo Coffee: Октябрь 2026"


def test_the_report_is_in_the_workspace_language_on_screen_and_in_the_pdf(owner, workspace, coffee_history):
    report = services.build_report(actor=owner, workspace=workspace, period=parse_period("2026-10"))

    text = pdf_text(report)
    assert "Demo Coffee" in text and "Октябрь 2026" in text  # Cyrillic survives into the PDF
    assert "Подписчики" in text
    assert "4,00 %" in text  # ER by followers, mean of per-post rates, as Russians write it
    assert report.page.count("<svg") == 2
    ids = re.findall(r'\bid="([^"]+)"', report.page)
    assert ids and len(ids) == len(set(ids))  # two charts on one page, each with ids of its own


def pdf_fonts(report: Report) -> set[str]:
    with report.pdf.open("rb") as pdf:
        pages = PdfReader(io.BytesIO(pdf.read())).pages
        return {str(font.get_object()["/BaseFont"]).split("+")[-1]
                for page in pages for font in page["/Resources"]["/Font"].values()}


def test_the_emoji_in_a_clients_name_are_drawn_in_the_pdf_not_left_as_empty_boxes(owner, workspace,
                                                                                   coffee_history):
    workspace.name = "Кофейня 🔥☕ Зерно"
    workspace.save()
    report = services.build_report(actor=owner, workspace=workspace, period=parse_period("2026-10"))

    assert any(font.startswith("Noto-Emoji") for font in pdf_fonts(report))  # bundled: whatever the server has
    assert "🔥" in pdf_text(report)


def test_a_client_reads_the_report_but_a_contractor_does_not_see_it(signed_in, workspace, team, coffee_history):
    report = services.build_report(actor=team[Role.OWNER], workspace=workspace, period=parse_period("2026-10"))
    client = signed_in(team[Role.CLIENT])

    page = client.get(f"/w/{workspace.slug}/reports/{report.pk}/")
    assert page.status_code == 200 and "Demo Coffee" in page.content.decode()
    assert page["Content-Security-Policy"].startswith("default-src 'none'")  # the stored page runs nothing
    pdf = client.get(f"/w/{workspace.slug}/reports/{report.pk}/pdf/")
    assert pdf["Content-Type"] == "application/pdf" and b"".join(pdf.streaming_content).startswith(b"%PDF")
    assert client.post(f"/w/{workspace.slug}/reports/build/", {"period": "2026-10"}).status_code == 403

    contractor = signed_in(team[Role.CONTRACTOR])
    assert contractor.get(f"/w/{workspace.slug}/reports/{report.pk}/").status_code == 403


def test_another_workspaces_report_is_not_found(signed_in, other_workspace, workspace, owner, coffee_history):
    report = services.build_report(actor=owner, workspace=workspace, period=parse_period("2026-10"))
    stranger = signed_in(other_workspace.memberships.get().user)
    assert stranger.get(f"/w/{other_workspace.slug}/reports/{report.pk}/").status_code == 404


def test_an_analyst_builds_a_report_from_the_page(signed_in, workspace, team, coffee_history):
    analyst = signed_in(team[Role.ANALYST])
    response = analyst.post(f"/w/{workspace.slug}/reports/build/", {"period": "2026-W43"})
    report = Report.objects.get()
    assert response.url == f"/w/{workspace.slug}/reports/{report.pk}/"
    assert (report.period_start.isoformat(), report.period_end.isoformat()) == ("2026-10-19", "2026-10-26")
    assert report.built_by == team[Role.ANALYST]


def test_a_period_that_cannot_be_read_is_refused_with_the_forms_it_takes(signed_in, workspace, owner):
    response = signed_in(owner).post(f"/w/{workspace.slug}/reports/build/", {"period": "October"}, follow=True)
    assert "2026-W44" in response.content.decode()
    assert not Report.objects.exists()


def test_network_text_in_a_top_post_is_shown_as_text(owner, workspace, channel, coffee_history):
    from chorus.analytics.store import MetricsStore, PostReading
    from chorus.content.services import create_and_schedule
    from chorus.publishing.models import PublishJob, Status

    _post, (job,) = create_and_schedule(actor=owner, workspace=workspace, channel_ids=[channel.pk],
                                        text='<script>alert("x")</script><img src=http://10.0.0.1/x>',
                                        due_at=coffee_history["october"][0].published_at)
    PublishJob.objects.filter(pk=job.pk).update(status=Status.PUBLISHED, remote_id="oct-3",
                                                published_at=coffee_history["october"][0].published_at)
    store = MetricsStore()
    registered, = store.register(channel, [store.facts_of_job(PublishJob.objects.get(pk=job.pk))])
    store.ingest_posts([PostReading(registered.pk, coffee_history["october"][0].published_at, likes=500)])

    report = services.build_report(actor=owner, workspace=workspace, period=parse_period("2026-10"))

    assert "&lt;script&gt;" in report.page and "<script>" not in report.page
    assert "10.0.0.1" not in report.page.replace("&lt;img src=http://10.0.0.1/x&gt;", "")


def test_the_report_wears_the_workspace_logo_and_colour(owner, workspace, coffee_history):
    update_branding(actor=owner, workspace=workspace, brand_color="#123456", logo=png())
    report = services.build_report(actor=owner, workspace=workspace, period=parse_period("2026-10"))
    assert "data:image/png;base64," in report.page and "#123456" in report.page


def test_a_logo_that_is_not_png_or_jpeg_is_refused_and_the_old_one_stays(owner, workspace):
    from django.core.exceptions import ValidationError

    update_branding(actor=owner, workspace=workspace, brand_color="#123456", logo=png())
    gif = io.BytesIO()
    Image.new("RGB", (8, 8)).save(gif, format="GIF")
    with pytest.raises(ValidationError, match="GIF; use a PNG or JPEG"):
        update_branding(actor=owner, workspace=workspace, brand_color="#123456",
                        logo=SimpleUploadedFile("logo.gif", gif.getvalue()))
    workspace.refresh_from_db()
    assert workspace.logo.name.endswith(".png")


def test_the_owner_e_mails_a_report_and_the_outbox_shows_it(owner, workspace, coffee_history, signed_in,
                                                            django_capture_on_commit_callbacks, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    report = services.build_report(actor=owner, workspace=workspace, period=parse_period("2026-10"))
    with django_capture_on_commit_callbacks(execute=True):
        services.email_report(actor=owner, report=report, recipients="Client@Example.com; boss@example.com")

    assert sorted(m.to[0] for m in mail.outbox) == ["boss@example.com", "client@example.com"]
    letter = mail.outbox[0]
    assert letter.subject == report.title
    (name, content, kind), = letter.attachments
    assert kind == "application/pdf" and content.startswith(b"%PDF") and name.endswith(".pdf")
    page = signed_in(owner).get(f"/w/{workspace.slug}/reports/").content.decode()
    assert "client@example.com" in page and "Sent" in page


def test_an_address_that_is_not_one_is_named(owner, workspace, coffee_history):
    from django.core.exceptions import ValidationError

    report = services.build_report(actor=owner, workspace=workspace, period=parse_period("2026-10"))
    with pytest.raises(ValidationError, match="client-at-example.com is not an e-mail address"):
        services.email_report(actor=owner, report=report, recipients="client-at-example.com")


def test_the_report_says_how_fast_the_community_was_answered(owner, workspace, channel, coffee_history):
    from chorus.inbox.ingestion import record_conversations
    from chorus.inbox.models import InboxItem, ModerationAction
    from chorus.inbox.services import moderate, undo_moderation
    from chorus.networks.base import Conversation
    from chorus.reports.tests.conftest import at
    from chorus.sandbox.models import SandboxComment
    from chorus.sandbox.network import create_post

    asked = at("2026-10-06", 9)
    page_post = create_post(channel.connector._account(), text="Осеннее меню", media_count=0, idempotency_key="m")
    for number, author in ((2, "Олег"), (3, "earn_daily")):  # on the network, where the team will moderate them
        SandboxComment.objects.create(post=page_post, remote_id=f"c{number}", author_id=f"u{number}",
                                      author_name=author, text="…", language="ru", kind="test", created_at=asked)
    question, complaint, spam = record_conversations(channel, [
        Conversation("comment", "c1", "u1", "Анна", "Во сколько открываетесь?", asked, post_remote_id="oct-1"),
        Conversation("comment", "c2", "u2", "Олег", "Кофе остыл", asked, post_remote_id="oct-1"),
        Conversation("comment", "c3", "u3", "earn_daily", "Заработок http://x.example", asked,
                     post_remote_id="oct-1")])
    InboxItem.objects.filter(pk=question.pk).update(first_response_at=asked + timedelta(minutes=42))
    # The team hid the spam and banned the bot that week; a hide of Oleg's complaint was a slip, put back.
    kept = [moderate(actor=owner, item=spam, action=action) for action in ("hide", "ban")]
    slip = moderate(actor=owner, item=complaint, action="hide")
    undo_moderation(actor=owner, action=slip)
    ModerationAction.objects.filter(pk__in=[a.pk for a in [*kept, slip]]).update(done_at=asked + timedelta(hours=1))

    report = services.build_report(actor=owner, workspace=workspace, period=parse_period("2026-10"))

    community = report.page[report.page.index("Работа с аудиторией"):]
    assert re.search(r"Получено комментариев и сообщений</td><td class=\"n\">3<", community)
    assert re.search(r"Отвечено</td><td class=\"n\">1<", community)
    assert "42 мин" in community
    assert re.search(r"Убрано модерацией \(скрыто или удалено\)</td><td class=\"n\">1<", community)
    assert re.search(r"Забанено авторов</td><td class=\"n\">1<", community)


def test_a_top_post_shows_its_first_picture(owner, workspace, channel, coffee_history):
    from chorus.analytics.store import MetricsStore, PostReading
    from chorus.content.media import upload_media
    from chorus.content.services import create_and_schedule
    from chorus.publishing.models import PublishJob, Status

    cup, beans = (upload_media(actor=owner, workspace=workspace, uploaded_file=png(colour, (300, 200)))
                  for colour in ("white", "black"))
    when = coffee_history["october"][0].published_at
    _post, (job,) = create_and_schedule(actor=owner, workspace=workspace, channel_ids=[channel.pk], due_at=when,
                                        text="Латте-арт недели", media_ids=[cup.pk, beans.pk])
    PublishJob.objects.filter(pk=job.pk).update(status=Status.PUBLISHED, remote_id="oct-pic", published_at=when)
    store = MetricsStore()
    registered, = store.register(channel, [store.facts_of_job(PublishJob.objects.get(pk=job.pk))])
    store.ingest_posts([PostReading(registered.pk, when, likes=900)])

    report = services.build_report(actor=owner, workspace=workspace, period=parse_period("2026-10"))

    top = report.page[report.page.index('<div class="post">'):]
    thumbnail = re.search(r'<img src="data:image/jpeg;base64,([^"]+)"', top[:top.index("</div>\n  </div>")])
    with Image.open(io.BytesIO(b64decode(thumbnail[1]))) as picture:
        assert picture.size == (240, 160)  # the first picture, made small
        assert picture.getpixel((120, 80))[0] > 200  # the white cup, not the black beans
