"""The import page and the export downloads, as an editor, an analyst and a client use them (CONT-6)."""

import json

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from chorus.content.models import Post
from chorus.content.services import write_post
from chorus.workspaces.roles import Role

VK = "Coffee VK (sandbox)"
IMPORT = reverse("bulk-import", args=["coffee"])


def upload(browser, content: str | bytes, name="posts.csv", keep_valid=True, file_format="auto"):
    raw = content.encode() if isinstance(content, str) else content
    return browser.post(IMPORT, {"file": SimpleUploadedFile(name, raw), "file_format": file_format,
                                 "keep_valid": "1" if keep_valid else "0"}, follow=True)


def test_editor_imports_a_file_and_sees_each_bad_line_with_its_reason(signed_in, editor, channel):
    source = (f"text;channels;at\nКапучино дня;{VK};2030-12-01 10:00\nЛатте;{VK};2030-13-01 10:00\n"
              f"Раф;Нет такого;\n")

    page = upload(signed_in(editor), source)

    assert page.redirect_chain == [(IMPORT, 302)]
    result = page.content.decode()
    assert "Imported 1 post from posts.csv" in result
    assert '<td class="text-nowrap">3</td>' in result and "2030-13-01 10:00" in result
    assert '<td class="text-nowrap">4</td>' in result and "Нет такого" in result
    assert Post.objects.get().text == "Капучино дня"
    # The result is shown once: reloading the page neither repeats it nor imports again.
    again = signed_in(editor).get(IMPORT).content.decode()
    assert "Imported 1 post" not in again and Post.objects.count() == 1


def test_a_refused_file_lists_the_errors_and_offers_the_form_again(signed_in, editor, channel):
    page = upload(signed_in(editor), f"text,channels\nХороший,{VK}\nПлохой,Нет такого\n", keep_valid=False)

    result = page.content.decode()
    assert "Nothing was imported from posts.csv" in result
    assert '<td class="text-nowrap">3</td>' in result
    assert 'type="file"' in result
    assert not Post.objects.exists()


def test_a_file_that_is_not_utf8_is_explained_not_a_crash(signed_in, editor, channel):
    page = upload(signed_in(editor), f"text;channels\nКофе;{VK}\n".encode("cp1251"))

    assert page.status_code == 200
    assert "not UTF-8" in page.content.decode() and not Post.objects.exists()


def test_html_in_a_text_stays_text_and_the_result_page_escapes_it(signed_in, editor, channel):
    text = '<b>Акция</b> & <img src=x onerror="alert(1)">'
    rows = [{"text": text, "channels": [VK]}, {"text": "Плохой", "channels": ["<script>alert(1)</script>"]}]

    page = upload(signed_in(editor), json.dumps(rows), name="<i>posts</i>.json")

    result = page.content.decode()
    assert Post.objects.get().text == text
    assert "<script>alert(1)</script>" not in result and "&lt;script&gt;alert(1)&lt;/script&gt;" in result
    assert "<i>posts</i>" not in result
    exported = signed_in(editor).get(reverse("bulk-export", args=["coffee", "json"]))
    assert json.loads(exported.content)[0]["text"] == text


def test_analyst_downloads_the_export_as_csv_for_excel(signed_in, team, workspace, channel):
    write_post(actor=team[Role.EDITOR], workspace=workspace, text="Черновик, с запятой",
               channel_ids=[channel.pk])

    response = signed_in(team[Role.ANALYST]).get(reverse("bulk-export", args=["coffee", "csv"]))

    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="coffee-posts.csv"'
    body = response.content.decode("utf-8")
    assert body.startswith("\ufefftext,channels,at")
    assert f'"Черновик, с запятой",{VK},' in body


def test_client_gets_403_and_a_stranger_404(signed_in, team, channel, other_workspace):
    client_user = team[Role.CLIENT]
    browser = signed_in(client_user)
    assert browser.get(IMPORT).status_code == 403
    assert upload(browser, f"text,channels\nПост,{VK}\n").status_code == 403
    assert browser.get(reverse("bulk-export", args=["coffee", "csv"])).status_code == 403
    assert not Post.objects.exists()
    stranger = other_workspace.memberships.get().user
    assert signed_in(stranger).get(IMPORT).status_code == 404
