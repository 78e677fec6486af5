"""Trip guardian: a traveller shares a trip with chosen guardians, who may raise the alarm."""
from portal.privacy.links import TOKEN_PATTERN
from portal.trips import handover  # noqa: F401  (registers what a trip hands over with its alarm)
from portal.trips.resources import GuardianContext, TripContext


def includeme(config):
    from portal.trips import workflow  # noqa: F401  (importing a declaration checks it)

    token = "{token:" + TOKEN_PATTERN + "}"
    config.add_route("trip_new", "/trips/new")
    config.add_route("trip", f"/trips/{token}", factory=TripContext)
    config.add_route("trip_action", f"/trips/{token}/{{action:updates|location|photos|arrived|alarm}}",
                     factory=TripContext)
    config.add_route("guard", f"/guard/{token}", factory=GuardianContext)
    config.add_route("guard_action", f"/guard/{token}/{{action:updates|answer|alarm|message}}", factory=GuardianContext)
    # A trip's photos, served only to holders of one of its links (views.py).
    config.add_route("trip_photo", rf"/trips/{token}/photos/{{id:\d+}}/{{variant:public|thumb}}", factory=TripContext)
    config.add_route("guard_photo", rf"/guard/{token}/photos/{{id:\d+}}/{{variant:public|thumb}}",
                     factory=GuardianContext)
    config.scan(".views")
