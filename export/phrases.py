"""Phrase banks for the copy grammar, per locale.

Rules every phrase here follows (the corpus tests enforce them):
- no digits and no counting words: every number in a target comes from an attribute;
- no absolute or unprovable claims (see export.compliance);
- ``{v}`` is an attribute value, copied verbatim.
"""

from __future__ import annotations

# Spec and free-attribute phrasing: zh clauses, en noun phrases / fragments.
ATTR_ZH: dict[str, tuple[str, ...]] = {
    "battery": ("{v}大电量", "电池容量{v}", "内置{v}电池", "{v}电池，电量充足"),
    "power": ("{v}功率", "功率{v}", "{v}输出"),
    "ports": ("{v}个接口", "配有{v}个接口", "{v}口同时用"),
    "battery_life": ("续航{v}", "续航可达{v}", "充一次能用{v}", "{v}长续航"),
    "screen": ("{v}屏幕", "{v}大屏", "配备{v}屏幕"),
    "driver": ("{v}动圈单元", "{v}发声单元", "搭载{v}单元"),
    "waterproof": ("{v}防水", "防水等级{v}", "支持{v}防水"),
    "storage": ("{v}存储", "{v}大存储", "存储空间{v}"),
    "ram": ("{v}运行内存", "运行内存{v}"),
    "charging": ("{v}快充", "支持{v}快充", "{v}有线快充"),
    "fits": ("适配{v}", "专为{v}设计"),
    "capacity": ("容量{v}", "{v}容量", "{v}大容量"),
    "diameter": ("直径{v}", "{v}口径", "{v}尺寸"),
    "fill_weight": ("充绒量{v}", "{v}充绒"),
    "weight": ("重量{v}", "约{v}", "{v}轻巧机身"),
    "heel": ("鞋跟高{v}", "{v}鞋跟"),
    "volume": ("{v}装", "规格{v}", "容量{v}"),
    "spf": ("防晒指数{v}", "{v}防护"),
    "color_temp": ("{v}色温", "色温{v}"),
    "bed_size": ("适用{v}床", "{v}床适用"),
    "run_time": ("可连续使用{v}", "一次可用{v}", "续航{v}"),
    "thickness": ("厚度{v}", "{v}厚度"),
    "length": ("长度{v}", "{v}长度"),
    "pages": ("全书{v}", "共{v}"),
    "net_weight": ("净含量{v}", "{v}装"),
    "pieces": ("共{v}", "{v}"),
    "height": ("高{v}", "{v}高度"),
    "size": ("{v}尺寸", "{v}规格"),
    "laptop": ("可放{v}笔记本", "装得下{v}电脑"),
    "color": ("{v}配色", "{v}款", "颜色选{v}", "{v}外观"),
    "material": ("采用{v}", "{v}材质", "选用{v}", "{v}用料"),
    "style": ("{v}风格", "{v}设计", "{v}风"),
    "shoe_size": ("{v}码", "尺码{v}"),
    "skin_type": ("适合{v}", "{v}适用"),
    "scent": ("香型{v}", "{v}香型"),
    "shade": ("色号{v}", "{v}色调"),
    "finish": ("{v}质地", "{v}妆效"),
    "author": ("作者{v}", "{v}著"),
    "format": ("{v}版本", "{v}装帧"),
    "age": ("适合{v}", "{v}适用"),
    "flavor": ("{v}", "口味{v}"),
    "life_stage": ("适合{v}", "{v}适用"),
}
ATTR_EN: dict[str, tuple[str, ...]] = {
    "battery": ("a {v} battery", "{v} of battery capacity", "a {v} cell"),
    "power": ("{v} of power", "{v} output", "a {v} motor"),
    "ports": ("{v} ports", "{v} charging ports"),
    "battery_life": ("up to {v} of battery life", "{v} of playtime", "{v} per charge"),
    "screen": ("a {v} screen", "a {v} display"),
    "driver": ("{v} drivers", "{v} dynamic drivers"),
    "waterproof": ("{v} water resistance", "an {v} rating"),
    "storage": ("{v} of storage", "{v} storage"),
    "ram": ("{v} of RAM", "{v} RAM"),
    "charging": ("{v} fast charging", "{v} wired charging"),
    "fits": ("a fit made for {v}", "a snug fit for {v}"),
    "capacity": ("{v} capacity", "a {v} capacity", "room for {v}"),
    "diameter": ("a {v} diameter", "a {v} cooking surface"),
    "fill_weight": ("{v} of fill", "a {v} fill"),
    "weight": ("a weight of {v}", "just {v}", "{v} in weight"),
    "heel": ("a {v} heel", "{v} of heel height"),
    "volume": ("a {v} size", "{v} per pack"),
    "spf": ("{v} protection", "{v} sun protection"),
    "color_temp": ("{v} light", "a {v} color temperature"),
    "bed_size": ("a fit for {v} beds", "{v} bed sizing"),
    "run_time": ("{v} of run time", "up to {v} per fill"),
    "thickness": ("{v} of thickness", "a {v} thick build"),
    "length": ("a {v} length", "{v} of length"),
    "pages": ("{v}", "{v} of reading"),
    "net_weight": ("a {v} bag", "{v} net weight"),
    "pieces": ("{v}", "a {v} set"),
    "height": ("a {v} height", "{v} of height"),
    "size": ("a {v} frame", "{v} sizing"),
    "laptop": ("room for a {v} laptop", "a {v} laptop sleeve"),
    "color": ("a {v} colorway", "a {v} finish", "{v} color"),
    "material": ("{v} construction", "{v} build", "a {v} body"),
    "style": ("a {v} look", "{v} styling"),
    "shoe_size": ("size {v}", "a {v} fit"),
    "skin_type": ("a formula for {v}", "care for {v}"),
    "scent": ("a {v} scent", "{v} fragrance"),
    "shade": ("the {v} shade", "a {v} tone"),
    "finish": ("a {v} finish", "{v} wear"),
    "author": ("words by {v}", "writing by {v}"),
    "format": ("a {v} edition", "{v} binding"),
    "age": ("play for {v}", "a pick for {v}"),
    "flavor": ("{v} flavor", "a {v} recipe"),
    "life_stage": ("a formula for {v}", "nutrition for {v}"),
}
GENERIC_ZH = ("{k}{v}",)
GENERIC_EN = ("{k} {v}",)

# Persona openers, per kind. Non-absolute on purpose.
LEAD_ZH: dict[str, tuple[str, ...]] = {
    "general": ("今日好物", "好物推荐", "新品上架", "值得一看", "生活好帮手"),
    "price_sensitive": ("好价来了", "预算友好", "划算之选", "省钱好物", "实惠入手"),
    "tech_enthusiast": ("参数党看过来", "配置亮点一览", "硬核配置", "懂行的看这里", "看配置说话"),
    "quality_seeker": ("用料讲究", "品质好物", "细节见真章", "做工扎实", "质感之选"),
    "trend_follower": ("颜值在线", "配色亮眼", "拍照很上镜", "出街有型", "潮流新品"),
}
LEAD_EN: dict[str, tuple[str, ...]] = {
    "general": (
        "Today's pick",
        "Worth a look",
        "New arrival",
        "Meet your new favorite",
        "Everyday essential",
    ),
    "price_sensitive": (
        "Great value",
        "Budget-friendly",
        "Smart buy",
        "Save on this",
        "Good price alert",
    ),
    "tech_enthusiast": (
        "Specs first",
        "For the spec lovers",
        "Under the hood",
        "Built on solid specs",
        "Tech check",
    ),
    "quality_seeker": (
        "Crafted with care",
        "Quality you can feel",
        "Made to last",
        "Thoughtful details",
        "Solid craftsmanship",
    ),
    "trend_follower": (
        "Fresh look",
        "Style pick",
        "Head-turning color",
        "On-trend find",
        "Looks as good as it works",
    ),
}

# Price clauses. {p} is the price text verbatim; {op} an original price.
PRICE_ZH = ("到手价{p}元", "售价{p}元", "只要{p}元", "{p}元就能入手", "现价{p}元", "¥{p}")
PRICE_EN_USD = ("now ${p}", "just ${p}", "yours for ${p}", "priced at ${p}", "only ${p}")
PRICE_EN_OTHER = ("now {p} {c}", "priced at {p} {c}")
ORIGINAL_ZH = ("原价{op}元，现价{p}元", "从{op}元降到{p}元", "原价{op}元，到手{p}元")
ORIGINAL_EN = ("was ${op}, now ${p}", "down from ${op} to ${p}", "${p}, down from ${op}")

BRAND_ZH = ("来自{b}", "{b}出品", "{b}品质")
BRAND_EN = ("from {b}", "by {b}", "designed by {b}")

# Intros for description/ad: {name} is the title, {short} brand + noun.
INTRO_ZH = ("这款{name}", "{name}", "{name}来了", "推荐{name}", "认识一下{name}")
INTRO_EN = (
    "Meet the {name}.",
    "Say hello to the {name}.",
    "The {name} is here.",
    "Introducing the {name}.",
    "Discover the {name}.",
)

CTA_ZH: dict[str, tuple[str, ...]] = {
    "ad": ("马上看看", "点击了解", "加入购物车吧", "心动就下单", "快来看看"),
    "description": ("欢迎选购", "按需挑选", "值得考虑", ""),
    "recommendation": ("去看看吧", "点开看看", "挑一件喜欢的", "看看哪款合你心意"),
}
CTA_EN: dict[str, tuple[str, ...]] = {
    "ad": (
        "Shop now.",
        "Tap to see more.",
        "Add it to your cart.",
        "Take a look today.",
        "Check it out.",
    ),
    "description": ("Take a closer look.", "See the details.", ""),
    "recommendation": (
        "Take a look.",
        "Tap to see them.",
        "Find your favorite.",
        "See which one fits you.",
    ),
}

# Recommendation framing.
REC_INTRO_ZH: dict[str, tuple[str, ...]] = {
    "general": ("为你挑选了几件好物", "猜你会喜欢", "根据你的浏览，推荐这些", "这些好物值得一看"),
    "price_sensitive": ("为你找到几件好价好物", "这些价格很友好", "预算有限也能买得开心"),
    "tech_enthusiast": ("几款配置扎实的好物", "懂参数的你可能会喜欢", "按配置为你挑选"),
    "quality_seeker": ("几件用料讲究的好物", "为你挑选了做工扎实的几款", "注重品质的你可以看看"),
    "trend_follower": ("几件颜值在线的好物", "为你挑了些好看的新品", "配色亮眼的几款送上"),
}
REC_INTRO_EN: dict[str, tuple[str, ...]] = {
    "general": (
        "Picked for you",
        "You might like these",
        "Based on your browsing",
        "A few finds for you",
    ),
    "price_sensitive": (
        "Great-value picks for you",
        "Easy on the budget",
        "Good prices, picked for you",
    ),
    "tech_enthusiast": (
        "Spec-packed picks for you",
        "For the spec lover in you",
        "Picked for their specs",
    ),
    "quality_seeker": (
        "Well-made picks for you",
        "Quality finds for you",
        "Chosen for their craftsmanship",
    ),
    "trend_follower": (
        "Stylish picks for you",
        "Fresh looks for you",
        "Eye-catching finds for you",
    ),
}
REC_ONE_ZH: dict[str, tuple[str, ...]] = {
    "general": ("为你推荐", "猜你会喜欢", "这件好物值得一看", "根据你的浏览为你推荐"),
    "price_sensitive": ("好价好物推荐给你", "这件价格很友好", "预算友好的好物"),
    "tech_enthusiast": ("配置扎实的好物", "懂参数的你可能会喜欢", "按配置为你推荐"),
    "quality_seeker": ("用料讲究的好物", "做工扎实，推荐给你", "注重品质的你可以看看"),
    "trend_follower": ("颜值在线的好物", "好看的新品推荐给你", "配色亮眼，推荐给你"),
}
REC_ONE_EN: dict[str, tuple[str, ...]] = {
    "general": (
        "Picked for you",
        "You might like this",
        "A find for you",
        "Based on your browsing",
    ),
    "price_sensitive": (
        "A great-value pick for you",
        "Easy on the budget",
        "A good price, picked for you",
    ),
    "tech_enthusiast": (
        "A spec-packed pick for you",
        "For the spec lover in you",
        "Picked for its specs",
    ),
    "quality_seeker": (
        "A well-made pick for you",
        "A quality find for you",
        "Chosen for its craftsmanship",
    ),
    "trend_follower": (
        "A stylish pick for you",
        "A fresh look for you",
        "An eye-catching find for you",
    ),
}
REC_SINGLE_ZH = ("{intro}：{item}", "{intro}，{item}", "{item}，{intro_short}")
REC_SINGLE_EN = ("{intro}: {item}.", "{intro}: the {item}.")
REC_ITEM_ZH = (
    "{name}，{price}元",
    "{name}（{price}元）",
    "{name}只要{price}元",
    "{name}，到手{price}元",
)
REC_ITEM_EN_USD = ("{name} at ${price}", "{name} for ${price}", "{name} (${price})")
REC_ITEM_EN_OTHER = ("{name} at {price} {c}", "{name} ({price} {c})")
REC_SHORT_ZH = ("猜你喜欢", "为你推荐", "好物推荐")
