from django.utils.translation import gettext as _

from chorus.commandline import Answer, ChorusCommand
from chorus.workspaces.models import Membership
from chorus.workspaces.roles import GRANTABLE, Role
from chorus.workspaces.services import (
    add_member_named,
    change_role,
    create_member,
    grant,
    member_for,
    members_of,
    remove_member,
)

GRANTABLE_ACTIONS = sorted(set().union(*GRANTABLE.values()))


def member_document(membership: Membership) -> dict:
    return {"user_id": membership.user_id, "username": membership.user.get_username(), "role": membership.role,
            "grants": list(membership.grants)}


def member_line(membership: Membership) -> str:
    grants = f"\t+{','.join(membership.grants)}" if membership.grants else ""
    return f"{membership.user.get_username()}\t{membership.role}{grants}"


class Command(ChorusCommand):
    help = "A workspace's members: who is in it, with which role and what was granted beyond it."
    subcommands = {
        "list": "List the members with their roles and grants.",
        "add": "Add a person by username, or make a new account with --create (prints a one-time password).",
        "role": "Change a member's role (the last owner stays an owner; only an owner makes or changes one).",
        "grant": "Set what a member may do beyond their role; no --action takes every grant back.",
        "remove": "Remove a member (not the last owner); their API tokens for the workspace stop working.",
    }

    def add_member_arguments(self, parser, *, role: bool) -> None:
        self.add_workspace_arguments(parser)
        parser.add_argument("--user", required=True, metavar="USERNAME")
        if role:
            parser.add_argument("--role", required=True, choices=Role.values)

    def member(self, options):
        workspace, actor = self.workspace_and_actor(options)
        return workspace, actor, member_for(actor, workspace, self.person(options["user"]).pk)

    def add_list_arguments(self, parser):
        self.add_workspace_arguments(parser)

    def do_list(self, options) -> Answer:
        workspace, actor = self.workspace_and_actor(options)
        found = list(members_of(actor, workspace))
        return Answer([member_document(m) for m in found], "\n".join(member_line(m) for m in found))

    def add_add_arguments(self, parser):
        self.add_member_arguments(parser, role=True)
        parser.add_argument("--create", action="store_true",
                            help=_("make a new account with this username; its one-time password is printed once"))
        parser.add_argument("--email", default="", help=_("the new account's e-mail (with --create)"))
        parser.add_argument("--grant", dest="grants", action="append", default=[], choices=GRANTABLE_ACTIONS,
                            metavar="ACTION", help=_("an action beyond the role; repeat for several"))

    def do_add(self, options) -> Answer:
        workspace, actor = self.workspace_and_actor(options)
        if options["create"]:
            membership, password = create_member(actor=actor, workspace=workspace, username=options["user"],
                                                 role=options["role"], email=options["email"],
                                                 grants=options["grants"])
            return Answer(member_document(membership) | {"password": password},
                          _("Made the account %(user)s and added it as %(role)s.\nOne-time password: %(password)s\n"
                            "Pass it on now: Chorus stores only its hash and cannot show it again.")
                          % {"user": membership.user.get_username(), "role": membership.role, "password": password})
        membership = add_member_named(actor=actor, workspace=workspace, username=options["user"],
                                      role=options["role"], grants=options["grants"])
        return Answer(member_document(membership), _("Added %(user)s as %(role)s.")
                      % {"user": membership.user.get_username(), "role": membership.role})

    def add_role_arguments(self, parser):
        self.add_member_arguments(parser, role=True)

    def do_role(self, options) -> Answer:
        workspace, actor, membership = self.member(options)
        membership = change_role(actor=actor, workspace=workspace, user=membership.user, role=options["role"])
        return Answer(member_document(membership), member_line(membership))

    def add_grant_arguments(self, parser):
        self.add_member_arguments(parser, role=False)
        parser.add_argument("--action", dest="actions", action="append", default=[], choices=GRANTABLE_ACTIONS,
                            metavar="ACTION", help=_("an action beyond the role; repeat for several"))

    def do_grant(self, options) -> Answer:
        workspace, actor, membership = self.member(options)
        membership = grant(actor=actor, workspace=workspace, user=membership.user, actions=options["actions"])
        return Answer(member_document(membership), member_line(membership))

    def add_remove_arguments(self, parser):
        self.add_member_arguments(parser, role=False)

    def do_remove(self, options) -> Answer:
        workspace, actor, membership = self.member(options)
        remove_member(actor=actor, workspace=workspace, user=membership.user)
        return Answer(member_document(membership) | {"removed": True},
                      _("Removed %(user)s from %(workspace)s.")
                      % {"user": membership.user.get_username(), "workspace": workspace.slug})
