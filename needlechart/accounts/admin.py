"""The Django admin, for clinic admins only, and only over their own clinic.

Clinic admins manage their staff here (roles, professions, dry-needling certification dates).
Clinical records are never edited through the admin: they go through the audited services.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from . import two_factor
from .models import Clinic, Role, User


class ClinicAdminSite(admin.AdminSite):
    site_header = "NeedleChart administration"
    site_title = "NeedleChart admin"
    index_title = "Your clinic"

    def has_permission(self, request) -> bool:
        user = request.user
        return bool(user.is_active and (user.is_superuser or (user.is_clinic_admin and user.clinic_id)))


site = ClinicAdminSite(name="admin")


@admin.register(User, site=site)
class StaffAdmin(DjangoUserAdmin):
    list_display = (
        "username",
        "first_name",
        "last_name",
        "role",
        "profession",
        "dry_needling_certified_on",
        "is_active",
    )
    list_filter = ("role", "profession", "is_active")
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        ("Person", {"fields": ("first_name", "last_name", "email")}),
        ("Role", {"fields": ("role", "profession", "dry_needling_certification", "dry_needling_certified_on")}),
        ("Access", {"fields": ("is_active",)}),
    )
    add_fieldsets = ((None, {"fields": ("username", "password1", "password2", "role", "profession")}),)
    actions = ["remove_two_factor"]

    @admin.action(description="Remove two-factor sign-in (lost phone): they set it up again at next sign-in")
    def remove_two_factor(self, request, queryset):
        for user in queryset:
            two_factor.remove_two_factor(request=request, actor=request.user, user=user)
        self.message_user(request, f"Two-factor sign-in removed for {queryset.count()} user(s).", messages.SUCCESS)

    def get_queryset(self, request):
        # Patients' portal accounts are not staff: they are managed from the patient's page (invite,
        # turn off), never here, so no admin can give one a staff role.
        users = super().get_queryset(request).exclude(role=Role.PATIENT)
        return users if request.user.is_superuser else users.filter(clinic_id=request.user.clinic_id)

    def formfield_for_choice_field(self, db_field, request, **kwargs):
        if db_field.name == "role":
            kwargs["choices"] = [(v, label) for v, label in Role.choices if v != Role.PATIENT]
        return super().formfield_for_choice_field(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        if not request.user.is_superuser:
            obj.clinic_id = request.user.clinic_id  # staff always join the admin's own clinic
        super().save_model(request, obj, form, change)

    def has_module_permission(self, request) -> bool:
        return site.has_permission(request)

    has_view_permission = has_change_permission = has_add_permission = lambda self, request, obj=None: (
        site.has_permission(request)
    )

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # deactivate instead: audit rows keep pointing at the account


@admin.register(Clinic, site=site)
class ClinicDetailsAdmin(admin.ModelAdmin):
    """The clinic's own name and contact details, which open every PDF report. A clinic admin sees and
    changes their own clinic only; clinics are never added or deleted here. Sign-in settings (two-factor)
    live on the Security page, with their own audit."""

    list_display = ("name", "phone", "email")
    fields = ("name", "address", "phone", "email", "time_zone")

    def get_queryset(self, request):
        clinics = super().get_queryset(request)
        return clinics if request.user.is_superuser else clinics.filter(pk=request.user.clinic_id)

    def has_module_permission(self, request) -> bool:
        return site.has_permission(request)

    def has_view_permission(self, request, obj=None) -> bool:
        return site.has_permission(request)

    def has_change_permission(self, request, obj=None) -> bool:
        return site.has_permission(request)

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
