"""The evidence package pages: the form asking why (audited before anything is read), the download, and
the public key at its stable addresses."""
import json

from pyramid.httpexceptions import HTTPForbidden
from pyramid.response import FileIter, Response
from pyramid.view import view_config

from portal.audit import chain as audit
from portal.core import evidence_keys
from portal.core.forms import FormView
from portal.core.i18n import _
from portal.core.permissions import Permission
from portal.core.refused import Refused
from portal.evidence import ROUTES, package
from portal.evidence.resources import may_export
from portal.privacy.forms import reveal_schema

HEADINGS = {"tip": _("Evidence package of tip ${id}"), "sighting": _("Evidence package of sighting ${id}"),
            "alarm": _("Evidence package of alarm ${id}"),
            "missing_request": _("Evidence package of family request ${id}")}
SUBJECT_ROUTES = {"tip": "staff_tip", "sighting": "staff_sighting", "alarm": "staff_alarm",
                  "missing_request": "staff_missing_request"}
PUBLIC_KEY_CACHE = "public, max-age=3600"


def _evidence_view(cls):
    for route_name, _pattern, _factory in ROUTES.values():
        cls = view_config(route_name=route_name, renderer="staff/evidence.html", permission=Permission.STAFF)(cls)
    return cls


@_evidence_view
class EvidencePackage(FormView):
    """GET: what the package will hold and the reason field. POST: the reason goes to the audit log,
    then the ZIP is built and sent."""

    schema_factory = staticmethod(reveal_schema)
    buttons = (("download", _("Download the evidence package")),)

    def __call__(self):
        if not may_export(self.request, self.context):
            raise HTTPForbidden()
        self.source = self.context.source()
        return super().__call__()

    def page(self, **values):
        context, source = self.context, self.source
        present = [f for f in source.files if f.role == "original"]
        return {"heading": _(HEADINGS[context.kind], mapping={"id": context.subject.id}),
                "back": self.request.route_path(SUBJECT_ROUTES[context.kind], id=context.subject.id),
                "originals": len(present), "files": len(source.files),
                "public_key_url": self.request.route_path("evidence_public_key"), **values}

    def download_success(self, data):
        request, context, source = self.request, self.context, self.source
        reason = data["reason"]
        event = audit.record(request, "evidence.export", object_type=context.kind, object_id=context.subject.id,
                             reason=f"{len(source.files)} file(s): {reason}")
        try:
            out, size, name = package.build(request, source, reason=reason, export_event=event)
        except OSError as error:
            raise Refused(_("The evidence package could not be built. Please try again."), 503) from error
        response = Response(app_iter=FileIter(out), content_type="application/zip", content_length=size)
        response.content_disposition = f'attachment; filename="{name}"'
        response.cache_control = "private, no-store"
        return response


@view_config(route_name="evidence_public_key", request_method=("GET", "HEAD"))
def public_key_pem(request):
    """The key evidence packages are signed with now (PEM, SubjectPublicKeyInfo)."""
    keyring = evidence_keys.from_settings(request.registry.settings)
    kid, public = keyring.public_keys()[0]
    response = Response(evidence_keys.public_pem(public), content_type="application/x-pem-file", charset="us-ascii")
    response.headers["X-Key-Id"] = kid
    response.cache_control = PUBLIC_KEY_CACHE
    return response


@view_config(route_name="evidence_public_keys", request_method=("GET", "HEAD"))
def public_keys_jwks(request):
    """Every key packages may be signed with (the current first), as a JWK Set with fingerprints."""
    keyring = evidence_keys.from_settings(request.registry.settings)
    response = Response(json.dumps(keyring.jwks(), indent=1), content_type="application/jwk-set+json",
                        charset="utf-8")
    response.cache_control = PUBLIC_KEY_CACHE
    return response
