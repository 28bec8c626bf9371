"""The workspace's known spammers (COMM-3): authors a rule with the "known spammer" sign cleans on sight.

The team marks them one at a time from an item, or adds a list of network IDs at once: another workspace's list,
or a blocklist agencies share. An ID the inbox has not seen yet becomes an author waiting for their first comment.
"""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from chorus.channels.models import Channel
from chorus.inbox.models import Author
from chorus.workspaces.services import ensure_can

MAX_ID = Author._meta.get_field("remote_id").max_length
NAME_MAX = Author._meta.get_field("name").max_length
AT_ONCE = 5000  # IDs one list may add; a bigger list goes in several
NOTE = "#"  # "123456 # bot farm, March": what follows is the sender's note, not part of the ID


@dataclass(frozen=True)
class ListAdded:
    added: int
    already: int
    problems: list[str]  # "line 3: …", each saying what to fix


def mark_spammer(*, actor, author: Author, known: bool) -> Author:
    ensure_can(actor, "inbox.moderate", author.workspace)
    Author.objects.filter(pk=author.pk).update(known_spammer=known)
    author.known_spammer = known
    return author


def known_spammers(workspace, network: str = "") -> QuerySet[Author]:
    spammers = Author.objects.filter(workspace=workspace, known_spammer=True)
    return (spammers.filter(network=network) if network else spammers).order_by("network", "name", "pk")


def networks_of(workspace) -> list[str]:
    """The networks whose IDs the list can hold: those the workspace has channels on."""
    return sorted(set(Channel.objects.filter(workspace=workspace).values_list("network", flat=True)))


def add_spammers(*, actor, workspace, network: str, listing: str) -> ListAdded:
    """One ID per line, as the network gives it; blank lines and notes after "#" are skipped."""
    ensure_can(actor, "inbox.moderate", workspace)
    if network not in networks_of(workspace):
        raise ValidationError(_("Choose a network the workspace has a channel on."))
    notes, problems = _read_listing(listing)
    ids = list(notes)
    known = dict(Author.objects.filter(workspace=workspace, network=network, remote_id__in=ids)
                 .values_list("remote_id", "known_spammer"))
    Author.objects.filter(workspace=workspace, network=network, remote_id__in=[i for i in ids if i in known],
                          known_spammer=False).update(known_spammer=True)
    now = timezone.now()
    # Until they write here, an author is known by the note beside their ID (the name the list was exported with).
    Author.objects.bulk_create(Author(workspace=workspace, network=network, remote_id=remote_id,
                                      name=(notes[remote_id] or remote_id)[:NAME_MAX], first_seen_at=now,
                                      known_spammer=True)
                               for remote_id in ids if remote_id not in known)
    already = sum(1 for remote_id in ids if known.get(remote_id))
    return ListAdded(added=len(ids) - already, already=already, problems=problems)


def _read_listing(listing: str) -> tuple[dict[str, str], list[str]]:
    """ID → its note, in the list's order, and what is wrong with the other lines."""
    notes, problems = {}, []
    for number, line in enumerate(listing.splitlines(), start=1):
        remote_id, _mark, note = (part.strip() for part in line.partition(NOTE))
        if not remote_id:
            continue
        if any(character.isspace() for character in remote_id):
            problems.append(_("line %(number)d: one ID per line, with no spaces (got “%(line)s”).")
                            % {"number": number, "line": remote_id[:60]})
        elif len(remote_id) > MAX_ID:
            problems.append(_("line %(number)d: an ID is at most %(most)d characters.")
                            % {"number": number, "most": MAX_ID})
        elif len(notes) == AT_ONCE:
            problems.append(_("line %(number)d and on: a list adds at most %(most)d IDs at once; add the rest "
                              "in another go.") % {"number": number, "most": AT_ONCE})
            break
        else:
            notes.setdefault(remote_id, note)
    return notes, problems


def listing_of(*, actor, workspace, network: str) -> str:
    """The list as `add_spammers` reads it, names as notes, for another workspace or a shared blocklist."""
    ensure_can(actor, "inbox.moderate", workspace)
    return "".join(f"{author.remote_id} {NOTE} {' '.join(author.name.split())}\n"
                   for author in known_spammers(workspace, network))
