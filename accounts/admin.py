from django.contrib import admin

from .models import Profile


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "time_zone", "week_start"]
    list_filter = ["week_start"]
    search_fields = ["user__username", "user__email", "email_pending", "time_zone"]
    list_select_related = ["user"]
