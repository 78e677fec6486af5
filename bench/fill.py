"""Fill a fresh database with many published notices of plausible text, fast (bulk inserts in batches),
and index them for search."""
import os
import random
from datetime import timedelta

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, insert, select, text
from sqlalchemy.engine import make_url

from portal.core.meta import utcnow
from portal.notices.models import NOTICE_KINDS, MissingPersonDetails, Notice
from portal.notices.search_index import reindex
from portal.units.models import Unit

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BATCH = 5000
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/bench_portal"
# Realistic text from weighted vocabularies, so that the search benchmark meets common, rare and absent
# words in the proportions a real notice archive has (names follow the usual surname distribution).
SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
            "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")
COMPOUND_SURNAMES = ["欧阳", "司马", "诸葛", "上官"]  # rare on purpose
GIVEN_ONE = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超霞平刚辉鹏华飞鑫波斌宇浩凯健俊帆帅旭宁龙林欢阳建亮成佳婷雪琳晶颖倩"
GIVEN_TWO = ("秀英 秀兰 桂英 建国 建华 志强 海燕 玉兰 晓明 子涵 浩然 欣怡 梓轩 雨桐 一诺 思远 俊杰 嘉怡 "
             "文博 宇航 佳琪 明轩 淑珍 凤英 国强 春梅 丽娟 永刚 德明 美玲 志华 红梅 金凤 天佑 若曦 沐阳").split()
DISTRICTS = ["东川市河口区", "东川市青山县", "南湖市湖滨区", "南湖市柳林县", "西岭市石门区", "西岭市云台县"]
ROADS = ["建设路", "解放路", "人民路", "中山路", "滨河路", "长江路", "光明街", "胜利街", "和平路", "新华路", "文化路",
         "朝阳路", "幸福路", "友谊路", "青年路", "迎宾大道", "环城东路", "北京路", "工业园区一路", "桃园巷"]
LANDMARKS = ["火车站南广场", "人民公园东门", "长途汽车站", "第一中学门口", "中心菜市场", "体育馆停车场", "新华书店",
             "高速公路服务区", "城东批发市场", "第一人民医院门诊楼", "万达广场", "地铁站B口", "湿地公园", "老街夜市",
             "农贸市场", "大学城", "科技园", "市图书馆", "儿童乐园", "河滨公园", "客运码头", "中心医院急诊部"]
COLOURS = ["蓝色", "黑色", "白色", "灰色", "红色", "深绿色", "米黄色", "粉色", "藏青色", "咖啡色"]
GARMENTS = ["羽绒服", "夹克", "卫衣", "风衣", "毛衣", "衬衫", "T恤", "校服", "棉袄", "运动服"]
TROUSERS = ["黑色裤子", "牛仔裤", "灰色运动裤", "深色长裤", "短裤", "格子裙"]
SHOES = ["白色运动鞋", "黑色皮鞋", "棉拖鞋", "帆布鞋", "雨靴"]
MARKS = ["左眉上方有一道浅疤", "右手背有胎记", "戴黑框眼镜", "左耳戴银色耳钉", "说话带本地口音", "门牙略突出",
         "右腿走路稍跛", "头顶有一处旋"]
RARE_MARKS = ["左手腕有蝴蝶纹身", "佩戴助听器", "右手小指缺失一节", "颈部有硬币大小的红色胎记", "随身携带一把口琴",
              "左臂有龙形刺青", "患有先天性心脏病需按时服药"]  # each in about 1 in 700 missing persons
ITEMS = ["黑色双肩包", "银色笔记本电脑", "儿童自行车", "一串钥匙（含门禁卡）", "棕色钱包", "手机", "身份证",
         "行李箱", "金项链", "助动车", "雨伞", "相机"]
CRIMES = ["入室盗窃", "诈骗", "故意伤害", "抢劫", "电信诈骗", "非法集资", "交通肇事逃逸", "盗窃电动车"]
MAKES = ["大众", "丰田", "比亚迪", "吉利", "本田", "长安", "五菱", "奥迪"]
CLOSING = ["如您见到此人或掌握相关线索，请立即拨打110或联系发布单位。", "对提供线索者将予以保密。",
           "请勿自行采取行动，注意自身安全。", "感谢广大群众的关心和支持。"]


def person_name(rng) -> str:
    if rng.random() < 0.003:
        surname = rng.choice(COMPOUND_SURNAMES)
    else:  # a long tail: the first surnames are by far the most common
        surname = SURNAMES[(int(rng.paretovariate(1.2)) - 1) % 100]
    return surname + (rng.choice(GIVEN_ONE) if rng.random() < 0.5 else rng.choice(GIVEN_TWO))


def place(rng) -> str:
    return rng.choice(DISTRICTS) + rng.choice(ROADS) + rng.choice(LANDMARKS)


def clothes(rng) -> str:
    return f"{rng.choice(COLOURS)}{rng.choice(GARMENTS)}、{rng.choice(TROUSERS)}、{rng.choice(SHOES)}"


def text_for(rng, kind: str, number: int, at) -> tuple[str, str, dict | None]:
    """(title, body, missing-person details or None): 150-350 characters of plausible notice text."""
    name, where, day = person_name(rng), place(rng), f"{at:%Y年%m月%d日}"
    closing = "".join(rng.sample(CLOSING, 3)) + f"联系电话：0399-{rng.randint(100, 999)}110。"
    if kind == "missing_person":
        age, sex = rng.randint(3, 90), rng.choice(["female", "male"])
        mark = rng.choice(RARE_MARKS) if rng.random() < 0.01 else rng.choice(MARKS)
        details = {"full_name": name, "sex": sex, "age": age, "build": rng.choice(["偏瘦", "中等", "偏胖"]),
                   "hair": rng.choice(["黑色短发", "黑色长发", "灰白短发"]), "eyes": "黑色", "clothing": clothes(rng),
                   "distinguishing_marks": mark, "last_seen_place": where,
                   "circumstances": rng.choice(["傍晚走失", "放学后未回家", "外出散步未归", "与家人走散"])}
        body = (f"{name}，{'女' if sex == 'female' else '男'}，{age}岁，身高约{rng.randint(110, 185)}厘米，"
                f"{details['build']}身材，{details['hair']}。于{day}在{where}附近{details['circumstances']}，"
                f"走失时身穿{details['clothing']}。特征：{mark}。"
                + ("患有阿尔茨海默病，可能无法说清住址。" if age > 70 and rng.random() < 0.5 else "家人十分着急。")
                + closing)
        return f"寻人启事：{name}", body, details
    if kind == "wanted":
        crime = rng.choice(CRIMES)
        body = (f"犯罪嫌疑人{name}，男，约{rng.randint(20, 60)}岁，身高约{rng.randint(160, 190)}厘米，"
                f"涉嫌{crime}，于{day}在{where}作案后逃离，现已在逃。该人可能携带凶器，发现后请勿靠近。" + closing)
        return f"通缉令：犯罪嫌疑人{name}", body, None
    if kind == "lost_found":
        item = rng.choice(ITEMS)
        body = (f"{day}，市民{name}在{where}拾到{rng.choice(COLOURS)}{item}一件，已交至发布单位。"
                "失主请携带有效身份证件到发布单位认领，并说明物品特征。" + closing)
        return f"失物招领：{item}（编号{number}）", body, None
    if kind == "case_appeal":
        crime = rng.choice(CRIMES)
        body = (f"{day}夜间，{where}发生一起{crime}案件。现向社会公开征集线索。如您当时路过现场、"
                f"有行车记录仪画面或其他线索，请与我们联系。" + closing)
        return f"征集线索：{where}{crime}案", body, None
    if kind == "vehicle":
        plate = f"示{rng.choice('ABCDEFG')}{rng.randint(10000, 99999)}"
        colour = rng.choice(COLOURS)
        body = (f"车牌号{plate}，{colour}{rng.choice(MAKES)}轿车，与{day}发生在{where}的"
                f"{rng.choice(CRIMES)}案件有关。发现该车请记下位置和时间，拨打110，请勿拦截。" + closing)
        return f"协查车辆：{colour}轿车 {plate}", body, None
    amount = rng.choice([5000, 10000, 20000, 50000])
    body = (f"为尽快侦破{day}发生在{where}的{rng.choice(CRIMES)}案件，现决定公开悬赏征集线索。"
            f"对提供关键线索、协助破案的群众，经核实后给予最高人民币{amount}元奖励。举报人信息严格保密。" + closing)
    return f"悬赏通告：征集线索，奖金最高{amount}元", body, None


def fresh_database(kind: str, pg_url: str, workdir: str) -> str:
    """A temporary SQLite file, or the PostgreSQL bench database dropped and created again (never `test`)."""
    if kind == "sqlite":
        return f"sqlite:///{workdir}/bench.sqlite"
    url = make_url(pg_url)
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{url.database}"'))
    admin.dispose()
    return pg_url


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
                title, body, person = text_for(rng, kind, i + 1, at)
                notices.append({"id": i + 1, "kind": kind, "state": "published", "unit_id": rng.choice(unit_ids),
                                "title": title, "body": body, "slug": f"{kind}-{i + 1}", "created_at": at,
                                "updated_at": at, "published_at": at, "version": 1})
                if person is not None:
                    details.append(dict(person, notice_id=i + 1))
            connection.execute(insert(Notice), notices)
            if details:
                connection.execute(insert(MissingPersonDetails), details)
            reindex(connection, range(made + 1, made + size + 1))  # Core inserts bypass the ORM's hook
            made += size
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE"))  # the planner statistics autovacuum would gather
