"""Police units: the tree of bureaus, their jurisdictions, and the unit scope of every staff view."""
from portal.core.resources import StaffRoot
from portal.units.resources import UnitContext


def includeme(config):
    config.add_route("staff_units", "/staff/units", factory=StaffRoot)
    config.add_route("staff_unit_new", "/staff/units/new", factory=StaffRoot)
    config.add_route("staff_unit", r"/staff/units/{id:\d+}", factory=UnitContext)
    config.scan(".views")
