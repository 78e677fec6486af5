"""Tips from the public: categories with their questions, the form with files, routing to the
receiving unit, the staff queue and handling, rewards, statistics, and the reporter's /status."""
from portal.core.permissions import Permission
from portal.core.resources import StaffRoot
from portal.media import resumable
from portal.tips import categories
from portal.tips.media import attachment_limits
from portal.tips.resources import TipCategoriesRoot, TipCategoryContext, TipContext, TipMediaContext


def includeme(config):
    from portal.tips import workflow  # noqa: F401  (importing a declaration checks it)

    config.include(".upload_stream")  # tip forms: files streamed to disk as they arrive
    # ... or sent before the form in chunks, with the same limits and the same hourly count (media/resumable).
    limits = attachment_limits(config.get_settings())
    resumable.add_purpose(config, resumable.Purpose("tip", limits.max_bytes, limits.max_files, limits.max_total_bytes,
                                                    rate_key="upload", rate_setting="portal.tip.upload_rate_per_hour"))
    config.add_navigation_context(Permission.MANAGE_CATEGORIES, TipCategoriesRoot)
    # The home page (notices domain) lists the categories without importing this domain.
    config.add_request_method(categories.for_public_page, "tip_categories", reify=True)
    config.add_route("status_reply", "/status/reply")  # a tip's reporter answers (code in the POST body)
    config.add_route("tips_new", "/tips/new")
    config.add_route("tip_route", "/tips/route")  # which unit a point goes to, for the tip form's script
    config.add_route("staff_tips", "/staff/tips", factory=StaffRoot)
    config.add_route("staff_tip", r"/staff/tips/{id:\d+}", factory=TipContext)
    config.add_route("staff_tip_media", r"/staff/tips/media/{id:\d+}", factory=TipMediaContext)
    config.add_route("staff_categories", "/staff/categories", factory=TipCategoriesRoot)
    config.add_route("staff_category_new", "/staff/categories/new", factory=TipCategoriesRoot)
    config.add_route("staff_category", r"/staff/categories/{id:\d+}", factory=TipCategoryContext)
    config.add_route("staff_stats", "/staff/stats", factory=StaffRoot)
    config.add_route("staff_stats_csv", "/staff/stats.csv", factory=StaffRoot)
    config.scan(".views")
