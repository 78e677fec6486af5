"""Invitation contexts: the invited person's link (/invite/{token}; holding it grants the invitee's
steps, and an unknown link is a page of its own, not a bare 404), and one invitation on the staff
side (dispatchers of its center and the centers above)."""
from pyramid.authorization import Allow, Everyone
from sqlalchemy import select

from portal.calls.invitations.models import CallInvitation
from portal.calls.invitations.workflow import INVITEE
from portal.core.permissions import Role, scoped_acl
from portal.core.resources import load_row
from portal.privacy import links


class InvitationLinkContext:
    __acl__ = [(Allow, Everyone, INVITEE)]

    def __init__(self, request):
        self.invitation = request.dbsession.execute(
            select(CallInvitation).where(CallInvitation.token_hash == links.token_hash(request.matchdict["token"]))
        ).scalar_one_or_none()


class StaffInvitationContext:
    def __init__(self, request):
        self.invitation = load_row(request, CallInvitation)
        self.__acl__ = scoped_acl(self.invitation.unit.ancestor_codes, roles=[Role.DISPATCHER])
