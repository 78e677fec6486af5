"""Sightings: clues the public sends on a published notice, and the moderators' queue of them."""
from portal.core.resources import StaffRoot
from portal.notices.resources import PublicNoticeContext
from portal.sightings.resources import SightingContext


def includeme(config):
    from portal.sightings import workflow  # noqa: F401  (importing a declaration checks it)

    config.add_route("sighting_new", r"/notices/{id:\d+}/sightings/new", factory=PublicNoticeContext)
    # The sender's answer to the police on /status (the status page itself belongs to portal.status).
    config.add_route("status_sighting_reply", "/status/sighting-reply")
    config.add_route("staff_sightings", "/staff/sightings", factory=StaffRoot)
    config.add_route("staff_sighting", r"/staff/sightings/{id:\d+}", factory=SightingContext)
    config.add_route("staff_sighting_photo", r"/staff/sightings/{id:\d+}/photo", factory=SightingContext)
    config.scan(".views")
