"""A fake of t.me's public web preview: GET /s/<channel> answers the page Telegram serves to browsers (the markup
classes of the real page: tgme_channel_info_*, tgme_widget_message*, <time datetime>), 20 posts a page, older ones
with ?before=<id>. A name with no public preview (private, a group, nobody's) is sent on to /<name>, as t.me does,
where a plain "contact @name" page stands. Counts are shown as Telegram shows them: 812, 1.2K, 3.4M.
"""

import html
from datetime import UTC, datetime, timedelta

from chorus.networks.tests.fakes.server import Answer, FakeApi, Request, route

PAGE = 20
START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def shown(count: int) -> str:
    """A count as t.me displays it: exact below 1,000, else one decimal and K or M (Telegram drops a .0)."""
    for unit, size in (("M", 1_000_000), ("K", 1_000)):
        if count >= size:
            return f"{count / size:.1f}".removesuffix(".0") + unit
    return str(count)


class FakeTelegramWeb(FakeApi):
    network = "telegram-web"
    public_handle = "rival_tea"

    def __init__(self):
        super().__init__()
        self.channels = {"rival_tea": {"title": "Rival Tea & Co", "subscribers": 12_480, "posts": []}}
        self.groups = {"rival_tea_chat"}  # public groups have no /s/ preview
        for n in range(1, 4):
            self.add_post("rival_tea", f"Улун недели №{n}", views=[812, 1_240, 3_400_000][n - 1])

    def add_post(self, name: str, text: str, views: int | None = None, reply_to: str = "") -> int:
        """`text` is HTML as Telegram renders a message (<b>, <br/>, <a>, emoji markup)."""
        posts = self.channels[name]["posts"]
        number = len(posts) + 1
        posts.append({"id": number, "html": text, "views": views, "reply_to": reply_to,
                      "date": START + timedelta(hours=number)})
        return number

    def _message(self, name: str, post: dict) -> str:
        reply = (f'<a class="tgme_widget_message_reply" href="https://t.me/{name}/1"><div class="tgme_widget_message_'
                 f'author accent_color"><span class="tgme_widget_message_author_name">{name}</span></div>'
                 f'<div class="tgme_widget_message_text js-message_reply_text" dir="auto">{post["reply_to"]}</div>'
                 f"</a>") if post["reply_to"] else ""
        views = (f'<span class="tgme_widget_message_views">{shown(post["views"])}</span>'
                 f'<span class="copyonly"> views</span>') if post["views"] is not None else ""
        return f"""
<div class="tgme_widget_message_wrap js-widget_message_wrap">
  <div class="tgme_widget_message text_not_supported_wrap js-widget_message" data-post="{name}/{post['id']}"
       data-view="eyJjIjotMTAwMTc3fQ">
    <div class="tgme_widget_message_user"><a href="https://t.me/{name}"><i class="tgme_widget_message_user_photo
       bgcolor4" data-content="R"><img src="https://cdn4.telesco.pe/file/abc.jpg"></i></a></div>
    <div class="tgme_widget_message_bubble">
      <i class="tgme_widget_message_bubble_tail"><svg class="bubble_icon" width="9px" height="20px"></svg></i>
      <div class="tgme_widget_message_author accent_color"><a class="tgme_widget_message_owner_name"
         href="https://t.me/{name}"><span dir="auto">{html.escape(self.channels[name]["title"])}</span></a></div>
      {reply}
      <div class="tgme_widget_message_text js-message_text" dir="auto">{post["html"]}</div>
      <div class="tgme_widget_message_footer compact js-message_footer">
        <div class="tgme_widget_message_info short js-message_info">
          {views}
          <span class="tgme_widget_message_meta"><a class="tgme_widget_message_date"
             href="https://t.me/{name}/{post['id']}"><time datetime="{post['date'].isoformat()}"
             class="time">{post['date']:%H:%M}</time></a></span>
        </div>
      </div>
    </div>
  </div>
</div>"""

    def _preview(self, name: str, before: int | None) -> str:
        channel = self.channels[name]
        older = [p for p in channel["posts"] if before is None or p["id"] < before][-PAGE:]
        messages = "".join(self._message(name, post) for post in older)
        return f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{html.escape(channel["title"])} – Telegram</title>
<script>var T = "<div class='tgme_widget_message' data-post='{name}/999'>not a post</div>";</script>
<style>.tgme_widget_message_text {{ color: #000; }}</style></head>
<body class="widget_frame_base tgme_webpreview">
<header class="tgme_header search_collapsed"><div class="tgme_header_title">{html.escape(channel["title"])}</div>
</header>
<main class="tgme_main"><section class="tgme_channel_history js-message_history">{messages}</section>
<section class="tgme_right_column"><div class="tgme_channel_info">
  <div class="tgme_channel_info_header"><i class="tgme_page_photo_image bgcolor4"><img src="https://cdn4.telesco.pe/x.jpg"></i>
    <div class="tgme_channel_info_header_title"><span dir="auto">{html.escape(channel["title"])}</span></div>
    <div class="tgme_channel_info_header_username"><a href="https://t.me/{name}">@{name}</a></div></div>
  <div class="tgme_channel_info_description">Чай и кофе. Пишите: @rival_admin</div>
  <div class="tgme_channel_info_counters">
    <div class="tgme_channel_info_counter"><span class="counter_value">{shown(channel["subscribers"])}</span>
      <span class="counter_type">subscribers</span></div>
    <div class="tgme_channel_info_counter"><span class="counter_value">48</span>
      <span class="counter_type">photos</span></div>
    <div class="tgme_channel_info_counter"><span class="counter_value">3</span>
      <span class="counter_type">links</span></div>
  </div></div></section></main></body></html>"""

    @route("GET", r"/s/(?P<name>[\w]+)")
    def preview(self, request: Request) -> Answer:
        name = request.params["name"]
        if name not in self.channels:
            return Answer(302, "", {"Location": f"/{name}", "Content-Type": "text/html"})
        before = int(request.query["before"]) if request.query.get("before", "").isdigit() else None
        return Answer(200, self._preview(name, before), {"Content-Type": "text/html; charset=utf-8"})

    @route("GET", r"/(?P<name>[\w]+)")
    def contact_page(self, request: Request) -> Answer:
        name = request.params["name"]
        kind = "members" if name in self.groups else ""
        return Answer(200, f"""<!DOCTYPE html><html><head><meta property="og:title" content="{name}"></head>
<body class="tgme_page_body"><div class="tgme_page"><div class="tgme_page_title"><span dir="auto">{name}</span></div>
<div class="tgme_page_extra">{kind}</div><div class="tgme_page_description">If you have <strong>Telegram</strong>, you
can contact <a class="tgme_username_link" href="tg://resolve?domain={name}">@{name}</a> right away.</div></div>
</body></html>""", {"Content-Type": "text/html; charset=utf-8"})
