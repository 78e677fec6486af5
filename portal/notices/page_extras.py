"""What the public notice page carries around the notice itself: share links, Open Graph tags,
schema.org JSON-LD and the robots hint of missing-person appeals. Public fields only."""
import json
from datetime import timedelta
from urllib.parse import quote

from markupsafe import Markup

from portal.core.i18n import Translated, TranslatedTuple, _
from portal.core.links import public_static_url, public_url
from portal.notices import medical, places

# Search engines drop a missing-person page a year after publication unless it expires earlier.
UNAVAILABLE_AFTER = timedelta(days=365)
# A link preview of a notice without a photo shows the service's shield (made by scripts/make_icons.py).
DEFAULT_IMAGE = ("portal:static/img/og-default.png", 1200, 630)
DESCRIPTION_CHARS = 200


def description(notice) -> str:
    text = " ".join(notice.body.split())
    return text if len(text) <= DESCRIPTION_CHARS else text[: DESCRIPTION_CHARS - 1] + "…"


def share_links(notice, url: str) -> dict:
    """Plain links that work without JavaScript or third-party scripts."""
    text = f"{notice.title} {url}"
    return {
        "url": url,
        "mailto": f"mailto:?subject={quote(notice.title)}&body={quote(text)}",
        "sms": f"sms:?body={quote(text)}",
    }


def open_graph(request, notice, url: str) -> list[tuple[str, str]]:
    site_name = request.localizer.translate(_("Safety Portal"))
    tags = [("og:type", "article"), ("og:site_name", site_name), ("og:title", notice.title),
            ("og:description", description(notice)), ("og:url", url)]
    if notice.media:
        photo = notice.media[0]
        tags.append(("og:image", public_url(request, "media", id=photo.id, variant="public")))
        tags.append(("og:image:type", "image/jpeg"))  # public copies are always re-encoded JPEG
        if photo.width and photo.height:
            tags += [("og:image:width", str(photo.width)), ("og:image:height", str(photo.height))]
        if photo.alt_text:
            tags.append(("og:image:alt", photo.alt_text))
    else:
        spec, width, height = DEFAULT_IMAGE
        tags += [("og:image", public_static_url(request, spec)), ("og:image:type", "image/png"),
                 ("og:image:width", str(width)), ("og:image:height", str(height)), ("og:image:alt", site_name)]
    return tags


def _time(value):
    return value.isoformat(timespec="seconds") if value is not None else None


def json_ld(request, notice, url: str) -> Markup:
    """schema.org data for a <script type="application/ld+json"> element. <, > and & are written
    as \\u escapes, so a title containing </script> cannot end the element early."""
    unit = notice.unit
    data = {
        "@context": "https://schema.org",
        "@type": "Article",
        "headline": notice.title,
        "description": description(notice),
        "url": url,
        "datePublished": _time(notice.published_at),
        "dateModified": _time(notice.updated_at),
        "isAccessibleForFree": True,
        "publisher": {"@type": "GovernmentOrganization", "name": unit.name(request.locale_name),
                      "telephone": unit.phone_110},
    }
    if notice.expires_at is not None:
        data["expires"] = _time(notice.expires_at)
    if notice.media:
        data["image"] = [public_url(request, "media", id=m.id, variant="public") for m in notice.media]
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    for char, escape in (("&", "\\u0026"), ("<", "\\u003c"), (">", "\\u003e"),
                         ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(char, escape)
    return Markup(text)  # noqa: S704 -- JSON with <, > and & escaped above


def unavailable_after(notice) -> str | None:
    """The robots `unavailable_after` date of a missing-person appeal (ISO 8601), else None."""
    if notice.kind != "missing_person" or notice.published_at is None:
        return None
    until = notice.published_at + UNAVAILABLE_AFTER
    if notice.expires_at is not None:
        until = min(until, notice.expires_at)
    return until.strftime("%Y-%m-%dT%H:%M:%SZ")


# The facts of the other kinds of notice: (label, the notice's attribute).
KIND_FACTS = (
    (_("Description of the suspect"), "suspect_description"),
    (_("Description of the item"), "item_description"),
    (_("Where it was found"), "found_place"),
    (_("Number plate"), "vehicle_plate"),
    (_("Make"), "vehicle_make"),
    (_("Model"), "vehicle_model"),
    (_("Colour"), "vehicle_colour"),
    (_("Reward"), "reward_amount"),
    (_("Conditions of the reward"), "reward_conditions"),
)
REWARD_AMOUNT = _("%(amount)s yuan")


def _trusted(request, message) -> Markup:
    """A translation as a template's `_()` gives it: the catalogs are trusted, so not escaped again."""
    return Markup(request.localizer.translate(message))  # noqa: S704 -- our own catalogs


def _translated(request, message):
    return request.localizer.translate(message) if message is not None else None


def kind_facts(request, notice) -> list[tuple[Markup, object]]:
    """The labelled facts the notice has (empty ones left out), translating only the labels shown."""
    facts = []
    for label, attribute in KIND_FACTS:
        value = getattr(notice, attribute)
        if value:
            if attribute == "reward_amount":  # as `_("%(amount)s yuan", amount=...)` in a template
                value = _trusted(request, REWARD_AMOUNT) % {"amount": value}
            facts.append((_trusted(request, label), value))
    return facts


SEX_LABELS = {"female": _("female"), "male": _("male")}
UNKNOWN_SEX = _("unknown")


def span(low, high, unit: str = "") -> str:
    """A range as templates/notices/_person.html's `span` macro writes it: "3–5 cm", or one value."""
    if low is not None and high is not None and low != high:
        return f"{low}–{high}{unit}"
    return f"{low if low is not None else high}{unit}"


def person(request, notice) -> dict:
    """What the detail page and the poster show of a missing person beyond the details' own columns:
    the medical needs only with the family's consent, and the last-seen point as coarse as chosen;
    and the sex's label and the ranges, made here rather than by a macro call each in the template."""
    details = notice.missing_person
    if details is None:
        return {"medical": None, "point": None}
    return {"medical": medical.public_text(request, details), "point": places.public_point(details),
            "precision_label": _translated(request, places.PRECISION_LABELS.get(places.effective_precision(details))),
            "sex": _trusted(request, SEX_LABELS.get(details.sex, UNKNOWN_SEX)),
            "age": span(details.age_min, details.age_max),
            "height": span(details.height_min_cm, details.height_max_cm, " cm"),
            "weight": span(details.weight_min_kg, details.weight_max_kg, " kg")}


# The notice page's extras made once per notice record, language and public address, per app
# (registry): issue 14, about 7 % of the page's CPU. The key is public_reading's whole frozen record,
# so any change to the notice, its person, photos or units is a new key; nothing here reads the clock.
PAGE_MEMO = "portal.notice_page_extras"
PAGE_MEMO_SIZE = 1000


def page(request, notice, url: str) -> dict:
    """What notices/detail.html shows beside the notice (share links, Open Graph, JSON-LD, robots
    date, the person's and the other kinds' facts), for a public_reading.PublicNotice."""
    memo = request.registry.setdefault(PAGE_MEMO, {})
    key = (notice, request.locale_name, url)
    made = memo.get(key)
    if made is None:
        # In the reader's language already: not walked again for translation strings (core/headers).
        made = {"share": Translated(share_links(notice, url)),
                "open_graph": TranslatedTuple(open_graph(request, notice, url)),
                "json_ld": json_ld(request, notice, url), "unavailable_after": unavailable_after(notice),
                "person": Translated(person(request, notice)),
                "kind_facts": TranslatedTuple(kind_facts(request, notice))}
        if len(memo) >= PAGE_MEMO_SIZE:
            memo.clear()
        memo[key] = made
    return made
