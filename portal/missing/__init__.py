"""Missing-person requests: a family asks for an appeal, the command center verifies and publishes it."""
from portal.core.resources import StaffRoot
from portal.missing.resources import MissingPhotoContext, MissingRequestContext


def includeme(config):
    from portal.missing import workflow  # noqa: F401  (importing a declaration checks it)

    config.add_route("missing_new", "/missing/new")
    config.add_route("staff_missing", "/staff/missing", factory=StaffRoot)
    config.add_route("staff_missing_request", r"/staff/missing/{id:\d+}", factory=MissingRequestContext)
    config.add_route("staff_missing_photo", r"/staff/missing/photos/{id:\d+}", factory=MissingPhotoContext)
    config.scan(".views")
