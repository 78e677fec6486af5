"""Deleting media when their retention period ends: the rows, then the stored files through the media
store. Keys are content addresses, so a file another row still uses (the same photo sent elsewhere)
stays."""
from sqlalchemy import exists, or_, select

from portal.media.models import Media, MediaCopy


def delete_media(request, rows) -> int:
    """Delete Media rows (the caller has already dropped every reference to them) and their files;
    return how many rows. Files go now, not after commit: if the transaction fails, the rows are
    purged again on the next round, and the files were due for deletion anyway."""
    rows = [row for row in rows if row is not None]
    if not rows:
        return 0
    dbsession = request.dbsession
    keys = set()
    for row in rows:
        keys.update(k for k in (row.original_key, row.public_key, row.thumb_key) if k)
        if row.staff_copy is not None:
            keys.update(k for k in (row.staff_copy.copy_key, row.staff_copy.poster_key) if k)
        dbsession.delete(row)
    dbsession.flush()
    store = request.registry["media_store"]
    for key in keys:
        if not key_in_use(dbsession, key):
            store.delete(key)
    return len(rows)


def key_in_use(dbsession, key: str) -> bool:
    return dbsession.execute(select(exists().where(
        or_(Media.original_key == key, Media.public_key == key, Media.thumb_key == key)))).scalar() or \
        dbsession.execute(select(exists().where(or_(MediaCopy.copy_key == key, MediaCopy.poster_key == key)))).scalar()
