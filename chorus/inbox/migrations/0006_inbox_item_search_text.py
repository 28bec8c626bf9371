from django.db import migrations, models

CHUNK = 2000


def fold_existing_items(apps, schema_editor):
    """The folding of `models.searchable` as it was when the column came, kept here so the migration stays put."""
    items = apps.get_model("inbox", "InboxItem").objects
    last = 0
    while chunk := list(items.filter(pk__gt=last).select_related("author").order_by("pk")[:CHUNK]):
        for item in chunk:
            item.search_text = f"{item.text} {item.author.name}".casefold().replace("ё", "е")
        items.bulk_update(chunk, ["search_text"])
        last = chunk[-1].pk


class Migration(migrations.Migration):

    dependencies = [
        ("inbox", "0005_ingest_turn_watching_since"),
    ]

    operations = [
        migrations.AddField(
            model_name="inboxitem",
            name="search_text",
            field=models.TextField(blank=True, editable=False),
        ),
        migrations.RunPython(fold_existing_items, migrations.RunPython.noop),
    ]
