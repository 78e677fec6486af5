"""The fictional province: units, officers, and notices written from templates."""
import json
from datetime import timedelta

PROVINCE = ("139900", "示范省公安厅", "Demo Province Public Security Department", "نەمۇنە ئۆلكىسى ساقچى نازارىتى")
# code, Chinese name, English name, Uyghur name, SMS routing suffix
CITIES = [
    ("139910", "东川市公安局", "Dongchuan City Public Security Bureau", "دۇڭچۇەن شەھەرلىك ساقچى ئىدارىسى", "10"),
    ("139920", "南湖市公安局", "Nanhu City Public Security Bureau", "نەنخۇ شەھەرلىك ساقچى ئىدارىسى", "20"),
    ("139930", "西岭市公安局", "Xiling City Public Security Bureau", "شىلىڭ شەھەرلىك ساقچى ئىدارىسى", "30"),
]
COUNTIES = {
    "139910": [("139911", "东川市河口区公安分局", "Hekou District Branch", "خېكۇ رايونلۇق ساقچى شۆبىسى"),
               ("139912", "东川市青山县公安局", "Qingshan County Bureau", "چىڭشەن ناھىيەلىك ساقچى ئىدارىسى")],
    "139920": [("139921", "南湖市湖滨区公安分局", "Hubin District Branch", "خۇبىن رايونلۇق ساقچى شۆبىسى"),
               ("139922", "南湖市柳林县公安局", "Liulin County Bureau", "لىيۇلىن ناھىيەلىك ساقچى ئىدارىسى")],
    "139930": [("139931", "西岭市石门区公安分局", "Shimen District Branch", "شىمېن رايونلۇق ساقچى شۆبىسى"),
               ("139932", "西岭市云台县公安局", "Yuntai County Bureau", "يۈنتەي ناھىيەلىك ساقچى ئىدارىسى")],
}

# The province covers lon 114-118, lat 37-40; cities split it west to east, counties south/north.
WEST, EAST, SOUTH, NORTH = 114.0, 118.0, 37.0, 40.0
MIDDLE = 38.5

DEMO_PASSWORD = "demo-password-2026"  # noqa: S105 - the local demo's published password
# username, display name, unit code, roles
OFFICERS = [
    ("admin", "王管理", "139900", ["admin"]),
    ("dispatcher", "李调度", "139900", ["dispatcher"]),
    ("moderator", "张审核", "139910", ["moderator"]),
    ("handler", "赵办案", "139910", ["handler"]),
    ("county", "陈民警", "139911", ["moderator", "handler"]),
    ("nanhu.dispatcher", "周调度", "139920", ["dispatcher"]),
    # A second moderator of the city: a reward is paid by a third officer, not its proposer or approver.
    ("cashier", "刘出纳", "139910", ["moderator"]),
]


def rectangle(west, south, east, north) -> str:
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return json.dumps({"type": "Polygon", "coordinates": [[[round(x, 4), round(y, 4)] for x, y in ring]]})


def city_bounds(index):
    width = (EAST - WEST) / len(CITIES)
    return WEST + index * width, SOUTH, WEST + (index + 1) * width, NORTH


def county_bounds(city_index, county_index):
    west, south, east, north = city_bounds(city_index)
    return (west, south, east, MIDDLE) if county_index == 0 else (west, MIDDLE, east, north)


SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = ["伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀兰", "霞"]
PLACES = ["火车站南广场", "人民公园东门", "长途汽车站", "滨河路与建设街交叉口", "第一中学门口", "中心菜市场", "体育馆停车场",
          "新华书店附近", "高速公路服务区", "城东批发市场"]
CLOTHES = ["蓝色羽绒服、黑色裤子、白色运动鞋", "红色外套、牛仔裤", "灰色卫衣、黑色运动裤", "校服（蓝白色）、黑色书包",
           "深色夹克、灰色长裤、黑色皮鞋"]
MARKS = ["左眉上方有一道浅疤", "右手背有胎记", "戴黑框眼镜", "左耳戴银色耳钉", "说话带本地口音"]
BUILDS = ["偏瘦", "中等", "偏胖", "健壮"]
HAIR = ["黑色短发", "黑色长发，常扎马尾", "灰白短发", "棕色卷发"]
EYES = ["黑色", "深棕色"]


def person_name(rng):
    return rng.choice(SURNAMES) + rng.choice(GIVEN)


def missing_person(rng, unit_name, now):
    name, age = person_name(rng), rng.choice([7, 12, 15, 17, 24, 36, 58, 71, 79, 83])
    sex = rng.choice(["female", "male"])
    place = rng.choice(PLACES)
    seen = now - timedelta(days=rng.randint(1, 50), hours=rng.randint(0, 23))
    height = rng.randint(120, 165) if age < 16 else rng.randint(150, 182)
    details = {
        "full_name": name, "sex": sex, "age": age, "height_min_cm": height - 3, "height_max_cm": height + 3,
        "build": rng.choice(BUILDS), "hair": rng.choice(HAIR), "eyes": rng.choice(EYES),
        "clothing": rng.choice(CLOTHES), "distinguishing_marks": rng.choice(MARKS),
        "last_seen_at": seen, "last_seen_place": place, "languages": "普通话",
        # The dispatcher's choice for the public map; a child's place never closer than about 500 m.
        "last_seen_precision": "500m" if age < 18 else "2km",
        "circumstances": f"{seen:%m月%d日}傍晚在{place}附近与家人走散，至今未归。" + (
            "患有轻度阿尔茨海默病，可能无法说清住址。" if age > 65 else "家人十分着急。"),
    }
    title = f"寻人启事：{name}，{'女' if sex == 'female' else '男'}，{age}岁"
    body = (f"{name}于{seen:%Y年%m月%d日}在{place}附近走失。{unit_name}已受理此案并核实情况。\n\n"
            "如您见到此人，请立即拨打110或联系发布单位。请勿自行采取行动。")
    return title, body, details


def wanted(rng, unit_name, now):
    name = person_name(rng)
    title = f"通缉令：犯罪嫌疑人{name}"
    body = (f"犯罪嫌疑人{name}，男，约{rng.randint(25, 50)}岁，身高约{rng.randint(165, 185)}厘米，"
            f"涉嫌{rng.choice(['入室盗窃', '诈骗', '故意伤害', '抢劫'])}，现已在逃。\n\n"
            f"该人可能携带凶器，发现后请勿靠近，立即拨打110或联系{unit_name}。对提供线索者将予以保密。")
    return title, body, None


def lost_found(rng, unit_name, now):
    item = rng.choice(["黑色双肩包", "银色笔记本电脑", "儿童自行车", "一串钥匙（含门禁卡）", "棕色钱包"])
    title = f"失物招领：{item}"
    body = (f"{now - timedelta(days=rng.randint(1, 20)):%m月%d日}，市民在{rng.choice(PLACES)}拾到{item}一件，已交至{unit_name}。\n\n"
            "失主请携带有效身份证件到发布单位认领，并说明物品特征。")
    return title, body, None


def case_appeal(rng, unit_name, now):
    title = f"征集线索：{rng.choice(PLACES)}{rng.choice(['交通肇事逃逸案', '电动车被盗系列案', '商铺夜间被盗案'])}"
    body = (f"{now - timedelta(days=rng.randint(2, 30)):%Y年%m月%d日}夜间，{rng.choice(PLACES)}发生一起案件。"
            f"{unit_name}现向社会公开征集线索。\n\n如您当时路过现场、有行车记录仪画面或其他线索，请与我们联系。")
    return title, body, None


def vehicle(rng, unit_name, now):
    plate = f"示{rng.choice('ABCDE')}·{rng.randint(10000, 99999)}"
    colour = rng.choice(["白色", "黑色", "银灰色", "红色"])
    title = f"协查车辆：{colour}轿车 {plate}"
    body = (f"车牌号{plate}，{colour}{rng.choice(['大众', '丰田', '比亚迪', '吉利'])}轿车，"
            f"与一起{rng.choice(['肇事逃逸', '盗窃', '诈骗'])}案件有关。\n\n发现该车请记下位置和时间，拨打110，请勿拦截。")
    return title, body, None


def reward_task(rng, unit_name, now):
    amount = rng.choice([5000, 10000, 20000, 50000])
    title = f"悬赏通告：征集{rng.choice(['系列盗窃案', '非法集资案', '走私案'])}线索，奖金最高{amount}元"
    body = (f"为尽快侦破案件，{unit_name}决定公开悬赏征集线索。对提供关键线索、协助破案的群众，"
            f"经核实后给予最高人民币{amount}元奖励。\n\n举报人信息严格保密。奖金凭回执领取。")
    return title, body, None


WRITERS = {
    "missing_person": missing_person,
    "wanted": wanted,
    "lost_found": lost_found,
    "case_appeal": case_appeal,
    "vehicle": vehicle,
    "reward_task": reward_task,
}
