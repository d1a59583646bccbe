from django.contrib import admin

from webhooks.models import Delivery, Subscription


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    list_display = ("url", "is_active", "failure_streak", "disabled_at", "created_at")
    list_filter = ("is_active",)
    # Secrets are never shown, not even encrypted; rotate on the /webhooks/ page or the API.
    exclude = ("secret_encrypted", "previous_secret_encrypted")
    readonly_fields = ("failure_streak", "disabled_at", "disabled_reason", "created_at")


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ("delivery_id", "attempt", "status", "response_status", "duration_ms")
    list_filter = ("status",)
    readonly_fields = [field.name for field in Delivery._meta.fields]
