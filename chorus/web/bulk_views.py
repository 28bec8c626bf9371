"""Bulk import and export pages (CONT-6): upload a file and see what came in; download the workspace's posts."""

from dataclasses import asdict

from django import forms
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _

from chorus.channels.services import channels_of
from chorus.content.bulk import MAX_BYTES, MAX_ROWS, export_posts, import_posts
from chorus.web.decorators import workspace_view

# The result page lists at most this many errors; the count says how many there were in all.
SHOWN_ERRORS = 500
EXPORT_TYPES = {"csv": "text/csv; charset=utf-8", "json": "application/json; charset=utf-8"}


class ImportForm(forms.Form):
    file = forms.FileField(label=_("File"), widget=forms.FileInput(
        attrs={"class": "form-control", "accept": ".csv,.json,.jsonl,.txt,text/csv,application/json"}))
    file_format = forms.ChoiceField(label=_("Format"), initial="auto", widget=forms.Select(
        attrs={"class": "form-select"}), choices=[
        ("auto", _("Recognise by content")), ("csv", "CSV"), ("json", _("JSON or JSON Lines"))])
    keep_valid = forms.TypedChoiceField(
        label=_("If some rows are wrong"), initial="1", coerce=lambda value: value == "1",
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
        choices=[("1", _("import the valid rows and list the wrong ones")),
                 ("0", _("import nothing; list every wrong row so I can fix the file"))])


def _result_key(workspace) -> str:
    return f"chorus.bulk-import.{workspace.pk}"


@workspace_view("post.import")
def bulk_import(request):
    """Upload, then redirect to show the result once, so reloading the page never imports the file twice."""
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        report = import_posts(actor=request.user, workspace=request.workspace,
                              source=upload.read(MAX_BYTES + 1),  # one byte over is enough to say "too big"
                              file_format=form.cleaned_data["file_format"],
                              keep_valid=form.cleaned_data["keep_valid"])
        request.session[_result_key(request.workspace)] = {
            "file_name": upload.name, "imported": report.imported, "skipped": report.skipped,
            "refused": report.refused, "error_count": len(report.errors),
            "errors": [asdict(error) for error in report.errors[:SHOWN_ERRORS]]}
        return redirect("bulk-import", request.workspace.slug)
    result = request.session.pop(_result_key(request.workspace), None) if request.method == "GET" else None
    return render(request, "web/bulk_import.html", {
        "form": form, "result": result, "max_mb": MAX_BYTES // 2**20, "max_rows": MAX_ROWS,
        "channels": channels_of(request.user, request.workspace)})


@workspace_view("post.export")
def bulk_export(request, file_format: str):
    if file_format not in EXPORT_TYPES:
        raise Http404
    body = export_posts(actor=request.user, workspace=request.workspace, file_format=file_format)
    if file_format == "csv":
        body = "\ufeff" + body  # Excel reads UTF-8 only with a BOM
    response = HttpResponse(body, content_type=EXPORT_TYPES[file_format])
    response["Content-Disposition"] = f'attachment; filename="{request.workspace.slug}-posts.{file_format}"'
    return response
