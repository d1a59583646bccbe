"""The Django admin's app config, with Lotse's admin site as `admin.site`."""

from django.contrib.admin.apps import AdminConfig


class LotseAdminConfig(AdminConfig):
    default_site = "accounts.admin_site.LotseAdminSite"
