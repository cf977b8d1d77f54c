"""Catalog lexicon: categories, product types, brands and attribute values in zh and en.

Everything here is invented or generic. Values are (zh, en) pairs so one product renders
in both locales with the same facts. Numbers live only in spec values, prices and model
names, so the grammar can never introduce a number of its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field

Pair = tuple[str, str]  # (zh, en)


@dataclass(frozen=True, slots=True)
class ProductType:
    noun: Pair
    price_cny: tuple[int, int]
    specs: tuple[tuple[str, tuple[Pair, ...]], ...]
    free: tuple[str, ...]  # free attribute keys drawn from FREE_VALUES / category materials
    adjectives: tuple[Pair, ...] = ()


@dataclass(frozen=True, slots=True)
class Category:
    key: str
    name: Pair
    brands: tuple[Pair, ...]
    types: tuple[ProductType, ...]
    materials: tuple[Pair, ...]
    benefits: tuple[Pair, ...]  # qualitative, unprovable-claim-free phrases
    series: tuple[str, ...] = ("S1", "X5", "Pro", "Air", "Lite", "M2", "Neo", "Plus")
    extra: dict[str, tuple[Pair, ...]] = field(default_factory=dict)


def same(*values: str) -> tuple[Pair, ...]:
    """Values written identically in both locales (e.g. 20000mAh, 256GB)."""
    return tuple((v, v) for v in values)


def unit(values: tuple[str, ...], zh: str, en: str) -> tuple[Pair, ...]:
    """Values whose unit word is localised (e.g. 30小时 / 30 hours)."""
    return tuple((f"{v}{zh}", f"{v}{en}") for v in values)


HOURS = ("8", "12", "20", "24", "30", "36", "40", "50", "60")
COLORS: tuple[Pair, ...] = (
    ("黑色", "Black"),
    ("白色", "White"),
    ("深空灰", "Space Gray"),
    ("雾霾蓝", "Mist Blue"),
    ("樱花粉", "Sakura Pink"),
    ("墨绿色", "Forest Green"),
    ("米白色", "Cream"),
    ("银色", "Silver"),
    ("燕麦色", "Oatmeal"),
    ("酒红色", "Burgundy"),
    ("藏青色", "Navy"),
    ("奶茶色", "Latte"),
    ("薄荷绿", "Mint"),
    ("暖橙色", "Sunset Orange"),
    ("星空紫", "Violet"),
    ("卡其色", "Khaki"),
    ("炭灰色", "Charcoal"),
    ("天蓝色", "Sky Blue"),
)
SIZES_CLOTHES = same("S", "M", "L", "XL", "XXL")
STYLES: tuple[Pair, ...] = (
    ("简约", "minimalist"),
    ("复古", "retro"),
    ("通勤", "commuter"),
    ("运动", "sporty"),
    ("街头", "streetwear"),
    ("轻奢", "refined"),
    ("北欧", "Nordic"),
    ("国潮", "Guochao"),
    ("法式", "French-style"),
    ("日系", "Japanese-style"),
)
FREE_VALUES: dict[str, tuple[Pair, ...]] = {"color": COLORS, "style": STYLES, "size": SIZES_CLOTHES}

CATEGORIES: tuple[Category, ...] = (
    Category(
        key="electronics",
        name=("数码配件", "Electronics"),
        brands=(
            ("澜科", "Lanke"),
            ("星腾", "Stellar"),
            ("沃拓", "Wotuo"),
            ("NOVU", "NOVU"),
            ("极米途", "Jimitu"),
            ("朗域", "Langyu"),
        ),
        types=(
            ProductType(
                ("充电宝", "Power Bank"),
                (79, 299),
                (
                    ("battery", same("5000mAh", "10000mAh", "20000mAh", "26800mAh")),
                    ("power", same("18W", "22.5W", "30W", "65W")),
                ),
                ("color", "weight"),
                (("轻薄", "Slim"), ("快充", "Fast-Charge")),
            ),
            ProductType(
                ("充电器", "Charger"),
                (49, 259),
                (
                    ("power", same("20W", "33W", "65W", "100W", "120W")),
                    ("ports", same("2", "3", "4")),
                ),
                ("color",),
                (("氮化镓", "GaN"), ("迷你", "Mini")),
            ),
            ProductType(
                ("蓝牙音箱", "Bluetooth Speaker"),
                (129, 899),
                (
                    ("power", same("10W", "20W", "30W", "40W")),
                    ("battery_life", unit(HOURS, "小时", " hours")),
                ),
                ("color", "weight"),
                (("便携", "Portable"), ("防水", "Waterproof")),
            ),
            ProductType(
                ("智能手表", "Smartwatch"),
                (299, 1999),
                (
                    ("battery_life", unit(("7", "10", "14", "21"), "天", " days")),
                    ("screen", unit(("1.43", "1.47", "1.96"), "英寸", "-inch")),
                ),
                ("color", "material"),
                (("运动", "Sport"), ("轻盈", "Light")),
            ),
        ),
        materials=(
            ("铝合金", "aluminum alloy"),
            ("阻燃PC", "flame-retardant PC"),
            ("亲肤硅胶", "soft silicone"),
            ("磨砂ABS", "matte ABS"),
        ),
        benefits=(
            ("出门随手一带，电量更安心", "easy to carry for a day out"),
            ("桌面整洁，用起来顺手", "keeps your desk tidy and simple"),
            ("通勤出差都方便", "handy for commutes and trips"),
            ("日常使用稳定可靠", "dependable for everyday use"),
        ),
        extra={"weight": same("180g", "210g", "320g", "450g")},
    ),
    Category(
        key="headphones",
        name=("耳机", "Headphones"),
        brands=(
            ("声悦", "Sonara"),
            ("听澜", "Tinglan"),
            ("EchoFox", "EchoFox"),
            ("律动", "Rhythmix"),
            ("麦田声学", "Wheatfield Audio"),
        ),
        types=(
            ProductType(
                ("无线耳机", "Wireless Earbuds"),
                (99, 1299),
                (
                    ("battery_life", unit(HOURS, "小时", " hours")),
                    ("driver", same("10mm", "11mm", "12mm", "13mm")),
                ),
                ("color", "weight"),
                (("降噪", "Noise-Cancelling"), ("入耳式", "In-Ear")),
            ),
            ProductType(
                ("头戴式耳机", "Over-Ear Headphones"),
                (199, 2499),
                (
                    ("battery_life", unit(HOURS, "小时", " hours")),
                    ("driver", same("40mm", "45mm", "50mm")),
                ),
                ("color", "material", "weight"),
                (("降噪", "Noise-Cancelling"), ("折叠", "Foldable")),
            ),
            ProductType(
                ("运动耳机", "Sports Earphones"),
                (89, 699),
                (
                    ("battery_life", unit(HOURS, "小时", " hours")),
                    ("waterproof", same("IPX4", "IPX5", "IPX7")),
                ),
                ("color",),
                (("挂耳式", "Ear-Hook"), ("骨传导", "Bone-Conduction")),
            ),
        ),
        materials=(
            ("蛋白皮耳罩", "protein leather"),
            ("亲肤硅胶", "soft silicone"),
            ("金属头梁", "metal headband"),
            ("磨砂外壳", "matte shell"),
        ),
        benefits=(
            ("通勤听歌更自在", "makes the daily commute more relaxed"),
            ("人声清晰，细节丰富", "clear vocals with rich detail"),
            ("佩戴轻松，久戴不累", "comfortable for long listening sessions"),
            ("开会追剧都合适", "works for calls and shows alike"),
        ),
        extra={"weight": same("4.5g", "5g", "38g", "250g", "280g")},
    ),
    Category(
        key="phones",
        name=("手机", "Phones"),
        brands=(("青木", "Aoki"), ("远岸", "Farshore"), ("Zentro", "Zentro"), ("一叶", "Yiye")),
        types=(
            ProductType(
                ("智能手机", "Smartphone"),
                (999, 6999),
                (
                    ("storage", same("128GB", "256GB", "512GB", "1TB")),
                    ("ram", same("8GB", "12GB", "16GB")),
                    ("battery", same("4500mAh", "5000mAh", "5500mAh", "6000mAh")),
                    ("charging", same("33W", "67W", "90W", "120W")),
                    ("screen", unit(("6.1", "6.5", "6.7", "6.8"), "英寸", "-inch")),
                ),
                ("color",),
                (("轻薄", "Slim"), ("影像", "Camera"), ("长续航", "Long-Battery")),
            ),
            ProductType(
                ("手机壳", "Phone Case"),
                (29, 129),
                (("fits", same("Aoki 12", "Farshore S5", "Zentro X")),),
                ("color", "material"),
                (("磁吸", "MagSafe-Style"), ("防摔", "Shockproof")),
            ),
        ),
        materials=(
            ("玻璃后盖", "glass back"),
            ("素皮", "vegan leather"),
            ("液态硅胶", "liquid silicone"),
            ("铝合金中框", "aluminum frame"),
        ),
        benefits=(
            ("拍照刷剧都流畅", "smooth for photos and streaming"),
            ("握持手感舒适", "comfortable to hold"),
            ("日常使用从容不慌", "keeps up with a busy day"),
            ("屏幕观感通透", "a bright, clear screen"),
        ),
    ),
    Category(
        key="kitchen",
        name=("厨房电器", "Kitchen"),
        brands=(
            ("厨语", "Chefwise"),
            ("禾家", "Hearth & Co"),
            ("美膳", "Meishan"),
            ("KITO", "KITO"),
            ("小满厨房", "Xiaoman Kitchen"),
        ),
        types=(
            ProductType(
                ("电饭煲", "Rice Cooker"),
                (199, 1299),
                (("capacity", same("3L", "4L", "5L")), ("power", same("700W", "860W", "1000W"))),
                ("color", "material"),
                (("智能", "Smart"), ("迷你", "Mini")),
            ),
            ProductType(
                ("空气炸锅", "Air Fryer"),
                (199, 899),
                (
                    ("capacity", same("4.5L", "5L", "6L", "7L")),
                    ("power", same("1200W", "1400W", "1500W")),
                ),
                ("color",),
                (("可视", "Window"), ("无油", "Oil-Free")),
            ),
            ProductType(
                ("保温杯", "Insulated Bottle"),
                (59, 299),
                (("capacity", same("350ml", "500ml", "600ml", "750ml")),),
                ("color", "material"),
                (("便携", "Travel"), ("大容量", "Large")),
            ),
            ProductType(
                ("不粘锅", "Non-Stick Pan"),
                (89, 499),
                (("diameter", same("24cm", "26cm", "28cm", "30cm")),),
                ("material",),
                (("少油烟", "Low-Smoke"), ("家用", "Everyday")),
            ),
        ),
        materials=(
            ("304不锈钢", "304 stainless steel"),
            ("陶瓷涂层", "ceramic coating"),
            ("食品级PP", "food-grade PP"),
            ("铸铝", "cast aluminum"),
        ),
        benefits=(
            ("做饭省心省力", "makes cooking less of a chore"),
            ("清洗方便", "easy to clean"),
            ("一家人吃饭更简单", "keeps family meals simple"),
            ("厨房新手也能轻松上手", "friendly even for new cooks"),
        ),
    ),
    Category(
        key="apparel",
        name=("服饰", "Apparel"),
        brands=(
            ("素野", "Suye"),
            ("棉序", "Cotton Order"),
            ("北纬", "Northline"),
            ("MUSE&CO", "MUSE&CO"),
            ("衣间", "Yijian"),
        ),
        types=(
            ProductType(
                ("T恤", "T-Shirt"),
                (49, 199),
                (),
                ("color", "size", "material", "style"),
                (("宽松", "Relaxed"), ("纯色", "Solid")),
            ),
            ProductType(
                ("羽绒服", "Down Jacket"),
                (399, 1899),
                (("fill_weight", same("150g", "200g", "260g")),),
                ("color", "size", "style"),
                (("连帽", "Hooded"), ("轻薄", "Lightweight")),
            ),
            ProductType(
                ("卫衣", "Hoodie"),
                (129, 399),
                (),
                ("color", "size", "material", "style"),
                (("加绒", "Fleece-Lined"), ("落肩", "Drop-Shoulder")),
            ),
            ProductType(
                ("连衣裙", "Dress"),
                (159, 699),
                (),
                ("color", "size", "material", "style"),
                (("收腰", "Fitted"), ("碎花", "Floral")),
            ),
        ),
        materials=(
            ("纯棉", "cotton"),
            ("亚麻", "linen"),
            ("莫代尔", "modal"),
            ("羊毛混纺", "wool blend"),
            ("聚酯纤维", "polyester"),
        ),
        benefits=(
            ("上身舒适不拘束", "comfortable and easy to move in"),
            ("好搭配，通勤周末都能穿", "easy to style for work or weekends"),
            ("版型利落显精神", "a clean, sharp silhouette"),
            ("四季衣橱常用款", "a staple for your wardrobe"),
        ),
    ),
    Category(
        key="shoes",
        name=("鞋靴", "Shoes"),
        brands=(
            ("步履", "Stridewell"),
            ("跃迁", "Leapway"),
            ("RUNIX", "RUNIX"),
            ("拾光鞋履", "Shiguang"),
        ),
        types=(
            ProductType(
                ("跑步鞋", "Running Shoes"),
                (299, 1299),
                (("weight", same("220g", "240g", "260g", "280g")),),
                ("color", "shoe_size", "material"),
                (("缓震", "Cushioned"), ("透气", "Breathable")),
            ),
            ProductType(
                ("休闲鞋", "Sneakers"),
                (199, 799),
                (),
                ("color", "shoe_size", "material", "style"),
                (("百搭", "Everyday"), ("厚底", "Platform")),
            ),
            ProductType(
                ("短靴", "Ankle Boots"),
                (299, 1199),
                (("heel", same("3cm", "4cm", "5cm")),),
                ("color", "shoe_size", "material"),
                (("切尔西", "Chelsea"), ("马丁", "Combat")),
            ),
        ),
        materials=(
            ("飞织网面", "knit mesh"),
            ("头层牛皮", "full-grain leather"),
            ("麂皮", "suede"),
            ("帆布", "canvas"),
        ),
        benefits=(
            ("脚感轻快，走路不累", "light on your feet all day"),
            ("日常通勤好穿好搭", "easy to wear for daily commutes"),
            ("鞋面透气，久穿舒适", "breathable for long wear"),
            ("稳稳抓地，步伐更稳", "steady grip with every step"),
        ),
        extra={"shoe_size": (("38", "US 6"), ("40", "US 7"), ("42", "US 8.5"), ("44", "US 10"))},
    ),
    Category(
        key="beauty",
        name=("美妆护肤", "Beauty"),
        brands=(("若水", "Ruoshui"), ("花间集", "Petalry"), ("LUMI", "LUMI"), ("清研", "Qingyan")),
        types=(
            ProductType(
                ("精华液", "Serum"),
                (129, 699),
                (("volume", same("30ml", "50ml", "100ml")),),
                ("skin_type", "scent"),
                (("保湿", "Hydrating"), ("舒缓", "Soothing")),
            ),
            ProductType(
                ("面霜", "Face Cream"),
                (99, 599),
                (("volume", same("50ml", "50g", "80g")),),
                ("skin_type",),
                (("滋润", "Nourishing"), ("清爽", "Light")),
            ),
            ProductType(
                ("防晒霜", "Sunscreen"),
                (69, 259),
                (("spf", same("SPF30", "SPF50")), ("volume", same("40ml", "50ml", "60ml"))),
                ("skin_type",),
                (("清透", "Sheer"), ("户外", "Outdoor")),
            ),
            ProductType(
                ("口红", "Lipstick"),
                (89, 399),
                (("weight", same("3g", "3.5g")),),
                ("shade", "finish"),
                (("丝绒", "Velvet"), ("水润", "Glossy")),
            ),
        ),
        materials=(
            ("植物萃取", "plant extracts"),
            ("玻尿酸", "hyaluronic acid"),
            ("烟酰胺", "niacinamide"),
            ("神经酰胺", "ceramides"),
        ),
        benefits=(
            ("质地轻薄好推开", "a light texture that spreads easily"),
            ("日常护肤简单不费心", "keeps your routine simple"),
            ("上脸清爽不黏腻", "feels fresh, never sticky"),
            ("通勤出门随手补", "easy to reapply on the go"),
        ),
        extra={
            "skin_type": (
                ("干性肌肤", "dry skin"),
                ("油性肌肤", "oily skin"),
                ("混合肌", "combination skin"),
                ("敏感肌", "sensitive skin"),
            ),
            "scent": (("无香", "unscented"), ("淡花香", "light floral"), ("柑橘香", "citrus")),
            "shade": (
                ("正红色", "classic red"),
                ("豆沙色", "rosewood"),
                ("枫叶棕", "maple brown"),
                ("珊瑚橘", "coral"),
            ),
            "finish": (("哑光", "matte"), ("缎光", "satin"), ("镜面", "glossy")),
        },
    ),
    Category(
        key="home",
        name=("家居", "Home"),
        brands=(
            ("栖木", "Nestwood"),
            ("暖居", "Cozyhome"),
            ("HAVN", "HAVN"),
            ("素舍", "Sushe"),
            ("一隅", "Corner Living"),
        ),
        types=(
            ProductType(
                ("台灯", "Desk Lamp"),
                (79, 499),
                (
                    ("power", same("5W", "8W", "12W")),
                    ("color_temp", same("3000K", "4000K", "5000K")),
                ),
                ("color", "material"),
                (("护眼", "Eye-Care"), ("折叠", "Foldable")),
            ),
            ProductType(
                ("四件套", "Bedding Set"),
                (199, 899),
                (("bed_size", same("150cm", "180cm", "200cm")),),
                ("color", "material", "style"),
                (("亲肤", "Soft"), ("简约", "Simple")),
            ),
            ProductType(
                ("收纳箱", "Storage Box"),
                (39, 199),
                (("capacity", same("20L", "35L", "50L", "66L")),),
                ("color", "material"),
                (("可叠放", "Stackable"), ("带盖", "Lidded")),
            ),
            ProductType(
                ("香薰机", "Aroma Diffuser"),
                (99, 399),
                (
                    ("capacity", same("200ml", "300ml", "500ml")),
                    ("run_time", unit(("6", "8", "10", "12"), "小时", " hours")),
                ),
                ("color", "material"),
                (("静音", "Quiet"), ("木纹", "Woodgrain")),
            ),
        ),
        materials=(
            ("原木", "solid wood"),
            ("长绒棉", "long-staple cotton"),
            ("亚麻", "linen"),
            ("PP树脂", "PP resin"),
            ("陶瓷", "ceramic"),
        ),
        benefits=(
            ("让家里更有条理", "brings order to your home"),
            ("放在卧室客厅都合适", "fits the bedroom or living room"),
            ("营造松弛的居家氛围", "sets a calm, cozy mood"),
            ("日常打理简单", "simple to care for"),
        ),
    ),
    Category(
        key="sports",
        name=("运动户外", "Sports"),
        brands=(
            ("疾风", "Galeforce"),
            ("山野", "Trailborn"),
            ("FITO", "FITO"),
            ("动能派", "Kinetic"),
        ),
        types=(
            ProductType(
                ("瑜伽垫", "Yoga Mat"),
                (59, 299),
                (("thickness", same("6mm", "8mm", "10mm")), ("length", same("183cm", "185cm"))),
                ("color", "material"),
                (("防滑", "Non-Slip"), ("加厚", "Thick")),
            ),
            ProductType(
                ("哑铃", "Dumbbells"),
                (69, 599),
                (("weight", same("2kg", "5kg", "10kg", "20kg")),),
                ("color", "material"),
                (("可调节", "Adjustable"), ("包胶", "Rubber-Coated")),
            ),
            ProductType(
                ("跳绳", "Jump Rope"),
                (29, 129),
                (("length", same("280cm", "300cm")),),
                ("color", "material"),
                (("计数", "Counting"), ("负重", "Weighted")),
            ),
            ProductType(
                ("登山包", "Hiking Backpack"),
                (199, 899),
                (
                    ("capacity", same("30L", "40L", "50L")),
                    ("weight", same("0.9kg", "1.2kg", "1.5kg")),
                ),
                ("color", "material"),
                (("轻量", "Lightweight"), ("防泼水", "Water-Resistant")),
            ),
        ),
        materials=(
            ("TPE", "TPE"),
            ("天然橡胶", "natural rubber"),
            ("尼龙", "nylon"),
            ("铸铁", "cast iron"),
            ("PVC", "PVC"),
        ),
        benefits=(
            ("在家也能练起来", "makes home workouts easy to start"),
            ("训练更专注", "helps you stay focused on training"),
            ("户外出行更从容", "ready for the trail"),
            ("新手老手都适用", "suits beginners and regulars"),
        ),
    ),
    Category(
        key="books",
        name=("图书", "Books"),
        brands=(
            ("山海出版社", "Harbor Press"),
            ("青禾文库", "Greenfield Books"),
            ("远方书局", "Faraway House"),
            ("知行出版", "Stepwise Press"),
        ),
        types=(
            ProductType(
                ("小说", "Novel"),
                (29, 89),
                (("pages", unit(("256", "320", "388", "416"), "页", " pages")),),
                ("author", "format"),
                (),
            ),
            ProductType(
                ("科普读物", "Popular Science Book"),
                (39, 129),
                (("pages", unit(("224", "288", "352"), "页", " pages")),),
                ("author", "format"),
                (),
            ),
            ProductType(
                ("绘本", "Picture Book"),
                (25, 99),
                (("pages", unit(("32", "40", "48"), "页", " pages")),),
                ("author", "format", "age"),
                (),
            ),
        ),
        materials=(("平装", "paperback"), ("精装", "hardcover")),
        benefits=(
            ("适合睡前慢慢读", "good for a quiet evening read"),
            ("通勤路上也能读几页", "easy to read on the commute"),
            ("文字清新耐读", "clear, engaging writing"),
            ("值得放进书架", "worth a spot on your shelf"),
        ),
        series=("",),
        extra={
            "author": (
                ("林远", "Lin Yuan"),
                ("苏晚", "Su Wan"),
                ("陈默", "Chen Mo"),
                ("周予安", "Zhou Yu'an"),
                ("顾北", "Gu Bei"),
            ),
            "format": (("平装", "paperback"), ("精装", "hardcover")),
            "age": (("3-6岁", "ages 3-6"), ("4-8岁", "ages 4-8")),
            "book_title": (
                ("城市的温度", "The Warmth of Cities"),
                ("远山来信", "Letters from the Hills"),
                ("星空下的实验室", "A Lab Under the Stars"),
                ("雨季之后", "After the Rains"),
                ("小狐狸的旅行", "The Little Fox Travels"),
                ("时间的形状", "The Shape of Time"),
                ("海边的灯塔", "The Lighthouse by the Sea"),
                ("万物的秘密", "Secrets of Everything"),
            ),
        },
    ),
    Category(
        key="pets",
        name=("宠物用品", "Pet Supplies"),
        brands=(
            ("毛孩日记", "Pawdiary"),
            ("喵汪", "Meowoof"),
            ("PETRA", "PETRA"),
            ("暖窝", "Snugden"),
        ),
        types=(
            ProductType(
                ("猫粮", "Cat Food"),
                (59, 399),
                (("net_weight", same("1.5kg", "2kg", "4kg", "10kg")),),
                ("flavor", "life_stage"),
                (("全价", "Complete"), ("冻干", "Freeze-Dried")),
            ),
            ProductType(
                ("宠物窝", "Pet Bed"),
                (79, 399),
                (("diameter", same("50cm", "60cm", "70cm")),),
                ("color", "material"),
                (("四季", "All-Season"), ("可拆洗", "Washable")),
            ),
            ProductType(
                ("牵引绳", "Dog Leash"),
                (29, 159),
                (("length", same("120cm", "150cm", "300cm")),),
                ("color", "material"),
                (("反光", "Reflective"), ("伸缩", "Retractable")),
            ),
        ),
        materials=(
            ("短毛绒", "short plush"),
            ("尼龙织带", "nylon webbing"),
            ("棉麻", "cotton linen"),
            ("记忆棉", "memory foam"),
        ),
        benefits=(
            ("毛孩子用得舒服", "keeps your pet comfortable"),
            ("铲屎官省心", "makes pet care simpler"),
            ("日常遛弯更安心", "makes daily walks easier"),
            ("清洁打理方便", "easy to keep clean"),
        ),
        extra={
            "flavor": (("鸡肉味", "chicken"), ("三文鱼味", "salmon"), ("牛肉味", "beef")),
            "life_stage": (("幼猫", "kitten"), ("成猫", "adult"), ("全阶段", "all life stages")),
        },
    ),
    # The two categories below are held out of training entirely (see corpus.HOLDOUT_CATEGORIES).
    Category(
        key="toys",
        name=("玩具", "Toys"),
        brands=(("奇趣岛", "Wonder Isle"), ("小熊工坊", "Bearworks"), ("BLOKO", "BLOKO")),
        types=(
            ProductType(
                ("积木", "Building Blocks"),
                (99, 699),
                (("pieces", unit(("320", "520", "860"), "颗粒", " pieces")),),
                ("age", "material"),
                (("拼装", "Construction"), ("城市", "City")),
            ),
            ProductType(
                ("遥控车", "RC Car"),
                (129, 599),
                (
                    ("battery", same("1200mAh", "1500mAh")),
                    ("run_time", unit(("20", "30", "40"), "分钟", " minutes")),
                ),
                ("color", "age"),
                (("越野", "Off-Road"), ("漂移", "Drift")),
            ),
            ProductType(
                ("毛绒玩具", "Plush Toy"),
                (49, 199),
                (("height", same("30cm", "45cm", "60cm")),),
                ("color", "material"),
                (("安抚", "Cuddly"), ("小熊", "Teddy")),
            ),
        ),
        materials=(("ABS", "ABS"), ("短毛绒", "short plush"), ("PP棉", "PP fiber")),
        benefits=(
            ("陪孩子玩得开心", "keeps kids happily busy"),
            ("亲子时光更有趣", "fun for family playtime"),
            ("动手又动脑", "hands-on, creative play"),
            ("送礼也合适", "a thoughtful gift"),
        ),
        extra={"age": (("3岁以上", "ages 3+"), ("6岁以上", "ages 6+"), ("8岁以上", "ages 8+"))},
    ),
    Category(
        key="luggage",
        name=("箱包", "Luggage"),
        brands=(("行者", "Wayfarer"), ("途悦", "Tripjoy"), ("VOYA", "VOYA")),
        types=(
            ProductType(
                ("行李箱", "Suitcase"),
                (299, 1599),
                (
                    ("size", unit(("20", "24", "28"), "英寸", "-inch")),
                    ("weight", same("2.8kg", "3.5kg", "4.2kg")),
                ),
                ("color", "material"),
                (("登机", "Carry-On"), ("静音轮", "Silent-Wheel")),
            ),
            ProductType(
                ("双肩包", "Backpack"),
                (129, 599),
                (
                    ("capacity", same("20L", "25L", "30L")),
                    ("laptop", unit(("14", "15.6", "16"), "英寸", "-inch")),
                ),
                ("color", "material"),
                (("通勤", "Commuter"), ("防泼水", "Water-Resistant")),
            ),
        ),
        materials=(
            ("PC", "PC"),
            ("铝镁合金", "aluminum-magnesium alloy"),
            ("牛津布", "Oxford cloth"),
            ("尼龙", "nylon"),
        ),
        benefits=(
            ("出差旅行更轻松", "makes trips lighter"),
            ("收纳分区清楚", "well-organized compartments"),
            ("通勤路上很省心", "easy for the daily commute"),
            ("拉行顺滑安静", "rolls smoothly and quietly"),
        ),
    ),
)

CATEGORY_BY_KEY: dict[str, Category] = {c.key: c for c in CATEGORIES}
