"""An agency opens a new client's inbox with the setup it already runs for another client."""

from chorus.channels.services import connect_channel
from chorus.inbox import rules, services
from chorus.workspaces.services import add_member, create_workspace


def test_the_owner_copies_her_coffee_shops_setup_to_a_new_bakery_client(signed_in, owner, moderator, workspace,
                                                                       channel):
    hours = services.save_reply_template(actor=owner, workspace=workspace, title="Часы",
                                         text="{author}, мы открыты с 8 до 22!", labels=["question"])
    rules.save_rule(actor=owner, workspace=workspace, name="Спам", conditions={"labels": {"spam": 0.9}},
                    actions=["hide", "ban"], dry_run=False)
    rules.save_rule(actor=owner, workspace=workspace, name="Часы работы", conditions={"keywords": ["до скольки"]},
                    actions=["reply"], saved_reply=hours, dry_run=False)
    rules.save_rule(actor=owner, workspace=workspace, name="Жалобы — Марине", conditions={"labels": {"complaint": 0.7}},
                    actions=["assign"], assignee=moderator)
    rules.save_rule(actor=owner, workspace=workspace, name="Только VK", conditions={"keywords": ["вк"]},
                    actions=["alert"], channel=channel)

    bakery = create_workspace(owner=owner, name="Bakery", slug="bakery", timezone_name="Europe/Moscow",
                              language="ru")
    connect_channel(actor=owner, workspace=bakery, network="sandbox", name="Bakery VK (sandbox)")
    services.save_reply_template(actor=owner, workspace=bakery, title="Часы", text="{author}, с 7 до 20!")
    client = signed_in(owner)
    page = client.post("/w/bakery/inbox/settings/copy/", {"source": "coffee"}, follow=True).content.decode()

    assert "Copied from Demo Coffee: rules (in dry run) 2, saved replies 0." in page
    assert "Not copied: Saved reply “Часы”: the workspace has one of that title." in page
    assert "Not copied: Rule “Жалобы — Марине”: the person it assigns to is not a member here." in page
    assert "Not copied: Rule “Только VK”: it is for one channel of the other workspace." in page
    copied = {rule.name: rule for rule in bakery.moderation_rules.select_related("saved_reply")}
    assert set(copied) == {"Спам", "Часы работы"} and all(rule.dry_run for rule in copied.values())
    assert copied["Часы работы"].saved_reply.text == "{author}, с 7 до 20!"  # the bakery's own hours

    # Marina joins the bakery's team: copying again brings her rule and nothing twice.
    add_member(actor=owner, workspace=bakery, user=moderator, role="moderator")
    again = client.post("/w/bakery/inbox/settings/copy/", {"source": "coffee"}, follow=True).content.decode()
    assert "Not copied: Rule “Спам”: Another rule is called “Спам”" in again
    assert bakery.moderation_rules.count() == 3 and bakery.saved_replies.count() == 1


def test_a_moderator_cannot_copy_from_a_workspace_she_does_not_set_up(signed_in, moderator, workspace,
                                                                      other_workspace):
    refused = signed_in(moderator).post("/w/coffee/inbox/settings/copy/", {"source": "tea"}, follow=True)
    assert "Choose a workspace whose inbox you set up." in refused.content.decode()
