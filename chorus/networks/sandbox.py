"""NET-SB: the built-in sandbox network, a real connector behind the same interface as any other."""

from datetime import datetime, timedelta

from django.utils import timezone
from django.utils.translation import gettext as _

from chorus.networks import errors
from chorus.networks.base import (
    AccountCounters,
    AccountHealth,
    Capabilities,
    Connector,
    Conversation,
    ConversationPage,
    MediaRule,
    PostCounters,
    Publication,
    PublicPage,
    PublicPost,
    RemotePost,
    TextRule,
    VideoRule,
)
from chorus.sandbox import network as remote


class SandboxConnector(Connector):
    network = "sandbox"
    label = "Sandbox"
    is_sandbox = True
    capabilities = Capabilities(
        text=TextRule(limit=4000, unit="codepoint", fold_at=280),
        images=MediaRule(max_count=10, max_bytes=10 * 2**20),
        # A practice network that takes what the real ones take at most: any library video, beside photos.
        video=VideoRule(max_count=4, max_bytes=512 * 2**20, max_seconds=600,
                        formats=("video/mp4", "video/quicktime", "video/webm"), with_images=True),
        native_scheduling=False, edit=True, delete=True, idempotency="key", find_published=True,
        metrics=("views", "likes", "reposts", "comments"),
        account_metrics=("followers", "followers_gained", "followers_lost", "audience:gender", "audience:age",
                         "audience:country", "audience:city"),
        comments=True, messages=True, moderation=("hide", "delete", "ban"), undo=("hide", "ban"),
        public_pages=True,
    )

    def _account(self):
        credentials = self.channel.credentials
        try:
            return remote.authenticate(self.channel.external_id, credentials.get("token", ""))
        except remote.SandboxUnauthorized as exc:
            raise errors.AuthExpired(_("The sandbox rejected the channel's token.")) from exc

    def _call(self, fn, *args, **kwargs):
        """Translate the sandbox server's answers into the shared error set."""
        try:
            return fn(*args, **kwargs)
        except remote.SandboxTooManyRequests as exc:
            raise errors.RateLimited(str(exc), timezone.now() + timedelta(seconds=exc.retry_after),
                                     scope=exc.scope) from exc
        except remote.SandboxRefused as exc:
            raise errors.Transient(str(exc)) from exc
        except remote.SandboxTimeout as exc:
            raise errors.AmbiguousOutcome(str(exc)) from exc
        except remote.SandboxNotFound as exc:
            raise errors.RemoteNotFound(str(exc)) from exc

    @staticmethod
    def _remote_post(post) -> RemotePost:
        return RemotePost(post.remote_id, f"sandbox://{post.account.external_id}/{post.remote_id}",
                          post.created_at, post.idempotency_key)

    def check_health(self) -> AccountHealth:
        try:
            account = self._account()
        except errors.AuthExpired as exc:
            return AccountHealth(ok=False, message=exc.reason)
        day = account.follower_days.order_by("-day").first()
        return AccountHealth(ok=True, followers=day.followers if day else account.followers_at_start)

    def account_counters(self) -> AccountCounters:
        """Followers, who joined and left on the page's latest day, and who its followers are that day."""
        account = self._account()
        day = account.follower_days.order_by("-day").first()
        if day is None:
            return AccountCounters(followers=account.followers_at_start)
        audience = account.audience_days.filter(day=day.day).values_list("breakdown", flat=True).first()
        return AccountCounters(followers=day.followers, followers_gained=day.joined, followers_lost=day.left,
                               followers_day=day.day, audience=audience)

    def publish(self, publication: Publication, idempotency_key: str) -> RemotePost:
        account = self._account()
        post = self._call(remote.create_post, account, text=publication.text,
                          media_count=len(publication.media), idempotency_key=idempotency_key)
        return self._remote_post(post)

    def find_published(self, idempotency_key: str, text: str, since: datetime) -> RemotePost | None:
        account = self._account()
        posts = self._call(remote.recent_posts, account, since)
        for post in posts:
            if post.idempotency_key == idempotency_key or (not post.idempotency_key and post.text == text):
                return self._remote_post(post)
        return None

    def edit(self, remote_id: str, publication: Publication) -> None:
        self._call(remote.edit_post, self._account(), remote_id, publication.text)

    def delete(self, remote_id: str, parts: tuple[str, ...] = ()) -> None:
        self._call(remote.delete_post, self._account(), remote_id)

    def fetch_counters(self, remote_ids: list[str]) -> list[PostCounters]:
        account = self._account()
        return [PostCounters(p.remote_id, p.views, p.likes, p.reposts, p.comments)
                for p in account.posts.filter(remote_id__in=remote_ids)]

    # Comments and messages -------------------------------------------------------------------------------------
    def conversations(self, cursor: str = "") -> ConversationPage:
        """Cursor: where the comment and the message streams stopped ("<comments>;<messages>")."""
        account = self._account()
        after_comments, _sep, after_messages = cursor.partition(";")
        comments = self._call(remote.comments_changed, account, after_comments)
        messages = self._call(remote.messages_changed, account, after_messages)
        items = [self._comment(c) for c in comments] + [self._message(m) for m in messages]
        next_cursor = (remote.cursor_after(comments[-1]) if comments else after_comments,
                       remote.cursor_after(messages[-1]) if messages else after_messages)
        return ConversationPage(sorted(items, key=lambda item: item.created_at), ";".join(next_cursor))

    @staticmethod
    def _comment(comment) -> Conversation:
        return Conversation(
            kind="reply" if comment.parent_id else "comment", remote_id=comment.remote_id,
            author_id=comment.author_id, author_name=comment.author_name, text=comment.text,
            created_at=comment.created_at, post_remote_id=comment.post.remote_id,
            parent_remote_id=comment.parent.remote_id if comment.parent_id else "",
            deleted=comment.deleted_at is not None, edited_at=comment.edited_at,
            hidden=comment.hidden_at is not None, from_page=comment.from_page)

    @staticmethod
    def _message(message) -> Conversation:
        return Conversation(kind="message", remote_id=message.remote_id, author_id=message.author_id,
                            author_name=message.author_name, text=message.text, created_at=message.created_at,
                            deleted=message.deleted_at is not None, from_page=message.from_page)

    def reply(self, conversation: Conversation, text: str, idempotency_key: str) -> str:
        account = self._account()
        if conversation.kind == "message":
            return self._call(remote.send_message, account, conversation.author_id, text, idempotency_key).remote_id
        return self._call(remote.reply_to_comment, account, conversation.remote_id, text, idempotency_key).remote_id

    def moderate(self, conversation: Conversation, action: str) -> None:
        account = self._account()
        if action == "ban":
            self._call(remote.ban_author, account, conversation.author_id)
        elif conversation.kind == "message":
            raise errors.ValidationRejected(_("A direct message cannot be hidden or deleted for the other side."))
        elif action == "hide":
            self._call(remote.hide_comment, account, conversation.remote_id)
        else:
            self._call(remote.delete_comment, account, conversation.remote_id)

    def undo(self, conversation: Conversation, action: str) -> None:
        account = self._account()
        if action == "ban":
            self._call(remote.unban_author, account, conversation.author_id)
        elif action == "hide" and conversation.kind != "message":
            self._call(remote.unhide_comment, account, conversation.remote_id)
        else:
            raise errors.ValidationRejected(_("The sandbox cannot take back a %(action)s.") % {"action": action})

    # Public pages ----------------------------------------------------------------------------------------------
    def public_page(self, handle: str, limit: int = 20) -> PublicPage:
        account = self._call(remote.public_account, handle.strip())
        day = account.follower_days.order_by("-day").first()
        posts = [PublicPost(p.remote_id, self._remote_post(p).url, p.text, p.created_at,
                            PostCounters(p.remote_id, p.views, p.likes, p.reposts, p.comments))
                 for p in account.posts.filter(deleted_at=None).order_by("-created_at")[:limit]]
        return PublicPage(account.external_id, account.name, f"sandbox://{account.external_id}",
                          day.followers if day else account.followers_at_start, posts)
