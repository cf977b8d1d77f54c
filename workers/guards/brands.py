"""Known brands, with their names in both locales, for the facts guard.

A brand in the copy that the request does not name is a false fact, the commonest one a
small model makes: it writes the brand it saw most in training. Latin names are mostly
caught by shape (a capitalised word that is not common English, see ``facts``); this list
adds what shape cannot see:
- Chinese brand names, which have no capital letters;
- Latin brands that are also common words ("Apple", "Dove", "Coach"), caught when
  capitalised, so "apple pie" stays fine;
- the pairing of names across locales, so a request with brand "Sony" supports "索尼".

Chinese names that are also everyday words are left out on purpose: 苹果 (apple), 美的
(beautiful), 荣耀 (glory), 联想 (to associate), 小熊 (little bear), 一加 (one plus), 真我
(true self). The list is a default: callers with a brand registry (the catalog's) pass
their own groups.
"""

from __future__ import annotations

BrandGroups = tuple[tuple[str, ...], ...]

KNOWN_BRANDS: BrandGroups = (
    ("Apple",),
    ("Huawei", "华为"),
    ("Xiaomi", "小米"),
    ("Mijia", "米家"),
    ("Redmi", "红米"),
    ("Honor",),
    ("OPPO",),
    ("vivo",),
    ("OnePlus",),
    ("Realme",),
    ("Meizu", "魅族"),
    ("Samsung", "三星"),
    ("Sony", "索尼"),
    ("LG",),
    ("Panasonic", "松下"),
    ("Philips", "飞利浦"),
    ("Dyson", "戴森"),
    ("Bose",),
    ("JBL",),
    ("Beats",),
    ("Sennheiser", "森海塞尔"),
    ("Edifier", "漫步者"),
    ("Anker", "安克"),
    ("Ugreen", "绿联"),
    ("Baseus", "倍思"),
    ("Logitech", "罗技"),
    ("Razer", "雷蛇"),
    ("Lenovo",),
    ("ThinkPad",),
    ("Dell", "戴尔"),
    ("HP", "惠普"),
    ("Asus", "华硕"),
    ("Acer", "宏碁"),
    ("Microsoft", "微软"),
    ("Google", "谷歌"),
    ("Nintendo", "任天堂"),
    ("DJI", "大疆"),
    ("GoPro",),
    ("Canon", "佳能"),
    ("Nikon", "尼康"),
    ("Fujifilm",),
    ("Haier", "海尔"),
    ("Gree", "格力"),
    ("Midea",),
    ("Hisense", "海信"),
    ("TCL",),
    ("Skyworth", "创维"),
    ("Joyoung", "九阳"),
    ("Supor", "苏泊尔"),
    ("Siemens", "西门子"),
    ("Bosch", "博世"),
    ("Tefal", "特福"),
    ("Zojirushi", "象印"),
    ("Nike", "耐克"),
    ("Adidas", "阿迪达斯"),
    ("Puma", "彪马"),
    ("Anta", "安踏"),
    ("Li-Ning", "Lining", "李宁"),
    ("Uniqlo", "优衣库"),
    ("Zara",),
    ("Lululemon", "露露乐蒙"),
    ("Skechers", "斯凯奇"),
    ("New Balance", "新百伦"),
    ("Converse", "匡威"),
    ("Vans",),
    ("Under Armour", "安德玛"),
    ("Timberland", "添柏岚"),
    ("Muji", "无印良品"),
    ("Lancome", "Lancôme", "兰蔻"),
    ("Estee Lauder", "雅诗兰黛"),
    ("L'Oreal", "Loreal", "欧莱雅"),
    ("Shiseido", "资生堂"),
    ("SK-II",),
    ("Dove", "多芬"),
    ("Nestle", "Nestlé", "雀巢"),
    ("Starbucks", "星巴克"),
    ("Coca-Cola", "可口可乐"),
    ("Pepsi", "百事可乐"),
    ("Lego", "乐高"),
    ("IKEA", "宜家"),
    ("Casio", "卡西欧"),
    ("Rolex", "劳力士"),
    ("Gucci", "古驰"),
    ("Prada", "普拉达"),
    ("Chanel", "香奈儿"),
    ("Dior", "迪奥"),
    ("Gap",),
    ("Coach", "蔻驰"),
    ("Tide", "汰渍"),
    ("Garmin", "佳明"),
    ("Fitbit",),
    ("Tesla", "特斯拉"),
    ("Amazon", "亚马逊"),
    ("Kindle",),
)
