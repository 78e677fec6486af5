"""Fill a fresh database with many published notices, fast (bulk inserts in batches)."""
import os
import random
from datetime import timedelta

from alembic import command
from alembic.config import Config
from sqlalchemy import insert, select

from portal.models import MissingPersonDetails, Notice, Unit
from portal.models.meta import utcnow
from portal.models.notice import NOTICE_KINDS

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BATCH = 5000
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = ["伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军"]
BODY = ("该人于某日傍晚在火车站南广场附近走失，身穿蓝色羽绒服、黑色裤子、白色运动鞋。发布单位已受理并核实情况。"
        "如您见到此人或掌握相关线索，请立即拨打110或联系发布单位。对提供线索者将予以保密。") * 2


def migrate(engine):
    config = Config(os.path.join(ROOT, "development.ini"))
    config.set_main_option("script_location", os.path.join(ROOT, "migrations"))
    config.attributes["skip_logging"] = True
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def units(connection) -> list[int]:
    rows = [{"code": "139900", "path": "/139900/", "level": "province", "name_zh": "示范省公安厅"}]
    rows += [{"code": f"1399{i}0", "path": f"/139900/1399{i}0/", "level": "city", "name_zh": f"示范市{i}公安局"}
             for i in range(1, 4)]
    for row in rows:
        row.update(name_en="", name_ug="", phone_110="110", sms_suffix="", is_command_center=True)
    connection.execute(insert(Unit), rows)
    return list(connection.execute(select(Unit.id)).scalars())


def fill(engine, count: int, seed: int = 2026) -> None:
    rng = random.Random(seed)
    now = utcnow()
    with engine.begin() as connection:
        unit_ids = units(connection)
        made = 0
        while made < count:
            size = min(BATCH, count - made)
            notices, details = [], []
            for i in range(made, made + size):
                kind = NOTICE_KINDS[i % len(NOTICE_KINDS)]
                at = now - timedelta(minutes=i * 3 + rng.random())
                name = rng.choice(SURNAMES) + rng.choice(GIVEN)
                notices.append({"id": i + 1, "kind": kind, "state": "published", "unit_id": rng.choice(unit_ids),
                                "title": f"寻人启事：{name}" if kind == "missing_person" else f"公告 {i + 1}：{name}",
                                "body": BODY, "slug": f"{kind}-{i + 1}", "created_at": at, "updated_at": at,
                                "published_at": at, "version": 1})
                if kind == "missing_person":
                    details.append({"notice_id": i + 1, "full_name": name, "sex": "female", "age": rng.randint(5, 80),
                                    "build": "中等", "hair": "黑色短发", "eyes": "黑色", "clothing": "蓝色羽绒服",
                                    "distinguishing_marks": "", "last_seen_place": "火车站南广场",
                                    "circumstances": "傍晚走失"})
            connection.execute(insert(Notice), notices)
            if details:
                connection.execute(insert(MissingPersonDetails), details)
            made += size
