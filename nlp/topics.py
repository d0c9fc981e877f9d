"""Topics: what a review talks about, by keyword, several per review.

The default taxonomy covers e-commerce, phones, food and hotels. A config entity adds its
own keywords (``EntityConfig.topics``: topic → keywords, new topics or extra keywords for
existing ones) for the reviews about it. Keywords of two characters or more match anywhere
in the normalised text; a one-character keyword (贵, 脏) only as a whole token, since inside
another word it usually means something else (宝贵 and 贵州 are not about price).
"""
from __future__ import annotations

import bisect
import itertools
import re
from typing import Callable, Iterable, Mapping, Sequence

from nlp import patterns
from nlp.normalize import normalize

_SEPARATOR = "\x00"  # joins a batch: no keyword contains it (normalisation removes it)

DEFAULT_TOPICS: dict[str, tuple[str, ...]] = {
    "物流配送": ("物流", "快递", "配送", "发货", "到货", "送货", "派送", "顺丰", "包邮", "运费",
             "签收", "送达", "快递员", "骑手", "送餐", "外卖小哥"),
    "产品质量": ("质量", "品质", "做工", "材质", "瑕疵", "破损", "坏了", "故障", "次品", "残次",
             "掉漆", "开胶", "起球", "掉色", "褪色", "假货", "正品", "耐用", "结实", "粗糙", "翻新"),
    "价格": ("价格", "价钱", "性价比", "便宜", "实惠", "划算", "涨价", "降价", "优惠", "折扣",
           "差价", "保价", "物超所值", "不值", "智商税", "太贵", "很贵", "好贵", "挺贵", "偏贵", "不贵",
           "贵了", "昂贵", "贵"),
    "客服态度": ("客服", "态度", "不理人", "爱答不理", "不回复", "已读不回", "耐心", "热情",
             "礼貌", "敷衍", "推诿", "服务员", "前台"),
    "售后退换": ("售后", "退货", "退款", "换货", "维修", "保修", "返修", "退换", "质保", "三包",
             "七天无理由", "仅退款", "投诉"),
    "包装": ("包装", "盒子", "纸箱", "泡沫", "密封", "封口", "快递袋"),
    "功能性能": ("功能", "性能", "运行", "流畅", "卡顿", "死机", "闪退", "系统", "软件", "信号",
             "屏幕", "拍照", "像素", "音质", "好用", "难用", "反应慢", "发热", "发烫", "黑屏"),
    "外观设计": ("外观", "颜值", "设计", "颜色", "造型", "款式", "好看", "漂亮", "难看", "手感",
             "尺寸", "尺码", "大小"),
    "卫生安全": ("卫生", "干净", "脏", "头发丝", "虫子", "异物", "变质", "过期", "发霉",
             "食物中毒", "拉肚子", "蟑螂", "安全", "隐患", "甲醛"),
    "口味": ("口味", "味道", "好吃", "难吃", "口感", "新鲜", "分量", "份量", "咸", "淡", "辣", "甜"),
    "环境": ("环境", "装修", "噪音", "隔音", "安静", "位置", "交通", "设施", "房间", "空调",
           "卫生间", "景色", "吵"),
    "服务速度": ("上菜", "排队", "等了", "等待", "效率", "及时", "办理", "入住", "退房"),
    "电池续航": ("电池", "续航", "电量", "充电", "耗电", "掉电", "待机", "快充", "充电器"),
}


# Topic sets per industry, chosen per entity (``EntityConfig.industry``): a phone brand's
# reviews get no 卫生安全 for "夜景模式很干净", a bank's no 口味. "general" is the default
# taxonomy above (e-commerce); the autos set is seeded from the car-forum aspect labels'
# ten topics (``../shared/data/aspects``); every set is checked on hand-written examples
# (tests/nlp/data/industry_topics.csv) and the autos one on the car-forum labels too.
_SERVICE = ("客服", "态度", "不理人", "爱答不理", "不回复", "敷衍", "推诿", "耐心", "热情", "礼貌")
INDUSTRY_TOPICS: dict[str, dict[str, tuple[str, ...]]] = {
    "general": DEFAULT_TOPICS,
    "electronics": {
        "物流配送": DEFAULT_TOPICS["物流配送"],
        "产品质量": ("质量", "品质", "做工", "材质", "瑕疵", "破损", "坏了", "故障", "次品", "残次",
                 "掉漆", "假货", "正品", "耐用", "结实", "粗糙", "翻新", "二手", "划痕"),
        "价格": DEFAULT_TOPICS["价格"],
        "客服态度": _SERVICE,
        "售后退换": DEFAULT_TOPICS["售后退换"],
        "包装": ("包装", "盒子", "纸箱", "泡沫", "封口", "塑封", "配件", "赠品"),
        "性能流畅": ("性能", "运行", "流畅", "卡顿", "卡死", "死机", "处理器", "芯片", "内存", "游戏",
                 "反应慢", "速度快", "跑分", "多任务"),
        "系统软件": ("系统", "软件", "更新", "升级", "闪退", "广告", "预装", "bug", "黑屏", "重启"),
        "屏幕显示": ("屏幕", "显示", "分辨率", "亮度", "刷新率", "护眼", "色彩", "屏"),
        "拍照影像": ("拍照", "相机", "像素", "夜景", "成像", "画质", "变焦", "美颜", "录像", "摄像头"),
        "电池续航": DEFAULT_TOPICS["电池续航"],
        "发热散热": ("发热", "发烫", "散热", "温度", "烫手"),
        "信号网络": ("信号", "网络", "5g", "4g", "wifi", "断网", "基带", "通话"),
        "音质": ("音质", "音效", "扬声器", "喇叭", "耳机", "降噪", "低音", "声音"),
        "外观设计": ("外观", "颜值", "设计", "颜色", "造型", "手感", "重量", "厚度", "尺寸", "好看",
                 "漂亮", "难看"),
    },
    "apps": {
        "功能体验": ("功能", "好用", "难用", "体验", "操作", "界面", "设计", "方便", "复杂", "找不到"),
        "稳定性能": ("闪退", "卡顿", "崩溃", "bug", "白屏", "加载", "打不开", "登录不了", "登不上",
                 "耗电", "发热", "内存", "占用"),
        "广告推送": ("广告", "弹窗", "开屏", "推送", "骚扰", "通知"),
        "会员收费": ("会员", "vip", "收费", "扣费", "自动续费", "续费", "订阅", "充值", "退款", "付费"),
        "账号隐私": ("账号", "密码", "封号", "盗号", "隐私", "权限", "验证码", "实名", "注销", "泄露"),
        "客服反馈": ("客服", "人工", "投诉", "反馈", "不回复", "态度", "申诉"),
        "内容服务": ("内容", "资源", "推荐", "算法", "视频", "文章", "版权", "直播", "课程"),
        "版本更新": ("更新", "版本", "升级", "新版", "旧版", "改版"),
    },
    "food": {
        "口味": ("口味", "味道", "好吃", "难吃", "口感", "咸", "淡", "辣", "甜", "油腻", "入味", "香"),
        "分量": ("分量", "份量", "量少", "量大", "量足", "吃不饱", "太少", "量"),
        "食材新鲜": ("新鲜", "食材", "不新鲜", "冷冻", "肉质", "变质", "馊"),
        "卫生安全": ("卫生", "干净", "脏", "头发丝", "头发", "虫子", "异物", "过期", "发霉",
                 "食物中毒", "拉肚子", "蟑螂", "苍蝇"),
        "配送": ("配送", "骑手", "外卖小哥", "送餐", "送达", "超时", "准时", "洒了", "凉了", "送错",
               "配送费"),
        "包装": ("包装", "餐盒", "打包", "漏了", "漏汤", "密封", "餐具", "筷子"),
        "价格": ("价格", "价钱", "性价比", "便宜", "实惠", "划算", "优惠", "满减", "红包", "太贵",
               "很贵", "贵"),
        "服务态度": ("服务员", "服务", "态度", "热情", "老板", "店员", "商家", "不理人"),
        "环境": ("环境", "装修", "座位", "氛围", "停车", "包间", "吵", "拥挤"),
        "上菜速度": ("上菜", "出餐", "等了", "排队", "等位", "等待"),
    },
    "hotel": {
        "房间设施": ("房间", "床", "设施", "空调", "电视", "浴室", "卫生间", "热水", "淋浴", "窗",
                 "设备", "房型", "大床", "浴缸", "枕头"),
        "卫生清洁": ("卫生", "干净", "脏", "床单", "毛巾", "异味", "虫子", "蟑螂", "头发", "霉",
                 "整洁"),
        "服务": ("服务", "前台", "服务员", "态度", "热情", "礼貌", "管家", "客服", "接待"),
        "位置交通": ("位置", "交通", "地铁", "机场", "火车站", "商圈", "附近", "停车", "景区", "打车",
                 "地段"),
        "早餐餐饮": ("早餐", "自助餐", "餐厅", "餐饮"),
        "价格": ("价格", "性价比", "房价", "贵", "便宜", "划算", "押金", "实惠", "物超所值"),
        "入住退房": ("入住", "退房", "办理", "预订", "订单", "等待", "升级", "押金", "延迟退房"),
        "安静隔音": ("隔音", "噪音", "安静", "吵", "吵闹"),
        "环境景观": ("环境", "景色", "装修", "视野", "风景", "泳池", "健身房", "大堂"),
    },
    "finance": {
        "服务态度": ("服务", "态度", "柜员", "工作人员", "客服", "经理", "热情", "耐心", "敷衍",
                 "不理人"),
        "办理效率": ("办理", "排队", "等待", "效率", "审批", "审核", "放款", "到账", "取号", "流程",
                 "手续", "麻烦"),
        "费用利率": ("利率", "利息", "手续费", "年费", "费用", "收费", "扣费", "罚息", "违约金", "高利贷"),
        "额度": ("额度", "提额", "降额", "授信", "临时额度"),
        "催收骚扰": ("催收", "骚扰", "爆通讯录", "暴力催收", "推销", "营销电话"),
        "账户安全": ("安全", "盗刷", "冻结", "风控", "诈骗", "账户", "密码", "验证", "被盗", "隐私"),
        "手机银行": ("app", "手机银行", "网银", "闪退", "登录", "界面", "转账", "系统", "更新"),
        "理财产品": ("理财", "基金", "收益", "亏损", "存款", "保险", "产品", "利息高"),
        "网点设施": ("网点", "柜台", "atm", "营业厅", "取款机", "大厅"),
    },
    "auto": {
        "价格": ("价格", "价钱", "优惠", "落地", "报价", "降价", "性价比", "裸车", "便宜", "太贵",
               "贵", "首付", "贷款", "保值", "万"),
        "动力": ("动力", "加速", "提速", "马力", "扭矩", "发动机", "涡轮", "起步", "超车", "推背",
               "变速箱", "换挡", "顿挫", "油门", "排量", "t", "cvt", "双离合", "动力性", "爬坡",
               "高速", "给油", "烧机油", "爆震", "积碳"),
        "油耗": ("油耗", "省油", "费油", "百公里", "个油", "能耗", "耗油", "加油", "市区"),
        "操控": ("操控", "方向盘", "转向", "底盘", "悬挂", "过弯", "指向", "路感", "侧倾", "开起来",
               "驾驶", "handling", "四驱", "通过性"),
        "舒适性": ("舒适", "座椅", "隔音", "噪音", "异响", "颠簸", "滤震", "胎噪", "风噪", "减震",
                "空调", "震动", "抖动", "硬", "软", "静音", "响", "晕车"),
        "安全性": ("安全", "气囊", "刹车", "制动", "碰撞", "esp", "abs", "钢板", "防撞", "安全性",
                "事故", "碰撞测试", "自动刹车"),
        "空间": ("空间", "后排", "后备箱", "储物", "头部", "腿部", "宽敞", "拥挤", "乘坐", "尺寸"),
        "外观": ("外观", "颜值", "造型", "前脸", "车灯", "尾灯", "线条", "大灯", "轮毂", "颜色",
               "好看", "难看", "漂亮"),
        "内饰": ("内饰", "中控", "仪表", "做工", "用料", "塑料", "皮质", "异味", "味道", "甲醛",
               "方向盘"),
        "配置": ("配置", "天窗", "导航", "倒车影像", "雷达", "自动泊车", "巡航", "自适应", "车机",
               "音响", "座椅加热", "低配", "高配", "顶配", "钥匙", "无钥匙", "全景", "led", "电子手刹",
               "版本", "蓝牙", "大屏"),
    },
}


class Taxonomy:
    """Topics and their keywords; ``topics_for`` returns the matching topics in taxonomy order."""

    def __init__(self, topics: Mapping[str, Iterable[str]]):
        self.topics: dict[str, tuple[str, ...]] = {}
        for topic, words in topics.items():
            normalised = (normalize(w).text.lower() for w in words)
            self.topics[topic] = tuple(dict.fromkeys(w for w in normalised if w))
        self._order = {topic: i for i, topic in enumerate(self.topics)}
        self._phrase_topics: dict[str, set[str]] = {}
        self._token_topics: dict[str, set[str]] = {}
        for topic, words in self.topics.items():
            for word in words:
                table = self._token_topics if len(word) == 1 else self._phrase_topics
                table.setdefault(word, set()).add(topic)
        phrases = sorted(self._phrase_topics, key=len, reverse=True)
        singles = sorted(self._token_topics)
        self._single = re.compile(f"[{''.join(map(re.escape, singles))}]") if singles else None
        self._pattern = patterns.literal_alternation(phrases) if phrases else None

    def extended(self, extra: Mapping[str, Iterable[str]]) -> "Taxonomy":
        """This taxonomy plus ``extra`` keywords (new topics are appended)."""
        merged = {topic: list(words) for topic, words in self.topics.items()}
        for topic, words in extra.items():
            merged.setdefault(topic, []).extend(words)
        return Taxonomy(merged)

    def matches(self, text: str, tokens: Sequence[str] = (),
                starts: Sequence[int] = ()) -> list[tuple[int, int, str]]:
        """``(position in text, rank, topic)`` for every keyword found: phrases anywhere in
        ``text``, one-character keywords as whole tokens (``starts``: each token's position).
        ``rank`` is the topic's place in this taxonomy. One pass over the text gives the
        topics of the text and, by position, of each of its clauses."""
        return self.matches_many([text], lambda i: starts)[0]

    def matches_many(self, texts: Sequence[str], starts: Callable[[int], Iterable[int]]
                     ) -> list[list[tuple[int, int, str]]]:
        """``matches`` of each text, by one search of each pattern over the batch joined by a
        separator no keyword contains. ``starts(i)``: where text ``i``'s tokens start (asked
        only for a text in which a one-character keyword is found)."""
        found: list[list[tuple[int, int, str]]] = [[] for _ in texts]
        lowered = _SEPARATOR.join(texts).lower()
        offsets = list(itertools.accumulate((len(t) + 1 for t in texts), initial=0))
        if len(lowered) != offsets[-1] - 1 and len(texts) > 1:
            # Lower-casing changed a length (İ → i̇): positions would not line up.
            return [self.matches_many([text], lambda _, i=i: starts(i))[0]
                    for i, text in enumerate(texts)]
        order, where = self._order, bisect.bisect_right
        if self._pattern is not None:
            for match in self._pattern.finditer(lowered):
                i = where(offsets, match.start()) - 1
                for topic in self._phrase_topics[match.group()]:
                    found[i].append((match.start() - offsets[i], order[topic], topic))
        if self._single is not None:
            # A one-character keyword counts where it is a whole token: a token starts there
            # and the next one (or a space, or the end) right after it.
            boundaries: dict[int, set[int]] = {}
            for match in self._single.finditer(lowered):
                i = where(offsets, match.start()) - 1
                text, at = texts[i], match.start() - offsets[i]
                if i not in boundaries:
                    boundaries[i] = set(starts(i))
                if at in boundaries[i] and (at + 1 in boundaries[i] or at + 1 == len(text)
                                            or text[at + 1].isspace()):
                    for topic in self._token_topics[match.group()]:
                        found[i].append((at, order[topic], topic))
        return found

    def topics_for(self, text: str, tokens: Sequence[str] = ()) -> list[str]:
        """Topics of normalised ``text`` (and its ``tokens``, for one-character keywords)."""
        found: set[str] = set()
        if self._pattern is not None and text:
            for match in self._pattern.finditer(text.lower()):
                found |= self._phrase_topics[match.group()]
        for token in tokens:
            found |= self._token_topics.get(token.lower(), set())
        return sorted(found, key=self._order.__getitem__)


_default: Taxonomy | None = None


def default_taxonomy() -> Taxonomy:
    global _default
    if _default is None:
        _default = Taxonomy(DEFAULT_TOPICS)
    return _default


_industries: dict[str, Taxonomy] = {}


def industry_taxonomy(industry: str | None) -> Taxonomy:
    """The taxonomy of ``industry`` (a key of ``INDUSTRY_TOPICS``; None or "general": the
    default taxonomy). Raises ``KeyError`` for an unknown industry."""
    if industry in (None, "general"):
        return default_taxonomy()
    if industry not in _industries:
        _industries[industry] = Taxonomy(INDUSTRY_TOPICS[industry])
    return _industries[industry]


def topics_for(text_or_tokens: str | Sequence[str],
               extra: Mapping[str, Iterable[str]] | None = None) -> list[str]:
    """Topics of a normalised text, or of a token list (joined), by the default taxonomy
    (plus ``extra`` keywords)."""
    taxonomy = default_taxonomy().extended(extra) if extra else default_taxonomy()
    if isinstance(text_or_tokens, str):
        from nlp.segment import segment
        return taxonomy.topics_for(text_or_tokens, segment(text_or_tokens))
    tokens = list(text_or_tokens)
    return taxonomy.topics_for("".join(tokens), tokens)
