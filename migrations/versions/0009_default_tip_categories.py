"""Tips: the ten default categories and their extra questions, in Chinese, English and Uyghur.

Data only. Administrators change them later in /staff/categories; the rows are written here with
table definitions of this revision (never the app's models, which move on).

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-26
"""
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

categories = sa.table(
    "tip_categories",
    sa.column("id", sa.Integer), sa.column("slug", sa.String), sa.column("position", sa.Integer),
    sa.column("names", sa.JSON), sa.column("descriptions", sa.JSON), sa.column("danger", sa.Boolean),
    sa.column("retired", sa.Boolean), sa.column("created_at", sa.DateTime(timezone=True)),
    sa.column("updated_at", sa.DateTime(timezone=True)),
)
questions = sa.table(
    "tip_questions",
    sa.column("id", sa.Integer), sa.column("category_id", sa.Integer), sa.column("key", sa.String),
    sa.column("position", sa.Integer), sa.column("kind", sa.String), sa.column("required", sa.Boolean),
    sa.column("labels", sa.JSON), sa.column("choices", sa.JSON), sa.column("danger_values", sa.JSON),
    sa.column("retired", sa.Boolean),
)
tips = sa.table("tips", sa.column("category_id", sa.Integer))


def _t(zh, en, ug):
    return {"zh_CN": zh, "en": en, "ug": ug}


def _choice(value, zh, en, ug):
    return {"value": value, "labels": _t(zh, en, ug)}


def _q(key, kind, labels, *, required=False, choices=(), danger=()):
    return {"key": key, "kind": kind, "labels": labels, "required": required, "choices": list(choices),
            "danger_values": list(danger)}


YES_NO = (_choice("yes", "是", "Yes", "ھەئە"), _choice("no", "否", "No", "ياق"))

# slug, danger, names, descriptions, questions: in the order the public form offers them.
DEFAULTS = [
    ("organized-crime", False,
     _t("涉黑涉恶", "Organized crime and gangs", "ئۇيۇشقان جىنايەت ۋە قارا گۇرۇھلار"),
     _t("黑恶势力欺行霸市、暴力讨债、聚众滋事、敲诈勒索及其“保护伞”等线索。",
        "Gangs and criminal groups: intimidation, violent debt collection, extortion, and officials who shield them.",
        "قارا كۈچلەرنىڭ بازارنى زوراۋانلىق بىلەن كونترول قىلىشى، زوراۋانلىق بىلەن قەرز ئۈندۈرۈشى، "
        "توپلىشىپ جېدەل چىقىرىشى، پۇل ئۈندۈرۈشى ۋە ئۇلارنى قوغدايدىغانلار ھەققىدىكى يىپ ئۇچلىرى."),
     [_q("people", "number", _t("大约涉及多少人？", "About how many people are involved?",
                                "تەخمىنەن قانچە ئادەم چېتىشلىق؟")),
      _q("violence", "choice", _t("是否有暴力、威胁或恐吓行为？", "Have they used violence, threats or intimidation?",
                                  "زوراۋانلىق، تەھدىت ياكى قورقۇتۇش قىلمىشى بارمۇ؟"), choices=YES_NO)]),
    ("guns", True,
     _t("涉枪违法犯罪", "Guns", "مىلتىق-قورالغا مۇناسىۋەتلىك جىنايەت"),
     _t("非法制造、买卖、运输、持有、私藏枪支弹药等线索。如有人正持枪威胁他人，请立即拨打110。",
        "Illegal making, selling, carrying or hiding of guns and ammunition. If someone is threatening people "
        "with a gun now, call 110.",
        "قانۇنسىز ھالدا مىلتىق ۋە ئوق ياساش، سېتىش، توشۇش، ساقلاش ياكى يوشۇرۇش ھەققىدىكى يىپ ئۇچلىرى. "
        "بىرەرسى ھازىر مىلتىق بىلەن كىشىلەرگە تەھدىت سېلىۋاتقان بولسا، دەرھال 110 غا تېلېفون قىلىڭ."),
     [_q("threat_now", "choice", _t("现在是否有人正持枪威胁他人？", "Is someone threatening people with a weapon right now?",
                                    "ھازىر بىرەرسى قورال بىلەن كىشىلەرگە تەھدىت سېلىۋاتامدۇ؟"),
         required=True, choices=YES_NO, danger=["yes"]),
      _q("what_seen", "choice", _t("看到或了解到的是什么？", "What did you see or learn about?",
                                   "نېمىنى كۆردىڭىز ياكى بىلدىڭىز؟"),
         choices=[_choice("gun", "枪支", "A gun", "مىلتىق"), _choice("ammunition", "子弹", "Ammunition", "ئوق"),
                  _choice("parts", "枪支零部件", "Gun parts", "مىلتىق زاپچاسلىرى"),
                  _choice("replica", "仿真枪", "A replica gun", "تەقلىدىي مىلتىق")]),
      _q("count", "number", _t("大约有几支枪？", "About how many guns?", "تەخمىنەن قانچە تال مىلتىق بار؟"))]),
    ("explosives", True,
     _t("涉爆违法犯罪", "Explosives", "پارتلىغۇچ بۇيۇملارغا مۇناسىۋەتلىك جىنايەت"),
     _t("非法制造、买卖、运输、储存炸药、雷管等爆炸物的线索。发现可疑爆炸物请远离，并立即拨打110。",
        "Illegal making, selling, transporting or storing of explosives or detonators. If you see a suspicious "
        "device, move away and call 110.",
        "قانۇنسىز ھالدا پارتلىغۇچ دورا، دېتوناتور قاتارلىق پارتلىغۇچ بۇيۇملارنى ياساش، سېتىش، توشۇش ياكى "
        "ساقلاش ھەققىدىكى يىپ ئۇچلىرى. گۇمانلىق پارتلىغۇچ بۇيۇمنى كۆرسىڭىز، يىراقلىشىپ دەرھال 110 غا تېلېفون قىلىڭ."),
     [_q("threat_now", "choice",
         _t("现在是否有人正用爆炸物威胁他人，或发现了可疑爆炸装置？",
            "Is someone threatening people with explosives right now, or have you found a suspicious device?",
            "ھازىر بىرەرسى پارتلىغۇچ بۇيۇم بىلەن كىشىلەرگە تەھدىت سېلىۋاتامدۇ ياكى گۇمانلىق پارتلىتىش ئۈسكۈنىسى بايقالدىمۇ؟"),
         required=True, choices=YES_NO, danger=["yes"]),
      _q("material", "choice", _t("涉及什么物品？", "What is involved?", "قانداق نەرسە چېتىشلىق؟"),
         choices=[_choice("explosive", "炸药", "Explosives", "پارتلىغۇچ دورا"),
                  _choice("detonator", "雷管", "Detonators", "دېتوناتور"),
                  _choice("fireworks", "烟花爆竹或其原料", "Fireworks or their powder", "پوجاڭزا ياكى ئۇنىڭ خام ئەشياسى"),
                  _choice("unknown", "不明装置", "An unknown device", "نامەلۇم ئۈسكۈنە")])]),
    ("prostitution-gambling", False,
     _t("卖淫嫖娼、赌博", "Prostitution and gambling", "پاھىشىۋازلىق ۋە قىمار"),
     _t("组织卖淫、嫖娼，开设赌场、聚众赌博、网络赌博等线索。",
        "Organized prostitution, gambling dens and online gambling.",
        "پاھىشىۋازلىق تەشكىللەش، قىمارخانا ئېچىش، توپلىشىپ قىمار ئويناش ۋە تور قىمارى ھەققىدىكى يىپ ئۇچلىرى."),
     [_q("activity", "choice", _t("属于哪一类？", "Which is it?", "قايسى تۈرگە كىرىدۇ؟"), required=True,
         choices=[_choice("prostitution", "卖淫嫖娼", "Prostitution", "پاھىشىۋازلىق"),
                  _choice("gambling", "赌博、开设赌场", "Gambling or a gambling den", "قىمار ياكى قىمارخانا"),
                  _choice("online_gambling", "网络赌博", "Online gambling", "تور قىمارى")]),
      _q("venue", "text", _t("场所名称", "Name of the venue", "سورۇننىڭ نامى"))]),
    ("pollution", False,
     _t("环境污染", "Environmental pollution", "مۇھىت بۇلغىنىشى"),
     _t("偷排偷放污水废气、非法倾倒或处置危险废物等破坏生态环境的线索。",
        "Secret discharge of waste water or fumes, illegal dumping of hazardous waste.",
        "پاسكىنا سۇ ۋە زەھەرلىك گازنى يوشۇرۇن قويۇپ بېرىش، خەتەرلىك تاشلاندۇقلارنى قانۇنسىز تۆكۈش قاتارلىق "
        "مۇھىتنى بۇزىدىغان قىلمىشلار ھەققىدىكى يىپ ئۇچلىرى."),
     [_q("polluted", "choice", _t("被污染的是什么？", "What is being polluted?", "نېمە بۇلغىنىۋاتىدۇ؟"), required=True,
         choices=[_choice("water", "水（河流、湖泊、地下水）", "Water (river, lake, groundwater)",
                          "سۇ (دەريا، كۆل، يەر ئاستى سۈيى)"),
                  _choice("air", "空气（废气、烟尘、异味）", "Air (fumes, smoke, smell)",
                          "ھاۋا (زەھەرلىك گاز، ئىس-تۈتەك، سېسىق پۇراق)"),
                  _choice("soil", "土壤", "Soil", "تۇپراق"),
                  _choice("waste", "固体废物或危险废物", "Solid or hazardous waste", "قاتتىق ياكى خەتەرلىك تاشلاندۇق")]),
      _q("ongoing", "choice", _t("现在是否仍在排放或倾倒？", "Is it still being discharged or dumped now?",
                                 "ھازىرمۇ قويۇپ بېرىلىۋاتامدۇ ياكى تۆكۈلۈۋاتامدۇ؟"), choices=YES_NO)]),
    ("drugs", False,
     _t("涉毒（吸毒、制毒、贩毒）", "Drugs (use, making, dealing)",
        "زەھەرلىك چېكىملىك (چېكىش، ياساش، سېتىش)"),
     _t("吸毒、制毒、贩毒，以及非法种植罂粟、大麻等毒品原植物的线索。",
        "Drug use, making or dealing, and growing poppy, cannabis or other drug plants.",
        "زەھەرلىك چېكىملىك چېكىش، ياساش، سېتىش ۋە كۆكنار، كەندىر قاتارلىق زەھەرلىك ئۆسۈملۈكلەرنى قانۇنسىز "
        "تېرىش ھەققىدىكى يىپ ئۇچلىرى."),
     [_q("activity", "choice", _t("涉及哪种行为？", "What is happening?", "قايسى خىل قىلمىش؟"), required=True,
         choices=[_choice("use", "吸毒", "Drug use", "زەھەرلىك چېكىملىك چېكىش"),
                  _choice("making", "制毒", "Making drugs", "زەھەرلىك چېكىملىك ياساش"),
                  _choice("dealing", "贩毒", "Dealing drugs", "زەھەرلىك چېكىملىك سېتىش")]),
      _q("last_seen", "date", _t("最近一次发现的日期", "When did you last see it?",
                                 "ئەڭ ئاخىرقى قېتىم قاچان بايقىدىڭىز؟"))]),
    ("ip-crime", False,
     _t("侵犯知识产权", "Intellectual-property crime", "بىلىم مۈلۈك ھوقۇقىغا تاجاۋۇز قىلىش"),
     _t("制售假冒伪劣商品、假冒注册商标、盗版等侵犯知识产权的线索。",
        "Making or selling counterfeit goods, fake trademarks, pirated products.",
        "ساختا ۋە ناچار تاۋار ياساش ۋە سېتىش، تىزىملاتقان تاۋار ماركىسىنى دوراش، قاراقچىلىق نەشر قاتارلىق "
        "يىپ ئۇچلىرى."),
     [_q("product", "text", _t("涉及的商品或品牌", "Product or brand", "چېتىشلىق تاۋار ياكى ماركا"), required=True)]),
    ("illegal-entry", False,
     _t("非法入境、居留、就业", "Illegal entry, stay or employment", "قانۇنسىز كىرىش، تۇرۇش ياكى ئىشلەش"),
     _t("外国人非法入境、非法居留、非法就业，以及组织、运送他人偷越国（边）境等线索。",
        "Foreigners entering, staying or working illegally; smuggling people across the border.",
        "چەتئەللىكلەرنىڭ قانۇنسىز كىرىشى، قانۇنسىز تۇرۇشى، قانۇنسىز ئىشلىشى ۋە باشقىلارنى چېگرادىن يوشۇرۇن "
        "ئۆتكۈزۈش ھەققىدىكى يىپ ئۇچلىرى."),
     [_q("situation", "choice", _t("属于哪种情况？", "Which is it?", "قايسى ئەھۋالغا كىرىدۇ؟"),
         choices=[_choice("entry", "非法入境", "Illegal entry", "قانۇنسىز كىرىش"),
                  _choice("stay", "非法居留", "Illegal stay", "قانۇنسىز تۇرۇش"),
                  _choice("employment", "非法就业", "Illegal employment", "قانۇنسىز ئىشلەش"),
                  _choice("smuggling", "组织、运送偷越国（边）境", "Smuggling people across the border",
                          "چېگرادىن يوشۇرۇن ئۆتكۈزۈش")]),
      _q("nationality", "text", _t("国籍（如知道）", "Nationality, if known", "دۆلەت تەۋەلىكى (بىلسىڭىز)"))]),
    ("fraud", False,
     _t("诈骗", "Fraud", "ئالدامچىلىق"),
     _t("电信网络诈骗、投资理财诈骗、贷款诈骗、冒充公检法诈骗等线索。如刚刚转账给骗子，请立即拨打110。",
        "Phone and online scams, investment and loan fraud, people posing as police or officials. If you have "
        "just sent money to a scammer, call 110 at once.",
        "تېلېفون ۋە تور ئالدامچىلىقى، مەبلەغ سېلىش ۋە قەرز ئالدامچىلىقى، ساقچى ياكى ئەمەلدار قىياپىتىگە "
        "كىرىۋېلىپ ئالداش قاتارلىق يىپ ئۇچلىرى. ھېلىلا ئالدامچىغا پۇل ئەۋەتكەن بولسىڭىز، دەرھال 110 غا تېلېفون قىلىڭ."),
     [_q("amount", "number", _t("损失金额（元）", "Amount lost (yuan)", "زىيان سوممىسى (يۈەن)")),
      _q("paid_on", "date", _t("付款日期", "Date of payment", "پۇل تۆلىگەن چېسلا")),
      _q("contact_way", "choice", _t("对方通过什么方式联系你？", "How did they contact you?",
                                     "ئۇلار سىز بىلەن قانداق ئالاقىلاشتى؟"), required=True,
         choices=[_choice("phone", "电话或短信", "Phone call or text message", "تېلېفون ياكى قىسقا ئۇچۇر"),
                  _choice("online", "网络（聊天软件、网站）", "Online (chat app, website)", "تور (ئالاقە ئەپى، تور بېكەت)"),
                  _choice("in_person", "当面", "In person", "يۈزمۇيۈز")])]),
    ("other", False,
     _t("其他", "Other", "باشقا"),
     _t("不属于以上类别的其他违法犯罪线索。", "Any other crime not listed above.",
        "يۇقىرىدىكى تۈرلەرگە كىرمەيدىغان باشقا قانۇنسىز جىنايەت يىپ ئۇچلىرى."),
     []),
]
SLUGS = [row[0] for row in DEFAULTS]


def _existing(bind) -> dict[str, int]:
    return dict(bind.execute(sa.select(categories.c.slug, categories.c.id).where(categories.c.slug.in_(SLUGS))).all())


def upgrade():
    bind = op.get_bind()
    # A default that tips kept through a downgrade is still here, as they left it: keep it.
    kept = _existing(bind)
    now = datetime.now(UTC)
    new = [row for row in DEFAULTS if row[0] not in kept]
    op.bulk_insert(categories, [
        {"slug": slug, "position": SLUGS.index(slug) + 1, "names": names, "descriptions": descriptions,
         "danger": danger, "retired": False, "created_at": now, "updated_at": now}
        for slug, danger, names, descriptions, _questions in new
    ])
    ids = _existing(bind)
    op.bulk_insert(questions, [
        {"category_id": ids[slug], "position": position, "retired": False, **question}
        for slug, _danger, _names, _descriptions, category_questions in new
        for position, question in enumerate(category_questions, start=1)
    ])


def downgrade():
    # Only categories no tip uses go: a tip keeps its category and its answers (evidence), so a used
    # default stays, with its questions, and 0008's tables simply keep the row.
    unused = (sa.select(categories.c.id).where(categories.c.slug.in_(SLUGS))
              .where(~sa.exists().where(tips.c.category_id == categories.c.id)))
    ids = list(op.get_bind().execute(unused).scalars())
    if ids:
        op.execute(questions.delete().where(questions.c.category_id.in_(ids)))
        op.execute(categories.delete().where(categories.c.id.in_(ids)))
