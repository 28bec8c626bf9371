"""Every API endpoint × every role, signed in by browser session and by token, against the role matrix.

The expected answer comes from `roles.MATRIX` through `can()`: a member whose role allows the endpoint's
actions gets 2xx, another member 403, a stranger 404 (the workspace "does not exist" for them), nobody 401.
"""

from dataclasses import dataclass, field
from datetime import date, time, timedelta

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.utils import timezone

from chorus.api import api
from chorus.channels.services import set_queue_slots
from chorus.conftest import make_user
from chorus.content.services import create_and_schedule, write_post
from chorus.inbox.ingestion import record_conversations
from chorus.inbox.models import ModerationAction
from chorus.networks.base import Conversation
from chorus.publishing import states
from chorus.publishing.models import Status
from chorus.reports.models import Report
from chorus.workspaces.roles import Role, can
from chorus.workspaces.services import add_member, create_api_token

NEXT_YEAR = (timezone.now() + timedelta(days=365)).strftime("%Y-%m-%dT10:00")


# The scene's objects, as the OpenAPI schema names the path parameters they fill.
ROUTE_PARAMETERS = {"{draft}": "{post_id}", "{scheduled}": "{post_id}", "{failed_job}": "{job_id}",
                    "{published_job}": "{job_id}", "{item}": "{item_id}", "{member}": "{user_id}",
                    "{ban}": "{action_id}", "{channel}": "{channel_id}", "{report}": "{report_id}"}


@dataclass(frozen=True)
class Endpoint:
    name: str
    actions: tuple[str, ...]
    method: str
    path: str  # under /api/v1/workspaces/coffee, with {draft}, {scheduled}, {failed_job}, {published_job},
    # {item}, {channel}, {member} from the scene
    body: dict = field(default_factory=dict)

    @property
    def route(self) -> tuple[str, str]:
        path = self.path
        for scene_name, parameter in ROUTE_PARAMETERS.items():
            path = path.replace(scene_name, parameter)
        return self.method.upper(), "/api/v1/workspaces/{slug}" + path


ENDPOINTS = [
    Endpoint("list channels", ("channel.view",), "get", "/channels"),
    Endpoint("connect a channel", ("channel.connect",), "post", "/channels", {"network": "sandbox", "name": "New"}),
    Endpoint("list posts", ("post.view",), "get", "/posts"),
    Endpoint("read a post", ("post.view",), "get", "/posts/{draft}"),
    Endpoint("write a draft", ("post.create",), "post", "/posts", {"text": "Латте дня", "channels": ["{channel}"]}),
    Endpoint("write and schedule", ("post.create", "post.schedule"), "post", "/posts",
             {"text": "Латте дня", "channels": ["{channel}"], "at": NEXT_YEAR}),
    Endpoint("rewrite a post", ("post.create",), "patch", "/posts/{draft}", {"text": "Капучино дня"}),
    Endpoint("schedule a post", ("post.schedule",), "post", "/posts/{draft}/schedule", {"at": NEXT_YEAR}),
    Endpoint("add to queue", ("post.schedule",), "post", "/posts/{draft}/queue"),
    Endpoint("unschedule", ("post.schedule",), "post", "/posts/{scheduled}/unschedule"),
    Endpoint("delete a post", ("post.delete",), "delete", "/posts/{draft}"),
    Endpoint("check a text", ("post.create",), "post", "/check", {"text": "Раф", "channels": ["{channel}"]}),
    Endpoint("read a publication", ("post.view",), "get", "/publications/{failed_job}"),
    Endpoint("retry a publication", ("publication.resolve",), "post", "/publications/{failed_job}/retry"),
    Endpoint("mark as posted", ("publication.resolve",), "post", "/publications/{failed_job}/mark-posted",
             {"remote_url": "https://vk.com/wall-1_2"}),
    Endpoint("edit a published post", ("publication.edit",), "post", "/publications/{published_job}/edit",
             {"text": "Латте дня, исправлено"}),
    Endpoint("delete a published post", ("publication.delete",), "delete", "/publications/{published_job}"),
    Endpoint("needs attention", ("post.view",), "get", "/needs-attention"),
    Endpoint("my notifications", ("notification.view",), "get", "/notifications"),
    Endpoint("mark notifications read", ("notification.view",), "post", "/notifications/read", {}),
    Endpoint("list the inbox", ("inbox.view",), "get", "/inbox"),
    Endpoint("read an inbox item", ("inbox.view",), "get", "/inbox/{item}"),
    Endpoint("read an inbox item's author", ("inbox.view",), "get", "/inbox/{item}/author"),
    Endpoint("mark an inbox item's author a known spammer", ("inbox.moderate",), "post", "/inbox/{item}/author/spammer",
             {"known": True}),
    Endpoint("answer an inbox item", ("inbox.reply",), "post", "/inbox/{item}/reply", {"text": "Спасибо!"}),
    Endpoint("moderate an inbox item", ("inbox.moderate",), "post", "/inbox/{item}/moderate", {"action": "hide"}),
    Endpoint("assign an inbox item", ("inbox.assign",), "post", "/inbox/{item}/assign", {"user_id": None}),
    Endpoint("close several inbox items", ("inbox.reply",), "post", "/inbox/many",
             {"items": ["{item}"], "action": "close"}),
    Endpoint("undo a ban", ("inbox.moderate",), "post", "/inbox/actions/{ban}/undo"),
    Endpoint("correct an inbox label", ("inbox.moderate",), "post", "/inbox/{item}/label",
             {"name": "spam", "value": "no"}),
    Endpoint("analytics dashboard", ("analytics.view",), "get", "/analytics/dashboard",
             {"first": "2026-11-01", "last": "2026-11-30"}),
    Endpoint("formulas of the metrics", ("analytics.view",), "get", "/analytics/metrics"),
    Endpoint("breakdown of a channel", ("analytics.view",), "get", "/channels/{channel}/breakdown",
             {"by": "hour-weekday", "metric": "er-reach", "average": "pooled"}),
    Endpoint("best time to post", ("analytics.view",), "get", "/channels/{channel}/best-time"),
    Endpoint("change the workspace's settings", ("workspace.settings",), "patch", "",
             {"name": "Demo Coffee", "timezone": "Asia/Novosibirsk", "language": "ru"}),
    Endpoint("list members", ("members.manage",), "get", "/members"),
    Endpoint("add a member", ("members.manage",), "post", "/members", {"username": "{newcomer}", "role": "client"}),
    Endpoint("make an account for a new member", ("members.manage",), "post", "/members",
             {"username": "nina", "role": "editor", "create": True}),
    Endpoint("change a member's role and grants", ("members.manage",), "patch", "/members/{member}",
             {"role": "editor", "grants": ["inbox.moderate"]}),
    Endpoint("remove a member", ("members.manage",), "delete", "/members/{member}"),
    Endpoint("list reports", ("report.view",), "get", "/reports"),
    Endpoint("build a report", ("report.build",), "post", "/reports", {"period": "2026-10"}),
    Endpoint("download a report", ("report.view",), "get", "/reports/{report}/pdf"),
    Endpoint("e-mail a report", ("report.schedule",), "post", "/reports/{report}/email",
             {"to": ["client@example.com"]}),
]
PEOPLE = [*Role.values, "stranger", "anonymous"]


def expected_status(person: str, endpoint: Endpoint) -> str:
    if person == "anonymous":
        return "401"
    if person == "stranger":
        return "404"
    return "2xx" if all(can(person, action) for action in endpoint.actions) else "403"


@pytest.fixture
def scene(workspace, team, channel, owner, other_workspace, settings, tmp_path):
    """Coffee's channel with queue slots, a draft, a scheduled post, a publication that failed and one that is
    out."""
    set_queue_slots(actor=owner, channel=channel, slots=[(day, time(10)) for day in range(7)])
    draft = write_post(actor=owner, workspace=workspace, text="Черновик", channel_ids=[channel.pk])
    scheduled, _jobs = create_and_schedule(actor=owner, workspace=workspace, text="Завтра",
                                           channel_ids=[channel.pk], due_at=timezone.now() + timedelta(days=1))
    _post, [job] = create_and_schedule(actor=owner, workspace=workspace, text="Не вышло",
                                       channel_ids=[channel.pk], due_at=timezone.now())
    for source, target in [(Status.SCHEDULED, Status.CLAIMED), (Status.CLAIMED, Status.SENDING),
                           (Status.SENDING, Status.FAILED)]:
        states.move(job.pk, source, target, last_error="503")
    _post, [out] = create_and_schedule(actor=owner, workspace=workspace, text="Вышло", channel_ids=[channel.pk],
                                       due_at=timezone.now())
    for source, target in [(Status.SCHEDULED, Status.CLAIMED), (Status.CLAIMED, Status.SENDING),
                           (Status.SENDING, Status.PUBLISHED)]:
        states.move(out.pk, source, target, remote_id="sandbox-1", sent_text="Вышло")
    [item] = record_conversations(channel, [Conversation("comment", "c1", "u1", "Анна", "Во сколько открываетесь?",
                                                         timezone.now(), post_remote_id="p1")])
    ban = ModerationAction.objects.create(item=item, action="ban", rule_name="Спам")
    # Someone to add, and a member to change or remove who is none of the people calling.
    newcomer, vera = make_user("newcomer"), make_user("vera")
    add_member(actor=owner, workspace=workspace, user=vera, role=Role.CLIENT)
    settings.MEDIA_ROOT = tmp_path
    report = Report(workspace=workspace, cadence="month", period_start=date(2026, 10, 1),
                    period_end=date(2026, 11, 1), title="Отчёт", language="ru", page="<p>Отчёт</p>")
    report.pdf.save("report.pdf", ContentFile(b"%PDF-1.7"), save=True)
    return {"draft": draft.pk, "scheduled": scheduled.pk, "failed_job": job.pk, "published_job": out.pk,
            "channel": channel.pk, "item": item.pk, "ban": ban.pk, "newcomer": newcomer.username, "member": vera.pk,
            "report": report.pk, "team": team, "workspace": workspace,
            "stranger": other_workspace.memberships.get().user, "other_workspace": other_workspace}


def fill(value, scene):
    if isinstance(value, str):
        return scene[value[1:-1]] if value.startswith("{") and value.endswith("}") else value
    if isinstance(value, list):
        return [fill(v, scene) for v in value]
    if isinstance(value, dict):
        return {k: fill(v, scene) for k, v in value.items()}
    return value


def client_for(person: str, scene, auth: str) -> Client:
    """A browser session, or a bearer token made by that person in their own workspace."""
    if person == "anonymous":
        return Client(HTTP_AUTHORIZATION="Bearer chorus_not-a-real-token") if auth == "token" else Client()
    user = scene["stranger"] if person == "stranger" else scene["team"][person]
    home = scene["other_workspace"] if person == "stranger" else scene["workspace"]
    if auth == "token":
        _token, raw = create_api_token(actor=user, workspace=home, name="matrix")
        return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    client = Client()
    client.force_login(user)
    return client


def test_every_endpoint_of_the_api_is_in_the_matrix():
    schema = api.get_openapi_schema()
    routes = {(method.upper(), path) for path, ops in schema["paths"].items() for method in ops}
    assert routes == {e.route for e in ENDPOINTS} | {("GET", "/api/v1/workspaces")}


@pytest.mark.parametrize("auth", ["session", "token"])
@pytest.mark.parametrize("person", PEOPLE)
@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.name)
def test_role_matrix(endpoint, person, auth, scene):
    client = client_for(person, scene, auth)
    url = "/api/v1/workspaces/coffee" + endpoint.path.format(**scene)
    response = getattr(client, endpoint.method)(url, fill(endpoint.body, scene), content_type="application/json")
    expected = expected_status(person, endpoint)
    answered = "2xx" if 200 <= response.status_code < 300 else str(response.status_code)
    assert answered == expected, response.content
    if expected == "404":
        assert response.json() == {"detail": "No such workspace."}


@pytest.mark.parametrize("person", PEOPLE)
def test_everyone_signed_in_lists_only_their_own_workspaces(person, scene):
    response = client_for(person, scene, "session").get("/api/v1/workspaces")
    if person == "anonymous":
        assert response.status_code == 401
        return
    slugs = [w["slug"] for w in response.json()]
    assert slugs == (["tea"] if person == "stranger" else ["coffee"])


def test_a_forbidden_call_changes_nothing(scene):
    client = client_for(Role.CLIENT, scene, "session")
    response = client.delete(f"/api/v1/workspaces/coffee/posts/{scene['draft']}")
    assert response.status_code == 403
    assert "does not allow" in response.json()["detail"]
    assert client_for(Role.OWNER, scene, "session").get(
        f"/api/v1/workspaces/coffee/posts/{scene['draft']}").status_code == 200
