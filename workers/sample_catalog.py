"""An embedded sample catalog for the demo and tests: real-looking products in zh and en."""

from __future__ import annotations

import time
import uuid
from decimal import Decimal
from typing import Any

# (title, brand, category path, price, attributes) — variants multiply these below.
# Attribute keys are ASCII identifiers in every locale (values are localized): the copy
# names them as slots such as {1.color}, as the catalog service's schema documents.
_ZH_BASE: tuple[tuple[str, str, tuple[str, ...], str, dict[str, str]], ...] = (
    (
        "降噪蓝牙耳机 Q5",
        "声悦",
        ("数码", "耳机"),
        "399.00",
        {"battery": "30小时", "color": "曜石黑", "bluetooth": "5.3"},
    ),
    (
        "智能手环 S3",
        "悦动",
        ("数码", "穿戴设备"),
        "249.00",
        {"display": "1.47英寸", "water_resistance": "5ATM", "color": "雾蓝"},
    ),
    (
        "不锈钢保温杯 500ml",
        "暖居",
        ("家居", "杯具"),
        "89.00",
        {"capacity": "500ml", "material": "316不锈钢", "color": "奶白"},
    ),
    (
        "纯棉短袖T恤",
        "简衣",
        ("服饰", "T恤"),
        "79.00",
        {"material": "精梳棉", "size": "M", "color": "藏青"},
    ),
    (
        "空气炸锅 4.5L",
        "厨小白",
        ("厨房", "小家电"),
        "329.00",
        {"capacity": "4.5L", "power": "1400W", "color": "白色"},
    ),
    (
        "运动跑鞋 轻云",
        "飞驰",
        ("运动", "跑鞋"),
        "459.00",
        {"weight": "238g", "size": "42", "color": "荧光绿"},
    ),
    (
        "保湿面霜 50g",
        "水漾",
        ("美妆", "面霜"),
        "168.00",
        {"size": "50g", "skin_type": "干性肌肤", "ingredient": "透明质酸"},
    ),
    (
        "机械键盘 K87",
        "键客",
        ("数码", "键盘"),
        "299.00",
        {"switches": "茶轴", "keys": "87键", "connection": "有线"},
    ),
    (
        "双肩电脑包 15.6英寸",
        "行者",
        ("箱包", "双肩包"),
        "199.00",
        {"size": "15.6英寸", "material": "防泼水牛津布", "color": "深灰"},
    ),
    (
        "电动牙刷 P2",
        "洁齿",
        ("个护", "牙刷"),
        "139.00",
        {"battery": "60天", "modes": "3档", "color": "粉色"},
    ),
    (
        "陶瓷餐具套装 16件",
        "青瓷坊",
        ("家居", "餐具"),
        "259.00",
        {"pieces": "16件", "material": "高温陶瓷", "color": "青釉"},
    ),
    (
        "瑜伽垫 6mm",
        "静享",
        ("运动", "瑜伽"),
        "119.00",
        {"thickness": "6mm", "material": "TPE", "color": "薰衣草紫"},
    ),
)
_EN_BASE: tuple[tuple[str, str, tuple[str, ...], str, dict[str, str]], ...] = (
    (
        "Noise Cancelling Headphones H7",
        "Sonora",
        ("Electronics", "Headphones"),
        "129.99",
        {"battery": "35 hours", "color": "Black", "bluetooth": "5.3"},
    ),
    (
        "Fitness Tracker Band F2",
        "Pulsefit",
        ("Electronics", "Wearables"),
        "49.99",
        {"display": "1.1 inch", "water_resistance": "5ATM", "color": "Slate"},
    ),
    (
        "Insulated Water Bottle 750ml",
        "Trailhome",
        ("Home", "Drinkware"),
        "24.95",
        {"capacity": "750ml", "material": "stainless steel", "color": "Sage"},
    ),
    (
        "Organic Cotton Crew Tee",
        "Plainwear",
        ("Apparel", "T-Shirts"),
        "19.00",
        {"material": "organic cotton", "size": "M", "color": "Navy"},
    ),
    (
        "Air Fryer 5.8 Qt",
        "Kitchenly",
        ("Kitchen", "Appliances"),
        "89.00",
        {"capacity": "5.8 Qt", "power": "1700W", "color": "Matte Black"},
    ),
    (
        "Trail Running Shoes Ridge",
        "Stridex",
        ("Sports", "Running Shoes"),
        "119.00",
        {"weight": "280g", "size": "10", "color": "Orange"},
    ),
    (
        "Hydrating Face Cream 50ml",
        "Dewlab",
        ("Beauty", "Moisturizers"),
        "32.00",
        {"size": "50ml", "skin_type": "dry skin", "ingredient": "hyaluronic acid"},
    ),
    (
        "Mechanical Keyboard TK87",
        "Keyforge",
        ("Electronics", "Keyboards"),
        "79.99",
        {"switches": "brown", "keys": "87", "connection": "wired"},
    ),
    (
        "Laptop Backpack 15.6 inch",
        "Roamly",
        ("Bags", "Backpacks"),
        "45.00",
        {"size": "15.6 inch", "material": "water-repellent nylon", "color": "Charcoal"},
    ),
    (
        "Electric Toothbrush P2",
        "Brightly",
        ("Personal Care", "Toothbrushes"),
        "39.99",
        {"battery": "60 days", "modes": "3", "color": "White"},
    ),
    (
        "Stoneware Dinner Set 16 pcs",
        "Claystone",
        ("Home", "Dinnerware"),
        "69.00",
        {"pieces": "16", "material": "stoneware", "color": "Speckled Blue"},
    ),
    (
        "Yoga Mat 6mm",
        "Calmcore",
        ("Sports", "Yoga"),
        "29.99",
        {"thickness": "6mm", "material": "TPE", "color": "Lavender"},
    ),
)
_ZH_COLORS = ("曜石黑", "珍珠白", "雾蓝", "樱粉", "森林绿")
_EN_COLORS = ("Black", "White", "Blue", "Rose", "Forest Green")


def sample_products(count: int = 60, seed: int = 7) -> list[dict[str, Any]]:
    """``count`` ProductCreated records, alternating zh and en, deterministic for a seed."""
    now = int(time.time() * 1000)
    out: list[dict[str, Any]] = []
    for i in range(count):
        locale = "zh" if i % 2 == 0 else "en"
        base = _ZH_BASE if locale == "zh" else _EN_BASE
        colors = _ZH_COLORS if locale == "zh" else _EN_COLORS
        title, brand, path, price, attrs = base[(i // 2) % len(base)]
        variant = (i // (2 * len(base))) + seed
        attributes = dict(attrs)
        if "color" in attributes:
            attributes["color"] = colors[variant % len(colors)]
        product_id = f"P{seed:02d}{i:05d}"
        out.append(
            {
                "event_id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"copyflow-sample/{seed}/{i}")),
                "product_id": product_id,
                "sku": f"SKU-{product_id}",
                "title": title,
                "brand": brand,
                "category_path": list(path),
                "price": Decimal(price),
                "currency": "CNY" if locale == "zh" else "USD",
                "attributes": attributes,
                "locale": locale,
                "created_at": now,
                "emitted_at": now,
            }
        )
    return out
