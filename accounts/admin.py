from django.contrib import admin

from accounts.models import ApiToken, Client, Domain, Membership, User


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
