"""The command line as the operator and as team members (`--as`): JSON shapes, the role matrix, the sandbox."""

import io
import json

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.test import override_settings

from chorus.conftest import make_user
from chorus.publishing import dispatcher, sender
from chorus.publishing.models import PublishJob
from chorus.sandbox.models import SandboxAccount
from chorus.sandbox.network import set_faults
from chorus.workspaces.roles import Role, can


def chorus(*args: str) -> tuple[str, str]:
    """Run `chorus <args>` in-process; returns (stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def chorus_json(*args: str):
    out, _err = chorus(*args, "--json")
    return json.loads(out)


def publish_everything_due():
    for job_id in dispatcher.claim_due("cli-test-worker"):
        sender.send(job_id, "cli-test-worker")


def test_operator_creates_a_workspace_owned_by_a_local_operator_and_lists_it(db):
    created = chorus_json("workspace", "create", "--name", "Demo Coffee", "--slug", "coffee",
                          "--timezone", "Europe/Moscow", "--language", "ru")
    assert created == {"slug": "coffee", "name": "Demo Coffee", "timezone": "Europe/Moscow", "language": "ru"}
    assert chorus_json("workspace", "list") == [created]
    operator = get_user_model().objects.get(username="operator")
    assert not operator.has_usable_password()
    assert operator.memberships.get().role == Role.OWNER


def test_workspace_with_a_named_owner_and_a_bad_zone(owner):
    chorus("workspace", "create", "--name", "Tea", "--slug", "tea", "--timezone", "Europe/London",
           "--language", "en", "--owner", owner.username)
    assert [w["slug"] for w in chorus_json("workspace", "list", "--as", owner.username)] == ["tea"]
    with pytest.raises(CommandError, match="Unknown time zone Mars/Olympus"):
        chorus("workspace", "create", "--name", "X", "--slug", "x", "--timezone", "Mars/Olympus", "--language", "en")
    with pytest.raises(CommandError, match="already exists"):
        chorus("workspace", "create", "--name", "Tea 2", "--slug", "tea", "--timezone", "UTC", "--language", "en")


def test_channel_add_and_list_print_id_name_network(workspace):
    added = chorus_json("channel", "add", "--workspace", "coffee", "--network", "sandbox", "--name", "Coffee VK")
    assert set(added) == {"id", "name", "network"}
    assert added["name"] == "Coffee VK" and added["network"] == "sandbox"
    assert chorus_json("channel", "list", "--workspace", "coffee") == [added]


def test_editor_schedules_at_moscow_wall_clock_and_lists_the_post(editor, workspace, channel, second_channel):
    scheduled = chorus_json("post", "schedule", "--workspace", "coffee", "--channel", str(channel.pk),
                            "--channel", str(second_channel.pk), "--at", "2030-06-01T10:00",
                            "--text", "Новый сорт", "--as", editor.username)
    assert set(scheduled) == {"post_id", "jobs"}
    assert {(j["channel"], j["due_at"]) for j in scheduled["jobs"]} == {
        (channel.pk, "2030-06-01T07:00:00Z"), (second_channel.pk, "2030-06-01T07:00:00Z")}
    assert all(set(j) == {"id", "channel", "due_at"} for j in scheduled["jobs"])
    [post] = chorus_json("post", "list", "--workspace", "coffee")
    assert post["id"] == scheduled["post_id"] and post["text"] == "Новый сорт"
    for job in post["jobs"]:
        assert {"id", "channel", "status", "due_at", "published_at", "remote_id", "attempts"} <= set(job)
        assert job["status"] == "scheduled" and job["published_at"] is None


def test_a_time_the_clocks_skip_is_an_error_not_a_silent_shift(other_workspace):
    channel = chorus_json("channel", "add", "--workspace", "tea", "--network", "sandbox", "--name", "Tea TG")
    with pytest.raises(CommandError, match="does not exist"):
        chorus("post", "schedule", "--workspace", "tea", "--channel", str(channel["id"]), "--at", "2030-03-31T01:30",
               "--text", "Spring")
    assert not PublishJob.objects.exists()


def test_a_repeated_time_warns_on_stderr_and_keeps_stdout_pure_json(other_workspace):
    channel = chorus_json("channel", "add", "--workspace", "tea", "--network", "sandbox", "--name", "Tea TG")
    out, err = chorus("post", "schedule", "--workspace", "tea", "--channel", str(channel["id"]),
                      "--at", "2030-10-27T01:30", "--text", "Autumn", "--json")
    assert json.loads(out)["jobs"][0]["due_at"] == "2030-10-27T00:30:00Z"
    assert "twice" in err


def test_post_over_the_limit_is_refused_with_the_channel_named(workspace, channel):
    with pytest.raises(CommandError, match="Coffee VK \\(sandbox\\): 1 over the limit"):
        chorus("post", "schedule", "--workspace", "coffee", "--channel", str(channel.pk), "--at", "now",
               "--text", "x" * 4001)


def test_what_went_out_is_on_the_sandbox_side_once_with_the_job_key(workspace, channel):
    scheduled = chorus_json("post", "schedule", "--workspace", "coffee", "--channel", str(channel.pk), "--at", "now",
                            "--text", "Сегодня бесплатный эспрессо")
    publish_everything_due()
    publish_everything_due()
    [remote] = chorus_json("sandbox", "posts", "--channel", str(channel.pk))
    assert set(remote) == {"remote_id", "text", "idempotency_key", "created_at"}
    job = PublishJob.objects.get(pk=scheduled["jobs"][0]["id"])
    assert (remote["text"], remote["idempotency_key"]) == ("Сегодня бесплатный эспрессо", job.idempotency_key)
    [listed] = chorus_json("post", "list", "--workspace", "coffee")[0]["jobs"]
    assert listed["status"] == "published" and listed["remote_id"] == remote["remote_id"]
    assert listed["attempts"] == 1 and listed["published_at"] is not None


def test_owner_sets_faults_and_nonsense_probabilities_are_refused(workspace, channel):
    faults = chorus_json("sandbox", "faults", "--channel", str(channel.pk), "--error-before-send", "0.25",
                         "--latency-ms", "40")
    assert faults == {"channel": channel.pk, "error_before_send": 0.25, "timeout_after_send": 0.0, "rate_limit": 0.0,
                      "rate_limit_seconds": 30, "rate_limit_scope": "channel", "latency_ms": 40}
    assert SandboxAccount.objects.get(external_id=channel.external_id).faults.error_before_send == 0.25
    for option, value in [("--rate-limit", "1.5"), ("--timeout-after-send", "-0.1"), ("--error-before-send", "often"),
                          ("--latency-ms", "-5")]:
        with pytest.raises(CommandError, match=option):
            chorus("sandbox", "faults", "--channel", str(channel.pk), option, value)
    assert SandboxAccount.objects.get(external_id=channel.external_id).faults.latency_ms == 40


def test_token_create_prints_a_token_that_opens_the_api(editor, workspace, client):
    made = chorus_json("token", "create", "--workspace", "coffee", "--user", editor.username, "--name", "reports")
    assert made["workspace"] == "coffee" and made["user"] == editor.username
    response = client.get("/api/v1/workspaces/coffee/posts", HTTP_AUTHORIZATION=f"Bearer {made['token']}")
    assert response.status_code == 200


def test_import_refuses_a_file_with_a_bad_row_unless_told_to_keep_the_valid_ones(workspace, channel, tmp_path):
    source = tmp_path / "posts.csv"
    source.write_text(f"text,channels,at\nЛатте,{channel.pk},\n,{channel.pk},\n", encoding="utf-8")
    with pytest.raises(CommandError, match="line 3"):
        chorus("post", "import", str(source), "--workspace", "coffee")
    out, _err = chorus("post", "import", str(source), "--workspace", "coffee", "--keep-valid", "--json")
    report = json.loads(out)
    assert (report["imported"], report["refused"], report["errors"][0]["line"]) == (1, False, 3)
    exported = chorus_json("post", "export", "--workspace", "coffee", "--format", "json")
    assert [row["text"] for row in exported] == ["Латте"]


class Terminal(io.StringIO):
    """stderr as a person's terminal: long work says how far it got there."""

    def isatty(self) -> bool:
        return True


def test_a_long_import_shows_progress_on_a_terminal_and_stays_quiet_with_json(workspace, channel, tmp_path):
    source = tmp_path / "posts.csv"
    source.write_text("text,channels,at\n" + "".join(f"Пост {n},{channel.pk},\n" for n in range(250)),
                      encoding="utf-8")
    terminal = Terminal()
    call_command("post", "import", str(source), "--workspace", "coffee", stdout=io.StringIO(), stderr=terminal)
    assert "200 of 250 posts written" in terminal.getvalue()
    terminal = Terminal()
    out = io.StringIO()
    call_command("post", "import", str(source), "--workspace", "coffee", "--json", stdout=out, stderr=terminal)
    assert terminal.getvalue() == "" and json.loads(out.getvalue())["imported"] == 250


def fail_a_post(channel, text: str) -> int:
    """A post the sandbox refused until Chorus gave up: the job is `failed`, waiting for a person."""
    account = SandboxAccount.objects.get(external_id=channel.external_id)
    set_faults(account, error_before_send=1)
    with override_settings(CHORUS_MAX_ATTEMPTS=1):
        scheduled = chorus_json("post", "schedule", "--workspace", "coffee", "--channel", str(channel.pk),
                                "--at", "now", "--text", text)
        publish_everything_due()
    set_faults(account, error_before_send=0)
    return scheduled["jobs"][0]["id"]


def test_a_failed_post_is_listed_for_attention_retried_and_goes_out_once(workspace, channel, editor):
    failed = fail_a_post(channel, "Осенний раф")
    [listed] = chorus_json("post", "attention", "--workspace", "coffee", "--as", editor.username)
    assert (listed["id"], listed["status"]) == (failed, "failed") and "503" in listed["last_error"]
    retried = chorus_json("post", "retry", "--job", str(failed), "--as", editor.username)
    assert retried["status"] == "scheduled" and retried["log"][-1]["outcome"] == "manual"
    publish_everything_due()
    assert [p["text"] for p in chorus_json("sandbox", "posts", "--channel", str(channel.pk))] == ["Осенний раф"]
    assert chorus_json("post", "attention", "--workspace", "coffee") == []
    with pytest.raises(CommandError, match="can be retried"):
        chorus("post", "retry", "--job", str(failed))


def test_a_post_made_by_hand_after_a_failure_is_marked_as_posted_with_its_link(workspace, channel):
    failed = fail_a_post(channel, "Латте дня")
    out, _err = chorus("post", "mark-posted", "--job", str(failed), "--url", "https://vk.com/wall-1_9")
    assert "marked as posted" in out
    [post] = chorus_json("post", "list", "--workspace", "coffee")
    assert post["jobs"][0]["status"] == "published"
    assert PublishJob.objects.get(pk=failed).remote_url == "https://vk.com/wall-1_9"
    assert chorus_json("sandbox", "posts", "--channel", str(channel.pk)) == []  # Chorus did not post it


def test_unschedule_takes_one_channel_off_and_refuses_what_already_went_out(workspace, channel, second_channel):
    scheduled = chorus_json("post", "schedule", "--workspace", "coffee", "--channel", str(channel.pk),
                            "--channel", str(second_channel.pk), "--at", "2030-06-01T10:00", "--text", "Зима")
    first, second = sorted(scheduled["jobs"], key=lambda j: j["channel"] != channel.pk)
    assert chorus_json("post", "unschedule", "--job", str(first["id"])) == {
        "job": first["id"], "post": scheduled["post_id"], "channel": channel.pk, "unscheduled": True}
    [post] = chorus_json("post", "list", "--workspace", "coffee")
    assert [j["id"] for j in post["jobs"]] == [second["id"]]
    chorus("post", "schedule", "--workspace", "coffee", "--channel", str(channel.pk), "--at", "now", "--text", "Сейчас")
    publish_everything_due()
    out = PublishJob.objects.get(status="published")
    with pytest.raises(CommandError, match="only a scheduled publication"):
        chorus("post", "unschedule", "--job", str(out.pk))
    with pytest.raises(CommandError, match="No such publication"):
        chorus("post", "unschedule", "--job", "999999")


def test_owner_adds_a_new_editor_with_a_one_time_password_then_changes_and_removes_her(workspace, owner, client):
    made = chorus_json("member", "add", "--workspace", "coffee", "--user", "nina", "--role", "editor", "--create",
                       "--grant", "inbox.moderate")
    assert (made["username"], made["role"], made["grants"]) == ("nina", "editor", ["inbox.moderate"])
    assert client.login(username="nina", password=made["password"])
    listed = chorus_json("member", "list", "--workspace", "coffee")
    assert [(m["username"], m["role"]) for m in listed] == [("nina", "editor"), ("olga", "owner")]
    # An analyst may not moderate: the grant an editor had goes with the old role.
    assert chorus_json("member", "role", "--workspace", "coffee", "--user", "nina", "--role", "analyst")["grants"] == []
    with pytest.raises(CommandError, match="already a member"):
        chorus("member", "add", "--workspace", "coffee", "--user", "nina", "--role", "client")
    chorus("member", "remove", "--workspace", "coffee", "--user", "nina")
    assert [m["username"] for m in chorus_json("member", "list", "--workspace", "coffee")] == ["olga"]


def test_the_last_owner_can_neither_leave_nor_step_down_on_the_command_line(workspace, owner):
    with pytest.raises(CommandError, match="last owner"):
        chorus("member", "remove", "--workspace", "coffee", "--user", owner.username)
    with pytest.raises(CommandError, match="last owner"):
        chorus("member", "role", "--workspace", "coffee", "--user", owner.username, "--role", "manager")
    assert chorus_json("member", "list", "--workspace", "coffee")[0]["role"] == "owner"


# The role matrix on the command line: each person acts with --as; a stranger is told the workspace does not exist.

COMMANDS = {
    "channel add": (("channel.connect",), ["channel", "add", "--workspace", "coffee", "--network", "sandbox",
                                           "--name", "New"]),
    "channel list": (("channel.view",), ["channel", "list", "--workspace", "coffee"]),
    "post schedule": (("post.create", "post.schedule"), ["post", "schedule", "--workspace", "coffee", "--channel",
                                                          "{channel}", "--at", "2030-06-01T10:00", "--text", "Раф"]),
    "post list": (("post.view",), ["post", "list", "--workspace", "coffee"]),
    "post import": (("post.import",), ["post", "import", "{csv}", "--workspace", "coffee"]),
    "post export": (("post.export",), ["post", "export", "--workspace", "coffee"]),
    "post edit": (("publication.edit",), ["post", "edit", "--job", "{job}", "--text", "Раф, исправлено"]),
    "post delete": (("publication.delete",), ["post", "delete", "--job", "{job}"]),
    "sandbox faults": (("sandbox.faults",), ["sandbox", "faults", "--channel", "{channel}", "--rate-limit", "0.5"]),
    "sandbox posts": (("channel.view",), ["sandbox", "posts", "--channel", "{channel}"]),
    "token create": (("token.create",), ["token", "create", "--workspace", "coffee", "--name", "mine", "--user"]),
    "inbox list": (("inbox.view",), ["inbox", "list", "--workspace", "coffee"]),
    "inbox fetch": (("inbox.view",), ["inbox", "fetch", "--workspace", "coffee"]),
    "post retry": (("publication.resolve",), ["post", "retry", "--job", "{failed}"]),
    "post mark-posted": (("publication.resolve",), ["post", "mark-posted", "--job", "{failed}", "--url",
                                                    "https://vk.com/wall-1_2"]),
    "post unschedule": (("post.schedule",), ["post", "unschedule", "--job", "{waiting}"]),
    "post attention": (("post.view",), ["post", "attention", "--workspace", "coffee"]),
    "workspace update": (("workspace.settings",), ["workspace", "update", "--workspace", "coffee", "--name", "Кофе"]),
    "member list": (("members.manage",), ["member", "list", "--workspace", "coffee"]),
    "member add": (("members.manage",), ["member", "add", "--workspace", "coffee", "--user", "nina", "--role",
                                         "client", "--create"]),
    "member role": (("members.manage",), ["member", "role", "--workspace", "coffee", "--user", "client-user",
                                          "--role", "analyst"]),
    "member grant": (("members.manage",), ["member", "grant", "--workspace", "coffee", "--user", "client-user",
                                           "--action", "inbox.view"]),
    "member remove": (("members.manage",), ["member", "remove", "--workspace", "coffee", "--user", "client-user"]),
}


@pytest.mark.parametrize("person", [*Role.values, "stranger"])
@pytest.mark.parametrize("command", COMMANDS)
def test_cli_role_matrix(command, person, team, channel, tmp_path):
    actions, template = COMMANDS[command]
    csv = tmp_path / "posts.csv"
    csv.write_text(f"text,channels,at\nРаф,{channel.pk},\n", encoding="utf-8")
    user = team[person] if person in team else make_user("stranger")
    chorus("post", "schedule", "--workspace", "coffee", "--channel", str(channel.pk), "--at", "now", "--text", "Раф")
    publish_everything_due()
    job = PublishJob.objects.get(status="published")
    failed = fail_a_post(channel, "Латте")
    waiting = chorus_json("post", "schedule", "--workspace", "coffee", "--channel", str(channel.pk),
                          "--at", "2030-06-01T10:00", "--text", "Позже")["jobs"][0]["id"]
    args = [a.format(channel=channel.pk, csv=csv, job=job.pk, failed=failed, waiting=waiting) for a in template]
    args += [user.username] if command == "token create" else ["--as", user.username]
    if person == "stranger":
        with pytest.raises(CommandError, match="No such workspace"):
            chorus(*args)
    elif all(can(person, action) for action in actions):
        chorus(*args)
    else:
        with pytest.raises(CommandError, match="does not allow"):
            chorus(*args)
