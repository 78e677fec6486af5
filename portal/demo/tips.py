"""Demo tips from the public: a few dozen across the default categories, units and workflow states,
with answers, a thread, an internal note, a flagged photo and rewards, so the staff queue and the
statistics have something to show. Reporter contacts are sealed like the real form seals them."""
import json
import random
from datetime import timedelta

from sqlalchemy import select

from portal.accounts.models import Officer
from portal.audit import chain as audit
from portal.audit.models import AuditEvent
from portal.core.localtime import LOCAL_TZ
from portal.demo import data, pictures
from portal.media.images import derive_public_copies
from portal.media.models import Media
from portal.privacy.models import Receipt
from portal.tips.models import Tip, TipAnswer, TipAttachment, TipCategory, TipMessage, TipReward

SEEDED = "demo.tips_seeded"  # the audit action that marks a database whose demo tips exist
CONTACT_LABEL = "tip.contact"

# category slug, unit code, description, place, answers {question key: value}
TIPS = [
    ("organized-crime", "139911", "城东批发市场有一伙人长期强行收取摊位“管理费”，不交就砸摊子，商户敢怒不敢言。",
     "城东批发市场", {"people": "8", "violence": "yes"}),
    ("organized-crime", "139921", "有人以“小额贷款”为名放高利贷，逾期后多人上门堵门、泼油漆，暴力催收。",
     "湖滨区幸福小区", {"people": "5", "violence": "yes"}),
    ("organized-crime", "139910", "滨河路一家KTV的老板纠集社会闲散人员，多次在附近打架斗殴，周边商户不敢报警。",
     "滨河路与建设街交叉口", {"people": "12"}),
    ("guns", "139912", "邻居家男子经常在院子里摆弄一支长枪，说是自己改装的气枪，晚上有时能听到枪声。",
     "青山县东关村", {"threat_now": "no", "what_seen": "gun", "count": "1"}),
    ("guns", "139931", "二手交易群里有人出售仿真枪和枪支配件，说可以拆开邮寄。", "网络（二手交易群）",
     {"threat_now": "no", "what_seen": "replica"}),
    ("guns", "139911", "刚才有人在小区门口拿着枪和保安争吵，我已拨打110，这里补充一下看到的情况。",
     "河口区锦绣花园北门", {"threat_now": "yes", "what_seen": "gun", "count": "1"}),
    ("explosives", "139922", "城郊一处废弃厂房里堆放着来历不明的炸药和雷管，附近有一个停产的采石场。",
     "柳林县石场路废弃厂房", {"threat_now": "no", "material": "explosive"}),
    ("explosives", "139910", "有人在自家平房里私自生产烟花爆竹，经常能闻到刺鼻的火药味，很危险。",
     "东川市南关平房区", {"threat_now": "no", "material": "fireworks"}),
    ("prostitution-gambling", "139911", "某洗浴中心门口经常有人发招嫖卡片，夜里常有可疑人员出入。",
     "河口区金海岸洗浴中心", {"activity": "prostitution", "venue": "金海岸洗浴中心"}),
    ("prostitution-gambling", "139912", "城中村一处民房每天下午聚众赌博，有专人在路口放风，赌资较大。",
     "青山县西街城中村", {"activity": "gambling"}),
    ("prostitution-gambling", "139932", "同事拉我进了一个网络赌博群，自称是“百家乐”平台，充值后无法提现。",
     "网络（聊天群）", {"activity": "online_gambling"}),
    ("pollution", "139911", "造纸厂夜间偷排污水，河面泛黄发臭，下游有大量死鱼。", "河口区造纸厂排污口",
     {"polluted": "water", "ongoing": "yes"}),
    ("pollution", "139912", "有货车在山沟里倾倒不明化工废料，桶上有腐蚀性标志，已经倒了好几车。",
     "青山县北山沟", {"polluted": "waste", "ongoing": "no"}),
    ("pollution", "139921", "工业园区一家工厂晚上排放黑烟，周边居民能闻到刺鼻气味。", "湖滨工业园区",
     {"polluted": "air", "ongoing": "yes"}),
    ("drugs", "139910", "出租屋里经常有陌生人深夜进出，楼道里有奇怪的味道，怀疑有人吸毒。",
     "东川市人民路88号出租屋", {"activity": "use"}),
    ("drugs", "139912", "城郊一处养殖场晚上经常有化学品运进去，排出刺鼻气体，怀疑在制毒。",
     "青山县养殖场", {"activity": "making"}),
    ("drugs", "139911", "有人在酒吧里兜售“小药丸”，说是“开心果”，每颗一百元。", "河口区滨河酒吧街",
     {"activity": "dealing", "last_seen": "-3"}),
    ("drugs", "139931", "微信群里有人用“奶茶”“邮票”等暗语卖毒品，约在公园交易。", "石门区人民公园东门",
     {"activity": "dealing", "last_seen": "-6"}),
    ("ip-crime", "139910", "某小作坊在生产假冒名牌白酒，贴的是知名品牌的商标，成箱往外发货。",
     "东川市北郊小作坊", {"product": "白酒（假冒“金樽”品牌）"}),
    ("ip-crime", "139922", "批发市场有商户公开销售假冒品牌运动鞋，价格不到正品的一半。", "柳林县商贸城",
     {"product": "运动鞋（假冒知名品牌）"}),
    ("ip-crime", "139911", "网店销售盗版教材和习题册，价格只有正版的三分之一。", "网络（网店）",
     {"product": "中小学教材、习题册（盗版）"}),
    ("illegal-entry", "139932", "建筑工地上有几名外籍人员在干活，听工友说他们没有合法手续。",
     "云台县新区建筑工地", {"situation": "employment"}),
    ("illegal-entry", "139912", "有中介组织人员从边境偷渡出境，每人收取高额费用。", "青山县汽车站附近",
     {"situation": "smuggling"}),
    ("illegal-entry", "139921", "出租屋里住着一名外籍女子，房东说她的签证可能早已过期。", "湖滨区柳岸小区",
     {"situation": "stay", "nationality": "不清楚"}),
    ("fraud", "139910", "接到自称“公安局”的电话，说我涉嫌洗钱，要求把钱转到“安全账户”，我转了两万元。",
     "东川市", {"amount": "20000", "paid_on": "-2", "contact_way": "phone"}),
    ("fraud", "139911", "在网上认识一个“投资导师”，让我在某平台炒币，先赚后赔，一共损失八万元。", "网络",
     {"amount": "80000", "paid_on": "-20", "contact_way": "online"}),
    ("fraud", "139921", "有人冒充快递客服说包裹丢失要理赔，让我下载会议软件共享屏幕，被骗走五千元。", "南湖市",
     {"amount": "5000", "paid_on": "-1", "contact_way": "phone"}),
    ("fraud", "139912", "上门推销“保健品”的人声称能治百病，家里老人花了三千多元买了一堆。", "青山县东关村",
     {"amount": "3200", "paid_on": "-9", "contact_way": "in_person"}),
    ("fraud", "139931", "网上兼职“刷单”，前几单返了佣金，后来垫付的一万二拿不回来了。", "网络",
     {"amount": "12000", "paid_on": "-4", "contact_way": "online"}),
    ("other", "139911", "小区附近经常有人偷电动车电瓶，最近一周丢了好几个。", "河口区锦绣花园", {}),
    ("other", "139910", "有人在学校门口向学生兜售来历不明的电子烟。", "第一中学门口", {}),
    ("other", "139922", "公园里有人张网捕捉野生鸟类，拿到市场上出售。", "柳林县森林公园", {}),
]

# Receipt codes printed by the seed, for trying /status with a demo tip (the first few tips).
RECEIPT_TIPS = 3


def receipt_codes() -> list[str]:
    rng = random.Random("tip-receipts-2026")
    return ["".join(rng.choice("0123456789") for _ in range(16)) for _tip in range(RECEIPT_TIPS)]


def seeded(dbsession) -> bool:
    return dbsession.execute(select(AuditEvent.id).where(AuditEvent.action == SEEDED).limit(1)).first() is not None


def seed_tips(dbsession, media_store, cipher, hasher, units: dict, now) -> int:
    """Write the demo tips once; returns how many."""
    rng = random.Random("tips-2026")
    categories = {c.slug: c for c in dbsession.execute(select(TipCategory)).scalars()}
    officers = {o.username: o for o in dbsession.execute(select(Officer)).scalars()}
    made = []
    for index, (slug, unit_code, description, place, answers) in enumerate(TIPS):
        category, unit = categories.get(slug), units.get(unit_code)
        if category is None or unit is None:  # an administrator renamed or the demo changed: skip it
            continue
        tip = _tip(rng, cipher, category, unit, description, place, answers, now, index)
        _workflow(rng, tip, unit, officers, now)
        dbsession.add(tip)
        made.append(tip)
    dbsession.flush()
    _threads(dbsession, made, officers)
    _rewards(dbsession, made, officers)
    _flagged_photo(dbsession, media_store, rng, made)
    for code, tip in zip(receipt_codes(), made, strict=False):
        dbsession.add(Receipt(code_hash=hasher.hash(code), subject_type="tip", subject_id=tip.id,
                              created_at=tip.created_at))
    audit.append(dbsession, SEEDED, actor="system", reason=f"{len(made)} demo tips")
    return len(made)


def _tip(rng, cipher, category, unit, description, place, answers, now, index) -> Tip:
    # The first few are new (the moderators' queue); the rest spread over the last ten weeks.
    days = (index * 11) % 34 * 2 + 2.5  # spread evenly over the ten weeks, whatever the rng gives
    created = now - (timedelta(hours=rng.uniform(1, 40)) if index % 5 == 0 else
                     timedelta(days=days, hours=rng.uniform(0, 12)))
    lon, lat = _point_inside(rng, unit)
    contact = None
    if index % 3 != 1:  # most leave a contact; some stay anonymous
        contact = json.dumps({"name": data.person_name(rng), "phone": f"13{rng.randrange(10**9):09d}"},
                             ensure_ascii=False)
    tip = Tip(category=category, unit=unit, suggested_unit=unit, description=description, place=place,
              lat=lat, lon=lon, accuracy_m=float(rng.choice([12, 30, 65, 150])),
              happened_at=created - timedelta(hours=rng.uniform(2, 72)),
              contact=cipher.encrypt(contact, CONTACT_LABEL) if contact else None,
              created_at=created, updated_at=created, state="received")
    questions = {q.key: q for q in category.questions if not q.retired}
    danger = category.danger
    for key, value in answers.items():
        question = questions.get(key)
        if question is None:
            continue
        if question.kind == "date":  # "-3": three days (Beijing dates) before the tip
            value = (created.astimezone(LOCAL_TZ).date() - timedelta(days=abs(int(value)))).isoformat()
        tip.answers.append(TipAnswer(question=question, value=value))
        danger = danger or value in (question.danger_values or [])
    tip.danger = danger
    return tip


def _workflow(rng, tip, unit, officers, now) -> None:
    """Move the tip along as moderators and handlers would have: older tips are further along."""
    age = now - tip.created_at
    if age < timedelta(days=2):
        return  # still waiting for triage
    tip.triaged_at = tip.created_at + timedelta(hours=rng.uniform(0.3, 30))
    tip.state = "triaged"
    # Only Dongchuan has demo handlers: its tips get assigned, worked and closed; elsewhere the
    # moderators dismissed the older ones.
    handler = officers.get("county") if unit.code == "139911" else officers.get("handler")
    if not unit.path.startswith("/139900/139910/") or handler is None:
        if age > timedelta(days=30):
            tip.state, tip.outcome = "closed", rng.choice(["unfounded", "duplicate", "spam"])
            tip.closed_at = tip.triaged_at + timedelta(hours=rng.uniform(2, 96))
            tip.reason = "经核查，情况不属实或已有相同线索。"
    else:
        tip.assigned_to, tip.state = handler, "assigned"
        if age > timedelta(days=12):
            tip.state = "in_progress"
        if age > timedelta(days=24):
            tip.state, tip.outcome = "closed", "actionable" if rng.random() < 0.7 else "unfounded"
            tip.closed_at = min(tip.triaged_at + timedelta(days=rng.uniform(3, 18)), now - timedelta(hours=1))
            tip.reason = "线索属实，已立案侦查。" if tip.outcome == "actionable" else "经实地核查，未发现举报情况。"
    tip.updated_at = tip.closed_at or tip.triaged_at


def _threads(dbsession, tips, officers) -> None:
    """A conversation with a reporter, and an internal note the reporter never sees."""
    worked = [t for t in tips if t.assigned_to is not None]
    if not worked:
        return
    first, second = worked[0], worked[min(1, len(worked) - 1)]
    handler = first.assigned_to
    start = first.triaged_at
    for minutes, author, internal, body in [
        (30, "officer", False, "您好，感谢您的举报。请问您最近一次看到这种情况是几点钟？"),
        (95, "reporter", False, "一般是晚上十点以后，周末人更多。"),
        (120, "officer", True, "已与辖区派出所联系，计划本周五晚上蹲守，注意保护举报人。"),
        (180, "officer", False, "收到，我们会尽快核实处理，有需要会再联系您。"),
    ]:
        dbsession.add(TipMessage(tip_id=first.id, author=author, internal=internal, body=body,
                                 officer=handler if author == "officer" else None,
                                 created_at=start + timedelta(minutes=minutes)))
    dbsession.add(TipMessage(tip_id=second.id, author="system", body="线索已指派给办案民警。",
                             created_at=second.triaged_at + timedelta(minutes=5)))


def _rewards(dbsession, tips, officers) -> None:
    """An approved reward for a closed, actionable tip, and one waiting for approval."""
    moderator, handler = officers.get("moderator"), officers.get("handler")
    if moderator is None or handler is None:
        return
    done = [t for t in tips if t.outcome == "actionable" and t.assigned_to is not None]
    if done:
        tip = done[0]
        dbsession.add(TipReward(
            tip_id=tip.id, state="approved", amount=2000, reason="线索属实，协助查获涉案人员。",
            decision_reason="符合奖励条件，同意。", proposed_by=tip.assigned_to, approved_by=moderator,
            proposed_at=tip.closed_at + timedelta(hours=2), approved_at=tip.closed_at + timedelta(days=1)))
    if len(done) > 1:
        tip = done[1]
        dbsession.add(TipReward(tip_id=tip.id, state="proposed", amount=500, reason="线索具体，协助核实了窝点位置。",
                                proposed_by=tip.assigned_to, proposed_at=tip.closed_at + timedelta(hours=3)))


def _flagged_photo(dbsession, media_store, rng, tips) -> None:
    """A photo whose own capture time is much older than the tip: flagged for the moderators."""
    tip = next((t for t in tips if t.category.slug == "pollution"), None)
    if tip is None:
        return
    original = pictures.thing(rng, "tip photo")
    key, sha, size = media_store.put_bytes(original, ".jpg")
    media = Media(kind="image", sha256=sha, size=size, content_type="image/jpeg", original_key=key,
                  uploaded_at=tip.created_at, alt_text="", **derive_public_copies(media_store, key))
    dbsession.add(media)
    dbsession.flush()
    dbsession.add(TipAttachment(tip=tip, media_id=media.id, flags="old-capture",
                                client_captured_at=tip.created_at - timedelta(days=400), created_at=tip.created_at))
    tip.flagged = True


def _point_inside(rng, unit):
    ring = json.loads(unit.jurisdiction)["coordinates"][0]
    xs, ys = [p[0] for p in ring], [p[1] for p in ring]
    return (round(rng.uniform(min(xs) + 0.01, max(xs) - 0.01), 5),
            round(rng.uniform(min(ys) + 0.01, max(ys) - 0.01), 5))
