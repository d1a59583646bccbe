from django.contrib import admin

from routing.training.library.models import LibraryModule


@admin.register(LibraryModule)
class LibraryModuleAdmin(admin.ModelAdmin):
    """The agency edits its template modules here; clients copy them on /training/."""

    list_display = ("title", "slug", "pass_mark", "updated_at")
    search_fields = ("title", "slug")
