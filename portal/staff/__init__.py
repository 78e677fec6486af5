"""The staff workspace's own pages, which read across domains: the dashboard (the queues of every
domain an officer works, in their unit scope), the audit page (the chain with officers and units) and the
statistics of every queue but tips' (notices, families' requests, sightings, alarms)."""
from portal.core.resources import StaffRoot
from portal.staff.nav_counts import staff_queue_counts


def includeme(config):
    config.add_route("staff", "/staff", factory=StaffRoot)
    config.add_route("staff_audit", "/staff/audit", factory=StaffRoot)
    config.add_route("staff_queue_stats", "/staff/stats/queues", factory=StaffRoot)
    config.add_route("staff_queue_stats_csv", "/staff/stats/queues/{queue}.csv", factory=StaffRoot)
    config.add_request_method(staff_queue_counts, "staff_queue_counts", reify=True)
    config.scan(".views")
