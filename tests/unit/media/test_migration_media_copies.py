"""Migration 0029 queues a staff copy of every video and sound recording already stored, none of photos."""
from alembic.script import ScriptDirectory
from sqlalchemy import text

from portal.core.db import get_engine
from tests.conftest import alembic_config, migrate


def test_stored_video_and_sound_get_pending_copies(tmp_path):
    engine = get_engine({"sqlalchemy.url": f"sqlite:///{tmp_path}/m.sqlite"})
    before = ScriptDirectory.from_config(alembic_config()).get_revision("0029").down_revision
    migrate(engine, before)
    with engine.begin() as connection:
        for n, kind in enumerate(("image", "video", "audio"), start=1):
            connection.execute(text(
                "INSERT INTO media (id, position, kind, sha256, size, content_type, original_key, alt_text, "
                "uploaded_at) VALUES (:id, 0, :kind, :sha, 1, 'x/y', :key, '', '2026-01-01 00:00:00')"),
                {"id": n, "kind": kind, "sha": f"{n:064d}", "key": f"k{n}"})
    migrate(engine, "0029")
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT media_id, state, attempts FROM media_copies ORDER BY media_id")).all()
    assert [tuple(r) for r in rows] == [(2, "pending", 0), (3, "pending", 0)]
    migrate(engine, before, downgrade=True)
    engine.dispose()
