"""People of a client over the API: invitations (list, create, resend, revoke) and members
(list, change role, deactivate, reactivate). Client admins only, on the client's host."""

from __future__ import annotations

from typing import Any, cast

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.invitations import INVITABLE_ROLES, invitation_get, invitations_open
from accounts.models import Invitation, Membership, Role, User
from accounts.permissions import request_has_second_factor, request_role
from accounts.selectors import client_membership_get, client_memberships
from accounts.services import client_two_factor_require
from config.tenancy import current_client
from sources.services.people import (
    PersonChange,
    person_deactivate,
    person_invitation_resend,
    person_invitation_revoke,
    person_invite,
    person_reactivate,
    person_role_change,
)


class InvitationSerializer(serializers.ModelSerializer):
    state = serializers.CharField(read_only=True)
    invited_by = serializers.SerializerMethodField()

    class Meta:
        model = Invitation
        fields = (
            "id",
            "email",
            "role",
            "departments",
            "teams",
            "languages",
            "state",
            "invited_by",
            "created_at",
            "sent_at",
            "expires_at",
        )
        read_only_fields = fields

    def get_invited_by(self, invitation: Invitation) -> str:
        return invitation.invited_by.display_name if invitation.invited_by else ""


class InvitationWriteSerializer(serializers.Serializer):
    email = serializers.EmailField()
    role = serializers.ChoiceField(choices=list(INVITABLE_ROLES))
    departments = serializers.ListField(
        child=serializers.CharField(max_length=50), required=False, max_length=50
    )
    teams = serializers.ListField(child=serializers.IntegerField(), required=False, max_length=50)
    languages = serializers.ListField(
        child=serializers.CharField(max_length=8), required=False, max_length=50
    )


class TwoFactorRequirementSerializer(serializers.Serializer):
    require_2fa = serializers.BooleanField(
        help_text="Whether everyone here must log in with a second factor (TOTP). Only a "
        "person who uses one themselves may turn this on."
    )


class MemberSerializer(serializers.Serializer):
    user_id = serializers.IntegerField()
    email = serializers.EmailField()
    name = serializers.CharField()
    role = serializers.CharField()
    active = serializers.BooleanField()
    deactivated_at = serializers.DateTimeField(allow_null=True)


class MemberWriteSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=list(INVITABLE_ROLES))


class MemberChangeSerializer(serializers.Serializer):
    changed = serializers.BooleanField()
    released = serializers.IntegerField(help_text="Open mentions handed back to their teams.")
    person = MemberSerializer()


def _person(membership: Membership) -> dict[str, Any]:
    return {
        "user_id": membership.user_id,
        "email": membership.user.email,
        "name": membership.user.display_name,
        "role": membership.role,
        "active": membership.deactivated_at is None,
        "deactivated_at": membership.deactivated_at,
    }


def _me(request: Request) -> User:
    return cast(User, request.user)


def _base_url(request: Request) -> str:
    return request.build_absolute_uri("/")


class AdminOnly:
    read_role = Role.CLIENT_ADMIN
    write_role = Role.CLIENT_ADMIN


class InvitationListView(AdminOnly, APIView):
    """Open invitations (waiting or expired). POST invites someone by e-mail; the link in
    the mail works once, for 7 days."""

    @extend_schema(responses=InvitationSerializer(many=True))
    def get(self, request: Request) -> Response:
        rows = invitations_open(client=current_client())
        return Response(InvitationSerializer(rows, many=True).data)

    @extend_schema(request=InvitationWriteSerializer, responses={201: InvitationSerializer})
    def post(self, request: Request) -> Response:
        incoming = InvitationWriteSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        invitation = person_invite(
            client=current_client(),
            data=incoming.validated_data,
            by=_me(request),
            by_role=request_role(request),
            base_url=_base_url(request),
        )
        return Response(InvitationSerializer(invitation).data, status=status.HTTP_201_CREATED)


def _invitation(pk: int) -> Invitation:
    invitation = invitation_get(client=current_client(), invitation_id=pk)
    if invitation is None:
        raise Http404
    return invitation


class InvitationDetailView(AdminOnly, APIView):
    @extend_schema(responses=InvitationSerializer)
    def get(self, request: Request, pk: int) -> Response:
        return Response(InvitationSerializer(_invitation(pk)).data)


class InvitationResendView(AdminOnly, APIView):
    """A new link for another 7 days; the old link stops working."""

    @extend_schema(request=None, responses=InvitationSerializer)
    def post(self, request: Request, pk: int) -> Response:
        invitation = person_invitation_resend(
            client=current_client(),
            invitation=_invitation(pk),
            by=_me(request),
            by_role=request_role(request),
            base_url=_base_url(request),
        )
        return Response(InvitationSerializer(invitation).data)


class InvitationRevokeView(AdminOnly, APIView):
    @extend_schema(request=None, responses=InvitationSerializer)
    def post(self, request: Request, pk: int) -> Response:
        invitation = person_invitation_revoke(
            client=current_client(),
            invitation=_invitation(pk),
            by=_me(request),
            by_role=request_role(request),
        )
        return Response(InvitationSerializer(invitation).data)


class PersonListView(AdminOnly, APIView):
    """Everyone with a role in this client, deactivated people included."""

    @extend_schema(responses=MemberSerializer(many=True))
    def get(self, request: Request) -> Response:
        rows = [_person(m) for m in client_memberships(client=current_client())]
        return Response(MemberSerializer(rows, many=True).data)


def _membership(user_id: int) -> Membership:
    membership = client_membership_get(client=current_client(), user_id=user_id)
    if membership is None:
        raise Http404
    return membership


def _change(change: PersonChange, user_id: int) -> Response:
    data = {"changed": change.changed, "released": change.released}
    return Response({**data, "person": MemberSerializer(_person(_membership(user_id))).data})


class PersonDetailView(AdminOnly, APIView):
    @extend_schema(responses=MemberSerializer)
    def get(self, request: Request, user_id: int) -> Response:
        return Response(MemberSerializer(_person(_membership(user_id))).data)

    @extend_schema(request=MemberWriteSerializer, responses=MemberChangeSerializer)
    def patch(self, request: Request, user_id: int) -> Response:
        """Change the role. A new viewer leaves the staff list; their open mentions go back."""
        incoming = MemberWriteSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        _membership(user_id)
        change = person_role_change(
            client=current_client(),
            user_id=user_id,
            role=incoming.validated_data["role"],
            by=_me(request),
            by_role=request_role(request),
        )
        return _change(change, user_id)


class PersonDeactivateView(AdminOnly, APIView):
    """No more access to this client; open mentions go back to the person's teams."""

    @extend_schema(request=None, responses=MemberChangeSerializer)
    def post(self, request: Request, user_id: int) -> Response:
        _membership(user_id)
        change = person_deactivate(
            client=current_client(),
            user_id=user_id,
            by=_me(request),
            by_role=request_role(request),
        )
        return _change(change, user_id)


class PersonReactivateView(AdminOnly, APIView):
    @extend_schema(request=None, responses=MemberChangeSerializer)
    def post(self, request: Request, user_id: int) -> Response:
        _membership(user_id)
        change = person_reactivate(
            client=current_client(),
            user_id=user_id,
            by=_me(request),
            by_role=request_role(request),
        )
        return _change(change, user_id)


class TwoFactorRequirementView(AdminOnly, APIView):
    """Whether this client requires two-factor login from everyone with a role in it (the
    same switch as on /account/2fa/). Client admins only; every change is audited."""

    @extend_schema(responses=TwoFactorRequirementSerializer)
    def get(self, request: Request) -> Response:
        return Response({"require_2fa": current_client().require_2fa})

    @extend_schema(request=TwoFactorRequirementSerializer, responses=TwoFactorRequirementSerializer)
    def put(self, request: Request) -> Response:
        incoming = TwoFactorRequirementSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        client = client_two_factor_require(
            client=current_client(),
            required=incoming.validated_data["require_2fa"],
            actor=_me(request),
            actor_has_second_factor=request_has_second_factor(request),
        )
        return Response({"require_2fa": client.require_2fa})
