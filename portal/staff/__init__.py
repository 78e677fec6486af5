"""The staff workspace's own pages, which read across domains: the dashboard (the queues of every
domain an officer works, in their unit scope) and the audit page (the chain with officers and units)."""
from portal.core.resources import StaffRoot


def includeme(config):
    config.add_route("staff", "/staff", factory=StaffRoot)
    config.add_route("staff_audit", "/staff/audit", factory=StaffRoot)
    config.scan(".views")
