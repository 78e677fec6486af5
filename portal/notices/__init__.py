"""Verified notices: missing persons first, and wanted suspects, lost and found, case appeals,
vehicles, reward tasks. The public pages, feeds and API; the staff's drafts and four-eyes review."""
from portal.core.resources import StaffRoot
from portal.notices.resources import CapNoticeContext, NoticePageContext, StaffNoticeContext


def includeme(config):
    from portal.notices import workflow  # noqa: F401  (importing a declaration checks it)

    # The public answers only read: anonymous GETs of them use connections that cannot write (core/read_only.py).
    config.add_read_only_route("home", "/")
    config.add_read_only_route("notices", "/notices")
    config.add_read_only_route("notice", r"/notices/{id:\d+}", factory=NoticePageContext)
    config.add_read_only_route("notice_poster", r"/notices/{id:\d+}/poster", factory=NoticePageContext)
    config.add_read_only_route("notice_cap", r"/notices/{id:\d+}.cap", factory=CapNoticeContext)
    config.add_read_only_route("feed_atom", "/feeds/notices.atom")
    config.add_read_only_route("robots", "/robots.txt")
    config.add_read_only_route("sitemap", "/sitemap.xml")
    config.add_read_only_route("feed_cap", "/feeds/notices.cap.atom")
    config.add_read_only_route("media", r"/media/{id:\d+}/{variant:public|thumb}")
    config.add_read_only_route("api_notices", "/api/v1/notices")
    config.add_read_only_route("api_notice", r"/api/v1/notices/{id:\d+}", factory=NoticePageContext)
    config.add_read_only_route("api_openapi", "/api/openapi.json")
    config.add_route("staff_notices", "/staff/notices", factory=StaffRoot)
    config.add_route("staff_notice_new", "/staff/notices/new", factory=StaffRoot)
    config.add_route("staff_notice", r"/staff/notices/{id:\d+}", factory=StaffNoticeContext)
    config.add_route("staff_notice_photo", r"/staff/notices/{id:\d+}/photos/{media:\d+}", factory=StaffNoticeContext)
    config.scan(".views")
