from django.contrib import admin

from accounts.models import (
    AgencyAuditEntry,
    ApiToken,
    Client,
    Domain,
    Invitation,
    Membership,
    User,
)


class DomainInline(admin.TabularInline):
    model = Domain
    extra = 0


@admin.register(Client)
class ClientAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "schema_name", "created_at")
    search_fields = ("name", "slug")
    inlines = [DomainInline]


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0


@admin.register(User)
class UserAdmin(admin.ModelAdmin):
    list_display = ("email", "name", "is_active", "is_staff")
    search_fields = ("email", "name")
    exclude = ("password", "user_permissions", "groups")
    inlines = [MembershipInline]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("key_prefix", "client", "user", "scope", "created_at", "revoked_at")
    readonly_fields = ("key_prefix", "key_hash", "last_used_at")


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    """Read-only here: invitations are made, resent and revoked on the client's /staff/ page
    or its API (which mail the link and audit); the admin shows where they stand."""

    list_display = ("email", "client", "role", "created_at", "expires_at", "accepted_at")
    list_filter = ("client", "role")
    search_fields = ("email",)
    readonly_fields = (*(f.name for f in Invitation._meta.fields if f.name != "id"),)

    def has_add_permission(self, request: object) -> bool:
        return False


@admin.register(AgencyAuditEntry)
class AgencyAuditEntryAdmin(admin.ModelAdmin):
    """The agency's own log (clients deactivated, reactivated, deleted; agency tokens; the
    agency's 2FA rule; password resets on the agency host), to read, never to change."""

    list_display = ("created_at", "action", "client_slug", "actor_id", "summary")
    list_filter = ("action", "client_slug")
    search_fields = ("summary", "client_slug")
    readonly_fields = ("created_at", "action", "client_slug", "actor_id", "summary")

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: object, obj: object = None) -> bool:
        return False
