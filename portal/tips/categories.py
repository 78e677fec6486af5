"""Tip categories and their questions: what administrators may change, and the audit of each change.

Categories are never deleted, only retired: tips keep their category and their answers. For the same
reason a slug and a question key are fixed once a tip uses them, an answered question keeps its kind,
and a choice value that answers hold cannot be removed (its labels can still be reworded)."""
import re

from sqlalchemy import exists, func, select
from sqlalchemy.orm import selectinload

from portal.audit import chain as audit
from portal.core.i18n import _
from portal.core.refused import Refused
from portal.outbox import purges
from portal.tips.models import QUESTION_KINDS, Tip, TipAnswer, TipCategory, TipQuestion

LANGUAGES = ("zh_CN", "en", "ug")
SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
KEY = re.compile(r"^[a-z][a-z0-9_]*$")
CHOICE_VALUE = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
MIN_CHOICES, MAX_CHOICES = 2, 20
CHOICES = "choices"  # the form field a refusal about the choices is shown at


def text_in(texts: dict | None, locale: str) -> str:
    """A category's or question's text in the reader's language, else the Chinese one."""
    texts = texts or {}
    return texts.get(locale) or texts.get("zh_CN") or ""


# --- reading ------------------------------------------------------------------------------------

def listing(dbsession) -> tuple[list[TipCategory], list[TipCategory]]:
    """(offered categories in their order, retired ones)."""
    rows = dbsession.execute(TipCategory.in_order().options(selectinload(TipCategory.questions))).scalars().all()
    return [c for c in rows if not c.retired], [c for c in rows if c.retired]


# Shared answers that list the offered categories (the home page) carry this tag; every change purges it.
CATEGORIES_TAG = "tip-categories"


# What a public page links to: a category's slug and names, read as plain rows (no questions).
_PUBLIC_LINKS = (select(TipCategory.__table__.c.slug, TipCategory.__table__.c.names)
                 .where(TipCategory.__table__.c.retired.is_(False))
                 .order_by(TipCategory.__table__.c.position, TipCategory.__table__.c.id))


def for_public_page(request) -> list:
    """`request.tip_categories`: the offered categories' slugs and names, in order, for any public page
    (the home page's links). A shared answer that reads them is tagged so that a change to them purges
    it (core/caching.py). Read with Core: loading the categories and their questions as ORM objects
    was a third of the home page's CPU (bench/README.md, render_cpu)."""
    if getattr(request, "cache_tags", None) is not None:
        request.cache_tags = (*request.cache_tags, CATEGORIES_TAG)
    return request.dbsession.execute(_PUBLIC_LINKS).all()


def _purge(dbsession) -> None:
    purges.queue(dbsession, [CATEGORIES_TAG])


def offered(dbsession) -> list[TipCategory]:
    """The categories the public form offers, in order."""
    return listing(dbsession)[0]


def tip_counts(dbsession) -> dict[int, int]:
    """Tips per category id (one GROUP BY on ix_tips_category_id)."""
    return dict(dbsession.execute(select(Tip.category_id, func.count()).group_by(Tip.category_id)).all())


def in_use(dbsession, category: TipCategory) -> bool:
    return category.id is not None and dbsession.execute(
        select(exists().where(Tip.category_id == category.id))).scalar()


def answered_values(dbsession, question: TipQuestion) -> set[str]:
    """The values tips have given to this question (empty when nobody answered it)."""
    if question.id is None:
        return set()
    return set(dbsession.execute(
        select(TipAnswer.value).where(TipAnswer.question_id == question.id).distinct()).scalars())


# --- checks shared by the forms and the services -------------------------------------------------

MISSING_TEXT = {
    "name": _("Give the name in every language: Chinese, English and Uyghur."),
    "question": _("Give the question in every language: Chinese, English and Uyghur."),
    "choice": _("Give every choice a label in every language: Chinese, English and Uyghur."),
}


def check_texts(texts: dict, what: str) -> dict:
    """Every language present and non-empty; returns the stripped texts."""
    cleaned = {lang: (texts.get(lang) or "").strip() for lang in LANGUAGES}
    if not all(cleaned.values()):
        # Names and questions span three fields: their message goes on top of the form.
        raise Refused(MISSING_TEXT[what], 400, CHOICES if what == "choice" else None)
    return cleaned


def check_choices(kind: str, choices: list[dict], danger_values: list[str]) -> tuple[list[dict], list[str]]:
    """Normalise a question's choices and danger values for its kind, or refuse it."""
    if kind not in QUESTION_KINDS:
        raise Refused(_("Choose a kind from the list."), 400, "kind")
    if kind != "choice":
        if choices or danger_values:
            raise Refused(_("Only choice questions have choices. Clear them or make it a choice question."),
                          400, CHOICES)
        return [], []
    if not MIN_CHOICES <= len(choices) <= MAX_CHOICES:
        raise Refused(_("A choice question needs between ${min} and ${max} choices.",
                      mapping={"min": MIN_CHOICES, "max": MAX_CHOICES}), 400, CHOICES)
    cleaned = []
    for choice in choices:
        value = (choice.get("value") or "").strip()
        if not value:
            raise Refused(_("Every choice needs a value."), 400, CHOICES)
        if not CHOICE_VALUE.match(value) or len(value) > 40:
            raise Refused(_("Choice values are up to 40 of a-z, 0-9, dash and underscore."), 400, CHOICES)
        cleaned.append({"value": value, "labels": check_texts(choice.get("labels") or {}, "choice")})
    values = [c["value"] for c in cleaned]
    if len(set(values)) != len(values):
        raise Refused(_("Each choice needs its own value: a value is given twice."), 400, CHOICES)
    for lang in LANGUAGES:
        labels = [c["labels"][lang] for c in cleaned]
        if len(set(labels)) != len(labels):
            raise Refused(_("Each choice needs its own label: a label is given twice."), 400, CHOICES)
    danger = [v for v in values if v in set(danger_values)]
    if len(danger) != len(set(danger_values)):
        raise Refused(_("Values that signal danger must be among the choices."), 400, CHOICES)
    return cleaned, danger


def _check_slug(dbsession, slug: str, category: TipCategory | None = None) -> str:
    slug = (slug or "").strip()
    if not SLUG.match(slug) or len(slug) > 40:
        raise Refused(_("The short name is up to 40 of a-z, 0-9 and single dashes."), 400, "slug")
    taken = select(TipCategory.id).where(TipCategory.slug == slug)
    if category is not None and category.id is not None:
        taken = taken.where(TipCategory.id != category.id)
    if dbsession.execute(taken).first():
        raise Refused(_("Another category already has this short name."), 400, "slug")
    return slug


# --- categories ---------------------------------------------------------------------------------

def create(request, *, slug: str, names: dict, descriptions: dict, danger: bool) -> TipCategory:
    dbsession = request.dbsession
    slug = _check_slug(dbsession, slug)
    names = check_texts(names, "name")
    last = dbsession.execute(select(func.max(TipCategory.position))).scalar() or 0
    category = TipCategory(slug=slug, position=last + 1, names=names, danger=bool(danger),
                           descriptions={lang: (descriptions.get(lang) or "").strip() for lang in LANGUAGES})
    dbsession.add(category)
    dbsession.flush()
    _purge(dbsession)
    audit.record(request, "tip_category.created", object_type="tip_category", object_id=category.id,
                 reason=f"slug {slug}" + (", danger" if category.danger else ""))
    return category


def update(request, category: TipCategory, *, slug: str, names: dict, descriptions: dict,
           danger: bool) -> list[str]:
    """Change the texts, the danger flag and (while no tip uses it) the slug; returns what changed."""
    dbsession = request.dbsession
    slug = _check_slug(dbsession, slug, category)
    if slug != category.slug and in_use(dbsession, category):
        raise Refused(_("Tips already use this category, so its short name stays ${slug}.",
                      mapping={"slug": category.slug}), 400, "slug")
    new = {"slug": slug, "names": check_texts(names, "name"),
           "descriptions": {lang: (descriptions.get(lang) or "").strip() for lang in LANGUAGES},
           "danger": bool(danger)}
    changed = [field for field, value in new.items() if getattr(category, field) != value]
    for field in changed:
        setattr(category, field, new[field])
    if changed:
        dbsession.flush()
        _purge(dbsession)
        audit.record(request, "tip_category.changed", object_type="tip_category", object_id=category.id,
                     reason="changed: " + ", ".join(changed))
    return changed


def _renumber(rows) -> None:
    for position, row in enumerate(rows, start=1):
        if row.position != position:
            row.position = position


def move(request, category: TipCategory, step: int) -> bool:
    """Move an offered category one place up (step -1) or down (+1); False when it is already at that end."""
    if category.retired:
        raise Refused(_("Bring the category back before moving it."), 400)
    rows = listing(request.dbsession)[0]
    moved = _swap(rows, category, step)
    if moved:
        _purge(request.dbsession)
        audit.record(request, "tip_category.moved", object_type="tip_category", object_id=category.id,
                     reason=f"{'up' if step < 0 else 'down'} to position {category.position}")
    return moved


def _swap(rows, row, step) -> bool:
    index = rows.index(row)
    target = index + step
    if step not in (-1, 1) or not 0 <= target < len(rows):
        return False
    rows[index], rows[target] = rows[target], rows[index]
    _renumber(rows)
    return True


def set_retired(request, category: TipCategory, retired: bool) -> bool:
    """Retire a category (no longer offered; its tips keep it) or bring it back at the end of the list."""
    if category.retired == retired:
        return False
    if not retired:
        offered_rows = listing(request.dbsession)[0]
        category.position = max((c.position for c in offered_rows), default=0) + 1
    category.retired = retired
    request.dbsession.flush()
    _renumber(listing(request.dbsession)[0])  # the offered ones stay numbered 1..n
    _purge(request.dbsession)
    audit.record(request, "tip_category.retired" if retired else "tip_category.restored",
                 object_type="tip_category", object_id=category.id,
                 from_state="offered" if retired else "retired", to_state="retired" if retired else "offered")
    return True


# --- questions ----------------------------------------------------------------------------------

def _check_key(category: TipCategory, key: str, question: TipQuestion | None = None) -> str:
    key = (key or "").strip()
    if not KEY.match(key) or len(key) > 40:
        raise Refused(_("The key is up to 40 of a-z, 0-9 and underscore, starting with a letter."), 400, "key")
    if any(q.key == key and q is not question for q in category.questions):
        raise Refused(_("This category already has a question with this key."), 400, "key")
    return key


def add_question(request, category: TipCategory, *, key: str, kind: str, required: bool, labels: dict,
                 choices: list[dict], danger_values: list[str]) -> TipQuestion:
    key = _check_key(category, key)
    labels = check_texts(labels, "question")
    choices, danger_values = check_choices(kind, choices, danger_values)
    position = max((q.position for q in category.questions if not q.retired), default=0) + 1
    question = TipQuestion(key=key, kind=kind, required=bool(required), labels=labels, choices=choices,
                           danger_values=danger_values, position=position)
    category.questions.append(question)
    request.dbsession.flush()
    audit.record(request, "tip_question.created", object_type="tip_question", object_id=question.id,
                 reason=f"category {category.slug}: {key} ({kind})")
    return question


def update_question(request, question: TipQuestion, *, key: str, kind: str, required: bool, labels: dict,
                    choices: list[dict], danger_values: list[str]) -> list[str]:
    """Change a question; what tips answered stays readable (see the module's docstring)."""
    category = question.category
    key = _check_key(category, key, question)
    labels = check_texts(labels, "question")
    choices, danger_values = check_choices(kind, choices, danger_values)
    answers = answered_values(request.dbsession, question)
    if answers:
        if key != question.key:
            raise Refused(_("Tips have answered this question, so its key stays ${key}.",
                          mapping={"key": question.key}), 400, "key")
        if kind != question.kind:
            raise Refused(_("Tips have answered this question, so its kind cannot change."), 400, "kind")
        kept = {c["value"] for c in choices}
        lost = sorted(v for v in answers if v not in kept) if kind == "choice" else []
        if lost:
            raise Refused(_("Tips have chosen ${values}: keep these choices (you may reword their labels).",
                          mapping={"values": ", ".join(lost)}), 400, CHOICES)
    new = {"key": key, "kind": kind, "required": bool(required), "labels": labels, "choices": choices,
           "danger_values": danger_values}
    changed = [field for field, value in new.items() if getattr(question, field) != value]
    for field in changed:
        setattr(question, field, new[field])
    if changed:
        request.dbsession.flush()
        audit.record(request, "tip_question.changed", object_type="tip_question", object_id=question.id,
                     reason=f"category {category.slug}: {key}: changed " + ", ".join(changed))
    return changed


def active_questions(category: TipCategory) -> list[TipQuestion]:
    return [q for q in sorted(category.questions, key=lambda q: (q.position, q.id or 0)) if not q.retired]


def move_question(request, question: TipQuestion, step: int) -> bool:
    if question.retired:
        raise Refused(_("Bring the question back before moving it."), 400)
    moved = _swap(active_questions(question.category), question, step)
    if moved:
        request.dbsession.flush()
        audit.record(request, "tip_question.moved", object_type="tip_question", object_id=question.id,
                     reason=f"category {question.category.slug}: {question.key} "
                            f"{'up' if step < 0 else 'down'} to position {question.position}")
    return moved


def set_question_retired(request, question: TipQuestion, retired: bool) -> bool:
    """A retired question is no longer asked; the answers tips gave to it stay with them."""
    if question.retired == retired:
        return False
    if not retired:
        question.position = max((q.position for q in active_questions(question.category)), default=0) + 1
    question.retired = retired
    _renumber(active_questions(question.category))
    request.dbsession.flush()
    audit.record(request, "tip_question.retired" if retired else "tip_question.restored",
                 object_type="tip_question", object_id=question.id,
                 from_state="asked" if retired else "retired", to_state="retired" if retired else "asked",
                 reason=f"category {question.category.slug}: {question.key}")
    return True
