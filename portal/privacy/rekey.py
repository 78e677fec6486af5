"""Re-sealing protected fields under the current field key (portal-rekey-fields).

Every column that holds a sealed value says so in its model, `info={"sealed": <label>}`; this module
finds them in the metadata, so a new protected field is covered by declaring it. After a key is added and
made current, new values use it at once; re-sealing the old rows is what lets the old key be removed (a
leaked key must be). Rows are read in primary-key order in small batches and each is rewritten only if
it still holds the value read (compare and set), so the portal can keep running meanwhile."""
from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import Column, Table, select, update
from zope.sqlalchemy import mark_changed

from portal.privacy.crypto import FieldCipher, FieldCipherError


@dataclass(frozen=True)
class SealedColumn:
    table: Table
    column: Column
    label: str

    @property
    def name(self) -> str:
        return f"{self.table.name}.{self.column.name}"

    @property
    def key(self) -> Column:
        (primary,) = self.table.primary_key.columns  # every sealed table has a one-column key
        return primary


@dataclass
class Outcome:
    resealed: int = 0
    unreadable: list = field(default_factory=list)  # primary keys whose value no configured key opens


def sealed_columns(metadata) -> list[SealedColumn]:
    return [SealedColumn(table, column, column.info["sealed"])
            for table in metadata.sorted_tables for column in table.columns if column.info.get("sealed")]


def key_ids(dbsession, sealed: SealedColumn) -> Counter:
    """How many values each key id sealed in this column (what `--report` prints)."""
    counts = Counter()
    rows = dbsession.execute(select(sealed.column).where(sealed.column.isnot(None))
                             .execution_options(yield_per=1000)).scalars()
    for token in rows:
        kid, sep, _body = token.partition("$")
        counts[kid if sep else "(not sealed)"] += 1
    return counts


def reseal_column(dbsession, cipher: FieldCipher, sealed: SealedColumn, *, batch: int = 500,
                  after_batch=lambda: None) -> Outcome:
    """Seal every value of one column that another key sealed under the current key."""
    outcome, last = Outcome(), None
    stale = sealed.column.isnot(None) & ~sealed.column.startswith(cipher.current + "$", autoescape=True)
    # Columns that would change themselves on an update (updated_at) keep their value: re-sealing is no edit.
    unchanged = {c.name: c for c in sealed.table.columns if c.onupdate is not None}
    while True:
        query = select(sealed.key, sealed.column).where(stale).order_by(sealed.key).limit(batch)
        if last is not None:
            query = query.where(sealed.key > last)
        rows = dbsession.execute(query).all()
        if not rows:
            return outcome
        for key, token in rows:
            try:
                plaintext = cipher.decrypt(token, sealed.label)
            except FieldCipherError:
                outcome.unreadable.append(key)
                continue
            written = dbsession.execute(
                update(sealed.table).where(sealed.key == key, sealed.column == token)
                .values({sealed.column.name: cipher.encrypt(plaintext, sealed.label), **unchanged}))
            outcome.resealed += written.rowcount
        mark_changed(dbsession)  # Core updates: the transaction manager commits only a session marked changed
        last = rows[-1][0]
        after_batch()
